/**
 * Sends one API request with a connection's credential applied, for `connector request` and
 * `connector check`.
 *
 * The credential goes only to the connector's own origin (its `baseUrl`, or without one the
 * origins of its auth URLs) and to hosts the user allows. Redirects are followed by hand, so
 * each hop is checked against the same rule and signed again (an OAuth 1.0a signature covers
 * the URL). An OAuth 2.0 request that gets HTTP 401 is retried once with a renewed token, and an
 * idempotent request that gets 429 or 503 with a short Retry-After is retried at most twice.
 */

import { applyCredential } from '../auth/apply.js';
import { setTimeout as delay } from 'node:timers/promises';

import { abortError, isIdempotentMethod, MAX_RETRIES, retryDelayMs, urlForMessages } from '../auth/http.js';
import { CliError, OperationError, UsageError } from '../cli/errors.js';
import type { Connector } from '../definition/types.js';
import { isLoopbackHost } from '../definition/urls.js';
import { credentialSecretsFor, freshOAuth2Credential, type OpenedConnection } from './token.js';

export { DEFAULT_TIMEOUT_SECONDS, parseTimeoutSeconds } from './timeout.js';

/** Redirects followed before giving up, as in browsers' fetch. */
export const MAX_REDIRECTS = 20;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** The auth URL fields whose origins receive credentials when the connector has no `baseUrl`. */
const CONNECTOR_URL_FIELDS = ['authorizationUrl', 'tokenUrl', 'refreshTokenUrl', 'requestTokenUrl', 'accessTokenUrl'] as const;

export interface ApiRequest {
  method: string;
  /** Absolute, or a path starting with `/` that resolves against the connector's `baseUrl`. */
  url: string;
  headers: Headers;
  body?: string | Uint8Array;
  /** Hosts beyond the connector's own origins that may receive the credential (`--allow-host`). */
  allowHosts: readonly string[];
  /** Limit for the whole exchange, redirects, retry and body included, in milliseconds. */
  timeoutMs: number;
}

export interface ApiExchange {
  response: Response;
  /** The URL that returned `response`, after redirects. */
  url: URL;
  /** Turns an error raised while reading the response body into the error to report. */
  bodyError(error: unknown): Error;
}

/**
 * Resolves a request URL. An absolute http or https URL is used as it is. A path starting with
 * `/` is appended to the connector's `baseUrl`, keeping the base path: `/v1/me` against
 * `https://api.zylker.com/base` gives `https://api.zylker.com/base/v1/me`.
 */
export function resolveRequestUrl(connector: Connector, url: string): URL {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`${url} is not a valid URL`, { hint: 'write an absolute URL such as https://api.example.com/v1/me, or a path such as /v1/me' });
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new UsageError(`${urlForMessages(url)} uses ${parsed.protocol}, and only http and https requests can be sent`);
    }
    if (parsed.username !== '' || parsed.password !== '') {
      throw new UsageError(`${urlForMessages(url)} contains a user name or password`, { hint: "remove them: the connection's credential is added to the request" });
    }
    return parsed;
  }

  if (!url.startsWith('/')) {
    throw new UsageError(`${JSON.stringify(url)} is neither an absolute URL nor a path starting with /`, {
      hint: `write https://${url.replace(/^\/*/, '')} for another host, or /${url} for a path under the connector's baseUrl`,
    });
  }
  if (connector.baseUrl === undefined) {
    throw new UsageError(`${connector.linkName} has no baseUrl, so the path ${url} cannot be resolved`, {
      hint: 'pass an absolute URL, or set one with connector set baseUrl https://api.example.com',
    });
  }
  const base = new URL(connector.baseUrl);
  return new URL(`${base.origin}${base.pathname.replace(/\/+$/, '')}${url}`);
}


