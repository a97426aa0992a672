/**
 * A small OAuth 1.0a provider (RFC 5849) on 127.0.0.1, for tests: temporary credentials, an
 * authorize page with Allow and Deny buttons, token credentials, and one protected resource.
 *
 * It verifies signatures with its own code. Only the percent-encoding is shared with the
 * client, so a client that builds a wrong base string fails here. Parameters are parsed with
 * `URLSearchParams`, the base string URI comes from the Host header, and signatures are
 * compared in constant time.
 */

import { createHmac, randomBytes, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { percentEncode } from '../../src/auth/oauth1/percent-encode.js';

export type ProviderSignatureMethod = 'HMAC-SHA1' | 'HMAC-SHA256' | 'PLAINTEXT' | 'RSA-SHA1';

export interface OAuth1ProviderOptions {
  /** The consumer's RSA public key; RSA-SHA1 requests are rejected without it. */
  rsaPublicKey?: KeyObject | string;
  /** Whether the temporary credentials response has `oauth_callback_confirmed=true`. Default true. */
  confirmCallback?: boolean;
  /** How the two credentials endpoints encode their responses. Default `form`. */
  responseFormat?: 'form' | 'json';
  /** Milliseconds since the epoch, for the timestamp check. Default `Date.now`. */
  now?: () => number;
}

/** One request that reached an OAuth endpoint, with the protocol parameters it carried. */
export interface ProviderRequest {
  method: string;
  path: string;
  protocolParameters: Record<string, string>;
  /** Empty when the request was accepted; otherwise the `oauth_problem` it was rejected with. */
  problem: string;
}

export interface OAuth1Provider {
  /** `http://127.0.0.1:<port>`. */
  baseUrl: string;
  consumer: { key: string; secret: string };
  urls: { requestToken: string; authorize: string; accessToken: string; account: string };
  /** Every request to the OAuth endpoints and the protected resource, in order. */
  requests: ProviderRequest[];
  close(): Promise<void>;
}

/** How far a request's timestamp may be from the provider's clock, in seconds. */
const TIMESTAMP_WINDOW_SECONDS = 300;

const USER = { userId: '6253282', screenName: 'zylker_tester' };

interface TemporaryCredential {
  secret: string;
  callback: string;
  verifier?: string;
  used: boolean;
}

class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: string,
  ) {
    super(problem);
  }
}

/** Starts the provider on 127.0.0.1 with an ephemeral port. */
export async function startOAuth1Provider(options: OAuth1ProviderOptions = {}): Promise<OAuth1Provider> {
  const consumer = { key: `ck_${randomHex(8)}`, secret: randomHex(16) };
  const now = options.now ?? Date.now;
  const temporary = new Map<string, TemporaryCredential>();
  const tokens = new Map<string, string>();
  const seenNonces = new Set<string>();
  const requests: ProviderRequest[] = [];

  function respondWithCredentials(response: ServerResponse, fields: Record<string, string>): void {
    if (options.responseFormat === 'json') {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(fields));
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/x-www-form-urlencoded' });
    response.end(new URLSearchParams(fields).toString());
  }

  /** Checks the request's signature, timestamp and nonce; returns its protocol parameters. */
  function authenticate(request: IncomingMessage, body: string, tokenSecret: string): Record<string, string> {
    const protocol = parseAuthorizationHeader(request.headers.authorization);
    const record: ProviderRequest = {
      method: request.method ?? '',
      path: new URL(request.url ?? '/', 'http://placeholder').pathname,
      protocolParameters: protocol,
      problem: '',
    };
    requests.push(record);

    try {
      checkProtocolParameters(protocol);

      const baseString = providerBaseString(request, body, protocol);
      const method = protocol.oauth_signature_method as ProviderSignatureMethod;
      const key = `${percentEncode(consumer.secret)}&${percentEncode(tokenSecret)}`;
      if (!signatureMatches(method, baseString, key, protocol.oauth_signature ?? '', options.rsaPublicKey)) {
        throw new ProblemError(401, 'signature_invalid');
      }
      return protocol;
    } catch (error) {
      if (error instanceof ProblemError) record.problem = error.problem;
      throw error;
    }
  }

  function checkProtocolParameters(protocol: Record<string, string>): void {
    for (const name of ['oauth_consumer_key', 'oauth_signature_method', 'oauth_signature', 'oauth_timestamp', 'oauth_nonce']) {
      if (protocol[name] === undefined) throw new ProblemError(400, 'parameter_absent');
    }
    if (protocol.oauth_version !== undefined && protocol.oauth_version !== '1.0') {
      throw new ProblemError(400, 'version_rejected');
    }
    if (protocol.oauth_consumer_key !== consumer.key) throw new ProblemError(401, 'consumer_key_unknown');
    if (!['HMAC-SHA1', 'HMAC-SHA256', 'PLAINTEXT', 'RSA-SHA1'].includes(protocol.oauth_signature_method!)) {
      throw new ProblemError(400, 'signature_method_rejected');
    }

    const timestamp = Number(protocol.oauth_timestamp);
    if (!/^\d+$/.test(protocol.oauth_timestamp!) || Math.abs(now() / 1000 - timestamp) > TIMESTAMP_WINDOW_SECONDS) {
      throw new ProblemError(401, 'timestamp_refused');
    }

    // RFC 5849 section 3.3: a nonce is unique per timestamp, consumer and token.
    const nonceKey = [protocol.oauth_timestamp, protocol.oauth_nonce, consumer.key, protocol.oauth_token ?? ''].join(' ');
    if (seenNonces.has(nonceKey)) throw new ProblemError(401, 'nonce_used');
    seenNonces.add(nonceKey);
  }

  function requestToken(request: IncomingMessage, response: ServerResponse, body: string): void {
    const protocol = authenticate(request, body, '');
    const callback = protocol.oauth_callback;
    if (callback === undefined) throw new ProblemError(400, 'parameter_absent');

    const token = `tt_${randomHex(8)}`;
    const secret = randomHex(16);
    temporary.set(token, { secret, callback, used: false });

    const fields: Record<string, string> = { oauth_token: token, oauth_token_secret: secret };
    if (options.confirmCallback ?? true) fields.oauth_callback_confirmed = 'true';
    respondWithCredentials(response, fields);
  }

  function authorizePage(url: URL, response: ServerResponse): void {
    const token = url.searchParams.get('oauth_token') ?? '';
    if (!temporary.has(token)) throw new ProblemError(400, 'token_rejected');

    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html>
<title>Authorize</title>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="oauth_token" value="${token}">
<button name="decision" value="allow">Allow</button>
<button name="decision" value="deny">Deny</button>
</form>
`);
  }

  function authorizeDecision(response: ServerResponse, body: string): void {
    const form = new URLSearchParams(body);
    const token = form.get('oauth_token') ?? '';
    const entry = temporary.get(token);
    if (entry === undefined) throw new ProblemError(400, 'token_rejected');

    const callback = new URL(entry.callback);
    if (form.get('decision') === 'allow') {
      entry.verifier = randomHex(10);
      callback.searchParams.set('oauth_token', token);
      callback.searchParams.set('oauth_verifier', entry.verifier);
    } else {
      temporary.delete(token);
      callback.searchParams.set('denied', token);
    }
    response.writeHead(302, { Location: callback.toString() });
    response.end();
  }

  function accessToken(request: IncomingMessage, response: ServerResponse, body: string): void {
    const tokenName = parseAuthorizationHeader(request.headers.authorization).oauth_token ?? '';
    const entry = temporary.get(tokenName);
    if (entry === undefined || entry.used) throw new ProblemError(401, 'token_rejected');

    const protocol = authenticate(request, body, entry.secret);
    if (entry.verifier === undefined || protocol.oauth_verifier !== entry.verifier) {
      throw new ProblemError(401, 'verifier_invalid');
    }
    entry.used = true;

    const token = `at_${randomHex(8)}`;
    const secret = randomHex(16);
    tokens.set(token, secret);
    respondWithCredentials(response, {
      oauth_token: token,
      oauth_token_secret: secret,
      user_id: USER.userId,
      screen_name: USER.screenName,
    });
  }

  function account(request: IncomingMessage, response: ServerResponse, body: string, url: URL): void {
    const tokenName = parseAuthorizationHeader(request.headers.authorization).oauth_token ?? '';
    const secret = tokens.get(tokenName);
    if (secret === undefined) throw new ProblemError(401, 'token_rejected');
    authenticate(request, body, secret);

    const form = isForm(request) ? Object.fromEntries(new URLSearchParams(body)) : {};
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(
      JSON.stringify({
        user_id: USER.userId,
        screen_name: USER.screenName,
        method: request.method,
        query: Object.fromEntries(url.searchParams),
        form,
      }),
    );
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://placeholder');
    const body = await readBody(request);
    const key = `${request.method} ${url.pathname}`;

    try {
      if (key === 'POST /oauth/request_token') return requestToken(request, response, body);
      if (key === 'GET /oauth/authorize') return authorizePage(url, response);
      if (key === 'POST /oauth/authorize') return authorizeDecision(response, body);
      if (key === 'POST /oauth/access_token') return accessToken(request, response, body);
      if (url.pathname === '/1/account') return account(request, response, body, url);
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end('Not found\n');
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      // The OAuth Problem Reporting extension's form, which many OAuth 1.0a providers send.
      response.writeHead(error.status, { 'Content-Type': 'application/x-www-form-urlencoded' });
      response.end(`oauth_problem=${error.problem}`);
    }
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'Content-Type': 'text/plain' });
      response.end(`Provider error: ${String(error)}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl,
    consumer,
    urls: {
      requestToken: `${baseUrl}/oauth/request_token`,
      authorize: `${baseUrl}/oauth/authorize`,
      accessToken: `${baseUrl}/oauth/access_token`,
      account: `${baseUrl}/1/account`,
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Parses `Authorization: OAuth name="value", ...`; `realm` is left out, as it is never signed. */
function parseAuthorizationHeader(header: string | undefined): Record<string, string> {
  const parameters: Record<string, string> = {};
  if (header === undefined || !/^OAuth\s/i.test(header)) return parameters;

  for (const match of header.slice(6).matchAll(/([A-Za-z0-9_]+)\s*=\s*"([^"]*)"/g)) {
    const [, name, value] = match;
    if (name === undefined || value === undefined || name === 'realm') continue;
    parameters[decodeURIComponent(name)] = decodeURIComponent(value);
  }
  return parameters;
}

function isForm(request: IncomingMessage): boolean {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** Builds the base string of RFC 5849 section 3.4.1 from the request as it arrived. */
function providerBaseString(request: IncomingMessage, body: string, protocol: Record<string, string>): string {
  const target = new URL(request.url ?? '/', `http://${request.headers.host ?? ''}`);
  const baseUri = `http://${(request.headers.host ?? '').toLowerCase()}${target.pathname}`;

  const pairs: Array<[string, string]> = [...new URLSearchParams(target.search)];
  if (isForm(request)) pairs.push(...new URLSearchParams(body));
  for (const [name, value] of Object.entries(protocol)) {
    if (name !== 'oauth_signature') pairs.push([name, value]);
  }

  const normalized = pairs
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([leftName, leftValue], [rightName, rightValue]) =>
      leftName === rightName ? compareAscii(leftValue, rightValue) : compareAscii(leftName, rightName),
    )
    .map(([name, value]) => `${name}=${value}`)
    .join('&');

  return `${request.method!.toUpperCase()}&${percentEncode(baseUri)}&${percentEncode(normalized)}`;
}

function compareAscii(left: string, right: string): number {
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

function signatureMatches(
  method: ProviderSignatureMethod,
  baseString: string,
  key: string,
  signature: string,
  rsaPublicKey: KeyObject | string | undefined,
): boolean {
  switch (method) {
    case 'HMAC-SHA1':
      return constantTimeEqual(createHmac('sha1', key).update(baseString).digest('base64'), signature);
    case 'HMAC-SHA256':
      return constantTimeEqual(createHmac('sha256', key).update(baseString).digest('base64'), signature);
    case 'PLAINTEXT':
      return constantTimeEqual(key, signature);
    case 'RSA-SHA1':
      if (rsaPublicKey === undefined) return false;
      return verify('sha1', Buffer.from(baseString), rsaPublicKey, Buffer.from(signature, 'base64'));
  }
}

function constantTimeEqual(expected: string, actual: string): boolean {
  const left = Buffer.from(expected);
  const right = Buffer.from(actual);
  return left.length === right.length && timingSafeEqual(left, right);
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** What the simulated user saw at the end. */
export interface UserVisit {
  /** The URL the provider redirected the browser to. */
  location: string;
  /** The loopback redirect server's response; status 0 and an empty page when the redirect was not followed. */
  status: number;
  page: string;
}

/**
 * Plays the user in the browser: opens the authorization URL, presses Allow or Deny, and
 * follows the provider's redirect to the loopback redirect server unless `followRedirect` is
 * false (a browser that cannot reach this machine). Every request goes to 127.0.0.1, and any
 * other address raises an error before anything is sent.
 */
export async function actAsUser(
  authorizationUrl: string,
  decision: 'allow' | 'deny',
  { followRedirect = true }: { followRedirect?: boolean } = {},
): Promise<UserVisit> {
  const pageUrl = loopbackOnly(authorizationUrl);
  const page = await fetch(pageUrl);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`The authorize page returned HTTP ${page.status}: ${html}`);

  const token = /name="oauth_token" value="([^"]*)"/.exec(html)?.[1] ?? '';
  const action = new URL(/action="([^"]*)"/.exec(html)?.[1] ?? '', pageUrl);
  const decisionResponse = await fetch(loopbackOnly(action.toString()), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ oauth_token: token, decision }).toString(),
    redirect: 'manual',
  });
  const location = decisionResponse.headers.get('location');
  if (decisionResponse.status !== 302 || location === null) {
    throw new Error(`The authorize form returned HTTP ${decisionResponse.status} without a redirect.`);
  }

  if (!followRedirect) return { location, status: 0, page: '' };

  const callback = await fetch(loopbackOnly(location));
  return { location, status: callback.status, page: await callback.text() };
}

function loopbackOnly(url: string): URL {
  const parsed = new URL(url);
  if (parsed.hostname !== '127.0.0.1') throw new Error(`Refusing to send a test request to ${parsed.host}: only 127.0.0.1 is allowed.`);
  return parsed;
}