/** Returns the origins that receive the credential without `--allow-host`. */
export function credentialOrigins(connector: Connector): string[] {
  if (connector.baseUrl !== undefined) return [new URL(connector.baseUrl).origin];

  const auth = connector.auth as unknown as Record<string, unknown>;
  const urls = [...CONNECTOR_URL_FIELDS.map((field) => auth[field]), connector.test?.url];
  const origins = new Set<string>();
  for (const url of urls) {
    if (typeof url !== 'string') continue;
    try {
      origins.add(new URL(url).origin);
    } catch {
      // A relative test URL has no origin of its own.
    }
  }
  return [...origins];
}

/**
 * Sends the request with the connection's credential and returns the response without reading
 * its body. Raises UsageError (exit 2) before sending when the URL's host may not receive the
 * credential, OperationError for network failures, timeouts and refused redirects, and the
 * errors of `freshOAuth2Credential` when an OAuth 2.0 token cannot be renewed.
 */
export async function sendApiRequest(connection: OpenedConnection, request: ApiRequest): Promise<ApiExchange> {
  const { connector, deps } = connection;
  const method = request.method.toUpperCase();
  const firstUrl = resolveRequestUrl(connector, request.url);
  checkDestination(connector, firstUrl, request.allowHosts);
  if (request.body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new UsageError(`a ${method} request cannot have a body`, { hint: 'send the data with POST, PUT or PATCH, or put it in the query' });
  }

  const secrets = await credentialSecretsFor(connection);
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = AbortSignal.any([deps.signal, timeout]);
  const failure = (error: unknown, url: URL, during: string) =>
    exchangeError(error, { method, url, during, timeoutMs: request.timeoutMs, timeout, caller: deps.signal });

  let hop: Hop = { method, url: firstUrl, headers: new Headers(request.headers), body: request.body };
  let retried = false;
  let busyRetries = 0;
  let redirects = 0;
  for (;;) {
    const credential = connector.auth.type === 'oauth2' ? await freshOAuth2Credential(connection, { timeoutMs: request.timeoutMs }) : connection.credential;
    const outgoing = applyCredential(
      { method: hop.method, url: hop.url, headers: hop.headers, ...(hop.body === undefined ? {} : { body: hop.body }) },
      connector,
      credential,
      secrets,
      { clock: deps.clock },
    );

    let response: Response;
    try {
      response = await deps.fetch(outgoing.url, { method: outgoing.method, headers: outgoing.headers, body: outgoing.body ?? null, redirect: 'manual', signal });
    } catch (error) {
      throw failure(error, hop.url, 'failed');
    }

    // A server shedding load (429, 503 with Retry-After) gets the same bounded patience as the
    // token endpoint, but only for methods that are safe to repeat.
    const wait = busyRetries < MAX_RETRIES && isIdempotentMethod(hop.method) ? retryDelayMs(response.status, response.headers, deps.clock.now()) : undefined;
    if (wait !== undefined) {
      busyRetries += 1;
      await discard(response);
      try {
        await delay(wait, undefined, { signal });
      } catch (error) {
        throw failure(error, hop.url, 'failed');
      }
      continue;
    }

    if (response.status === 401 && credential.type === 'oauth2' && !retried) {
      retried = true;
      await discard(response);
      await freshOAuth2Credential(connection, { rejectedAccessToken: credential.accessToken, timeoutMs: request.timeoutMs });
      continue;
    }

    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || location === null) {
      return { response, url: hop.url, bodyError: (error) => failure(error, hop.url, 'failed while reading the response') };
    }

    await discard(response);
    const target = redirectTarget(location, hop, response.status, connector, request.allowHosts);
    redirects += 1;
    if (redirects > MAX_REDIRECTS) {
      throw new OperationError(`${method} ${urlForMessages(firstUrl.href)} was redirected more than ${MAX_REDIRECTS} times`, {
        hint: 'the server may be redirecting in a loop; request the final URL directly',
      });
    }
    hop = redirected(hop, response.status, target);
  }
}

interface Hop {
  method: string;
  url: URL;
  headers: Headers;
  body: string | Uint8Array | undefined;
}

/** Raises UsageError unless the credential may go to `url`. */
function checkDestination(connector: Connector, url: URL, allowHosts: readonly string[]): void {
  if (isAllowed(connector, url, allowHosts)) return;

  const origins = credentialOrigins(connector);
  const where = origins.length === 0 ? 'to no host, because it has no baseUrl' : `only to ${origins.join(', ')}`;
  throw new UsageError(`not sending the credential of ${connector.linkName} to ${url.host}: the connector sends it ${where}`, {
    hint: `if ${url.host} belongs to the same API, pass --allow-host ${url.host}`,
  });
}

function isAllowed(connector: Connector, url: URL, allowHosts: readonly string[]): boolean {
  if (credentialOrigins(connector).includes(url.origin)) return true;
  if (!allowHosts.some((host) => hostMatches(url, host))) return false;

  // Allowing a host does not allow sending the credential in clear text over the network.
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new UsageError(`not sending the credential of ${connector.linkName} over plain http to ${url.host}`, {
      hint: `use https://${url.host}${url.pathname}`,
    });
  }
  return true;
}

/** Compares `HOST` or `HOST:PORT` (or a URL) with the URL's host, ignoring case. */
function hostMatches(url: URL, allowed: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(allowed.includes('://') ? allowed : `${url.protocol}//${allowed}`);
  } catch {
    throw new UsageError(`--allow-host ${allowed} is not a host name`, { hint: 'pass a host such as api.example.com or api.example.com:8443' });
  }
  const withPort = allowed.includes('://') || /:\d+$/.test(allowed);
  return withPort ? parsed.host === url.host : parsed.hostname === url.hostname;
}

function redirectTarget(location: string, hop: Hop, status: number, connector: Connector, allowHosts: readonly string[]): URL {
  let target: URL;
  try {
    target = new URL(location, hop.url);
  } catch {
    throw new OperationError(`${hop.method} ${urlForMessages(hop.url.href)} returned HTTP ${status} with an invalid Location header`);
  }

  const leaves = (target.protocol !== 'https:' && target.protocol !== 'http:') || !isAllowedQuietly(connector, target, allowHosts);
  if (leaves) {
    throw new OperationError(
      `${hop.method} ${urlForMessages(hop.url.href)} was redirected (HTTP ${status}) to ${urlForMessages(target.href)}, which was not followed: the request carries the credential of ${connector.linkName}, and that host may not receive it`,
      { hint: `if ${target.host} belongs to the same API, pass --allow-host ${target.host}` },
    );
  }
  return target;
}

function isAllowedQuietly(connector: Connector, url: URL, allowHosts: readonly string[]): boolean {
  try {
    return isAllowed(connector, url, allowHosts);
  } catch {
    return false;
  }
}

/**
 * The next hop of a redirect, as the Fetch standard defines it: 303 turns any method but HEAD
 * into GET, and 301 and 302 turn POST into GET, without the body and its Content-Type.
 * 307 and 308 repeat the request as it was.
 */
function redirected(hop: Hop, status: number, target: URL): Hop {
  const toGet = (status === 303 && hop.method !== 'HEAD') || ((status === 301 || status === 302) && hop.method === 'POST');
  if (!toGet) return { ...hop, url: target };

  const headers = new Headers(hop.headers);
  for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) headers.delete(name);
  return { method: 'GET', url: target, headers, body: undefined };
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

function exchangeError(
  error: unknown,
  context: { method: string; url: URL; during: string; timeoutMs: number; timeout: AbortSignal; caller: AbortSignal },
): Error {
  if (context.caller.aborted) return abortError(context.caller);
  const label = `${context.method} ${urlForMessages(context.url.href)}`;
  if (context.timeout.aborted) {
    return new OperationError(`${label} timed out after ${context.timeoutMs / 1000} s`, { hint: 'allow more time with --timeout SECONDS' });
  }
  if (error instanceof CliError) return error;
  return new OperationError(`${label} ${context.during}: ${networkDetail(error)}`, { cause: error });
}

/** Returns the innermost message of Node's `TypeError: fetch failed`, such as `connect ECONNREFUSED 127.0.0.1:9`. */
function networkDetail(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
