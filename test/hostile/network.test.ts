/**
 * Network faults at the token, device authorization, revocation and API endpoints: a refused
 * connection, a server that never responds, a reset in the middle of the body, 429 and 503 with
 * `Retry-After`, an HTML page, and a body over the size cap. Each command must end with an
 * error that names the URL and what happened, a non-zero exit, no stack, and its stored state
 * untouched. The endpoints are loopback servers started here; each test asserts how many
 * requests reached them, so a retry loop cannot hide.
 */
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { StoredCredential } from '../../src/auth/credential.js';
import {
  DEFAULT_TIMEOUT_MS,
  httpPost,
  isIdempotentMethod,
  MAX_RETRIES,
  MAX_RETRY_AFTER_SECONDS,
  retryDelayMs,
} from '../../src/auth/http.js';
import { requestDeviceAuthorization, requestToken, revokeToken, type OAuth2Config } from '../../src/auth/oauth2/index.js';
import { InterruptedError } from '../../src/cli/errors.js';
import { readCredential, saveConnection } from '../../src/connection/credentials.js';
import { DEFAULT_TIMEOUT_SECONDS, parseTimeoutSeconds } from '../../src/connection/request.js';
import type { ConnectionServices } from '../../src/connection/services.js';
import { ConnectionMetadata, type ConnectionRecord } from '../../src/store/metadata.js';
import { openSecretStore } from '../../src/store/select.js';
import { runCli, temporaryFolder, type CliResult } from '../support/cli.js';
import { runInProcess } from '../support/in-process.js';
import { MemoryStore } from '../support/memory-store.js';
import { unusedPort } from '../support/ports.js';

const LINK_NAME = 'zylker_files';
const CLIENT_ID = '1000.ZYLKERCLIENT';
const CLIENT_SECRET = 'cs-network-faults-client-secret';
const SECRET_VARIABLE = 'ZYLKER_CLIENT_SECRET';

// A loopback endpoint whose responses each test sets.

type Respond = (request: IncomingMessage, response: ServerResponse) => void;

interface Endpoint {
  url: string;
  /** How many requests reached the endpoint. */
  count(): number;
  close(): Promise<void>;
}

/** The maximum number of requests one endpoint serves; later ones get 500, so a runaway retry loop ends and shows in the count. */
const MAX_REQUESTS_PER_ENDPOINT = 10;

/** Starts an HTTP server on 127.0.0.1 that responds to the nth request with `responses[n]`, and to every later one with the last. */
async function startEndpoint(path: string, ...responses: Respond[]): Promise<Endpoint> {
  let count = 0;
  const server: Server = createServer((request, response) => {
    count += 1;
    const number = count;
    request.resume();
    request.on('end', () => {
      if (number > MAX_REQUESTS_PER_ENDPOINT) {
        response.writeHead(500, { 'Content-Type': 'text/plain' });
        response.end('the test endpoint got too many requests\n');
        return;
      }
      const respond = responses[Math.min(number, responses.length) - 1];
      respond?.(request, response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    count: () => count,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Returns the URL of a port that was bound and closed again, so a connection to it is refused. */
async function refusedUrl(path: string): Promise<string> {
  return `http://127.0.0.1:${await unusedPort()}${path}`;
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Respond =>
  (_request, response) => {
    response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };

/** Sends no response. The server closes the connection when the test ends. */
const hang: Respond = () => undefined;

/** Sends the headers and part of a JSON body, then destroys the socket. */
const resetMidBody: Respond = (_request, response) => {
  response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '4096' });
  response.write('{"access_token":"at-cut-off', () => response.socket?.destroy());
};

const busy =
  (status: 429 | 503, retryAfter: string): Respond =>
  (_request, response) => {
    response.writeHead(status, { 'Content-Type': 'text/plain', 'Retry-After': retryAfter });
    response.end('The server is busy, try again later.\n');
  };

const htmlPage =
  (status: number): Respond =>
  (_request, response) => {
    response.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end('<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Sign in to continue</h1></body></html>\n');
  };

/** Sends a JSON body of 2 MiB without Content-Length, so only counting the bytes read can catch it. */
const oversize: Respond = (_request, response) => {
  response.writeHead(200, { 'Content-Type': 'application/json' });
  response.end(`{"access_token":"${'a'.repeat(2 * 1024 * 1024)}"}`);
};

const htmlPage200 = htmlPage(200);

const tokenResponse = json(200, { access_token: 'at-issued-after-the-fault', token_type: 'Bearer', expires_in: 3600, scope: 'files.read' });

// A workspace whose connections live in the opt-in file store, where a test can read them.

let folder: { path: string; remove: () => void };
const endpoints: Endpoint[] = [];

beforeEach(() => {
  folder = temporaryFolder('connector-network-');
});
afterEach(async () => {
  for (const endpoint of endpoints.splice(0)) await endpoint.close();
  folder.remove();
});

async function endpoint(path: string, ...responses: Respond[]): Promise<Endpoint> {
  const started = await startEndpoint(path, ...responses);
  endpoints.push(started);
  return started;
}

const configFolder = (): string => join(folder.path, '.connector-config');
const env = (): NodeJS.ProcessEnv => ({ CONNECTOR_INSECURE_STORAGE: '1', CONNECTOR_CONFIG_DIR: configFolder(), [SECRET_VARIABLE]: CLIENT_SECRET });

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: folder.path, env: env() });
}

function services(): Promise<ConnectionServices> {
  return openSecretStore({ env: env() }).then((opened) => ({
    store: opened.store,
    storeKind: opened.kind,
    metadata: new ConnectionMetadata({ folder: configFolder(), clock: { now: () => Date.now() } }),
  }));
}

async function seedConnection(credential: StoredCredential, record: Partial<ConnectionRecord> = {}): Promise<void> {
  await saveConnection(await services(), credential, { connector: LINK_NAME, name: 'default', authType: credential.type, ...record });
}

/** Reads the default connection's credential from the file store and its record from the metadata. */
async function storedState(): Promise<{ credential: StoredCredential | null; record: ConnectionRecord | undefined }> {
  const opened = await services();
  return { credential: await readCredential(opened, LINK_NAME, 'default'), record: await opened.metadata.get(LINK_NAME, 'default') };
}

interface OAuth2Urls {
  grantType: 'clientCredentials' | 'deviceCode';
  tokenUrl: string;
  deviceAuthorizationUrl?: string;
  revokeTokenUrl?: string;
}

function writeOAuth2Connector(urls: OAuth2Urls): void {
  const lines = [
    'schemaVersion: 1',
    'name: Zylker Files',
    `linkName: ${LINK_NAME}`,
    'stage: ready',
    'auth:',
    '  type: oauth2',
    `  grantType: ${urls.grantType}`,
    `  clientId: "${CLIENT_ID}"`,
    `  clientSecret: env:${SECRET_VARIABLE}`,
    `  tokenUrl: ${urls.tokenUrl}`,
    ...(urls.deviceAuthorizationUrl === undefined ? [] : [`  deviceAuthorizationUrl: ${urls.deviceAuthorizationUrl}`]),
    ...(urls.revokeTokenUrl === undefined ? [] : [`  revokeTokenUrl: ${urls.revokeTokenUrl}`]),
    'scopes:',
    '  items:',
    '    - { name: Read files, value: files.read }',
    '',
  ];
  writeFileSync(join(folder.path, 'connector.yaml'), lines.join('\n'));
}

function writeBasicConnector(baseUrl: string): void {
  const text = `schemaVersion: 1
name: Zylker Files
linkName: ${LINK_NAME}
stage: ready
baseUrl: ${baseUrl}
auth:
  type: basic
  username: { name: User name, key: username }
  password: { name: Password, key: password }
test:
  method: GET
  url: /v1/me
`;
  writeFileSync(join(folder.path, 'connector.yaml'), text);
}

/** Checks the parts every fault shares: the exit code, the URL and what happened on stderr, and no stack or bug report. */
function expectReportedFailure(result: CliResult, expected: { url: string; message: RegExp; code?: number }): void {
  expect(result.code).toBe(expected.code ?? 1);
  expect(result.stderr).toContain(expected.url);
  expect(result.stderr).toMatch(expected.message);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toContain('unexpected failure');
}

/** Checks that a failed `connect` left no connection: no metadata file and no credential in the file store. */
async function expectNothingStored(): Promise<void> {
  expect(existsSync(join(configFolder(), 'connections.json'))).toBe(false);
  expect((await storedState()).credential).toBeNull();
}

/** A fault tried at every endpoint that receives a POST, with the error it must produce. */
interface PostFault {
  name: string;
  respond?: Respond;
  /** What stderr must contain after the endpoint's URL. */
  message: (url: string) => RegExp;
  /** Requests the endpoint must have received: three for a retried 503. */
  requests: number;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const postFaults: PostFault[] = [
  { name: 'refused connection', message: (url) => new RegExp(`POST ${escape(url)} failed: the connection was refused`), requests: 0 },
  {
    name: 'reset in the middle of the body',
    respond: resetMidBody,
    message: (url) => new RegExp(`POST ${escape(url)} failed: the connection was (reset|closed by the server)`),
    requests: 1,
  },
  {
    name: '503 with Retry-After: 0 on every attempt',
    respond: busy(503, '0'),
    message: () => /HTTP 503 Service Unavailable|\(HTTP 503\)/,
    requests: 1 + MAX_RETRIES,
  },
  {
    name: '429 with a Retry-After over the cap',
    respond: busy(429, '3600'),
    message: () => /HTTP 429 Too Many Requests|\(HTTP 429\)/,
    requests: 1,
  },
  { name: 'HTML page with status 200', respond: htmlPage200, message: () => /Sign in to continue/, requests: 1 },
  { name: 'HTML error page with status 502', respond: htmlPage(502), message: () => /HTTP 502|\(HTTP 502\)/, requests: 1 },
  {
    name: 'body over 1 MiB',
    respond: oversize,
    message: (url) => new RegExp(`The response from ${escape(url)} is larger than 1 MiB, so it was not read`),
    requests: 1,
  },
];

/** Starts the endpoint for a fault, or returns a refused URL for the refused connection. */
async function faultyEndpoint(fault: PostFault, path: string): Promise<{ url: string; count: () => number }> {
  if (fault.respond === undefined) return { url: await refusedUrl(path), count: () => 0 };
  return endpoint(path, fault.respond);
}

describe('token endpoint faults during connect', () => {
  it.each(postFaults)('$name: exit 1, nothing stored', async (fault) => {
    const token = await faultyEndpoint(fault, '/oauth/token');
    writeOAuth2Connector({ grantType: 'clientCredentials', tokenUrl: token.url });

    const result = await cli(['connect', '--no-input']);

    expectReportedFailure(result, { url: token.url, message: fault.message(token.url) });
    expect(token.count()).toBe(fault.requests);
    await expectNothingStored();
  });

  it('connects after one 503 with Retry-After: 0', async () => {
    const token = await endpoint('/oauth/token', busy(503, '0'), tokenResponse);
    writeOAuth2Connector({ grantType: 'clientCredentials', tokenUrl: token.url });

    const result = await cli(['connect', '--no-input', '--json']);

    expect(result.code).toBe(0);
    expect(token.count()).toBe(2);
    expect((await storedState()).credential).toMatchObject({ type: 'oauth2', accessToken: 'at-issued-after-the-fault' });
  });
});

describe('device authorization endpoint faults during connect', () => {
  it.each(postFaults)('$name: exit 1, nothing stored', async (fault) => {
    const device = await faultyEndpoint(fault, '/oauth/device');
    const token = await endpoint('/oauth/token', tokenResponse);
    writeOAuth2Connector({ grantType: 'deviceCode', tokenUrl: token.url, deviceAuthorizationUrl: device.url });

    const result = await cli(['connect', '--no-input', '--no-browser']);

    expectReportedFailure(result, { url: device.url, message: fault.message(device.url) });
    expect(device.count()).toBe(fault.requests);
    expect(token.count()).toBe(0);
    await expectNothingStored();
  });
});

describe('token endpoint faults while polling for device approval', () => {
  // A 10 ms interval keeps the polling fast. The verification URI is only printed, never opened.
  const deviceResponse = (verificationUri: string): Respond =>
    json(200, { device_code: 'dc-network-faults', user_code: 'WDJB-MJHT', verification_uri: verificationUri, expires_in: 60, interval: 0.01 });

  it.each(postFaults.filter((fault) => fault.respond !== undefined))('$name: exit 1, nothing stored', async (fault) => {
    const token = await endpoint('/oauth/token', fault.respond!);
    const device = await endpoint('/oauth/device', deviceResponse(`${new URL(token.url).origin}/device`));
    writeOAuth2Connector({ grantType: 'deviceCode', tokenUrl: token.url, deviceAuthorizationUrl: device.url });

    const result = await cli(['connect', '--no-input', '--no-browser']);

    expectReportedFailure(result, { url: token.url, message: fault.message(token.url) });
    expect(result.stderr).toContain('enter the code: WDJB-MJHT');
    expect(token.count()).toBe(fault.requests);
    await expectNothingStored();
  });
});

describe('token endpoint faults during a refresh', () => {
  const expired: StoredCredential = {
    type: 'oauth2',
    accessToken: 'at-expired-before-the-fault',
    tokenType: 'Bearer',
    refreshToken: 'rt-kept-through-the-fault',
    expiresAt: Date.parse('2025-01-31T09:30:00Z'),
    scopes: ['files.read'],
  };

  it.each(postFaults)('$name: exit 1, credential and metadata unchanged', async (fault) => {
    const token = await faultyEndpoint(fault, '/oauth/token');
    writeOAuth2Connector({ grantType: 'clientCredentials', tokenUrl: token.url });
    await seedConnection(expired, { grantType: 'clientCredentials', expiresAt: '2025-01-31T09:30:00.000Z', scopes: ['files.read'] });
    const before = await storedState();

    const result = await cli(['token']);

    expectReportedFailure(result, { url: token.url, message: fault.message(token.url) });
    expect(result.stdout).toBe('');
    expect(token.count()).toBe(fault.requests);
    expect(await storedState()).toEqual(before);
  });
});

describe('revocation endpoint faults during disconnect', () => {
  const credential: StoredCredential = {
    type: 'oauth2',
    accessToken: 'at-still-valid',
    tokenType: 'Bearer',
    refreshToken: 'rt-still-valid',
    expiresAt: Date.now() + 3_600_000,
    scopes: ['files.read'],
  };

  // RFC 7009 has the client ignore the body of a 2xx revocation response, so an HTML page
  // with status 200 counts as revoked and is left out here.
  it.each(postFaults.filter((fault) => fault.respond !== htmlPage200))('$name: exit 1, nothing deleted', async (fault) => {
    const revoke = await faultyEndpoint(fault, '/oauth/revoke');
    writeOAuth2Connector({ grantType: 'clientCredentials', tokenUrl: `${new URL(revoke.url).origin}/oauth/token`, revokeTokenUrl: revoke.url });
    await seedConnection(credential, { grantType: 'clientCredentials' });
    const before = await storedState();

    const result = await cli(['disconnect']);

    expectReportedFailure(result, { url: revoke.url, message: fault.message(revoke.url) });
    expect(result.stderr).toContain('revoking connection default of zylker_files failed, so nothing was deleted');
    expect(result.stderr).toContain('--force');
    // The refresh token is revoked first, and the failure stops before the access token.
    expect(revoke.count()).toBe(fault.requests);
    expect(await storedState()).toEqual(before);
  });
});

describe('OAuth 1.0a revocation after a 503', () => {
  it('signs the retry with a fresh nonce', async () => {
    const nonces: string[] = [];
    const recordNonce: Respond = (request) => {
      nonces.push(/oauth_nonce="([^"]+)"/.exec(request.headers.authorization ?? '')?.[1] ?? '');
    };
    const revoke = await endpoint(
      '/oauth/revoke',
      (request, response) => {
        recordNonce(request, response);
        busy(503, '0')(request, response);
      },
      (request, response) => {
        recordNonce(request, response);
        response.writeHead(200);
        response.end();
      },
    );
    const origin = new URL(revoke.url).origin;
    writeFileSync(
      join(folder.path, 'connector.yaml'),
      `schemaVersion: 1
name: Zylker Files
linkName: ${LINK_NAME}
stage: ready
auth:
  type: oauth1
  consumerKey: ck-network-faults
  consumerSecret: env:${SECRET_VARIABLE}
  requestTokenUrl: ${origin}/oauth/request_token
  authorizationUrl: ${origin}/oauth/authorize
  accessTokenUrl: ${origin}/oauth/access_token
  revokeTokenUrl: ${revoke.url}
  signatureMethod: HMAC-SHA1
`,
    );
    await seedConnection({ type: 'oauth1', token: 'tk-network-faults', tokenSecret: 'ts-network-faults' });

    const result = await cli(['disconnect', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ revoked: true, deleted: true });
    expect(revoke.count()).toBe(2);
    expect(nonces).toHaveLength(2);
    expect(nonces[0]).not.toBe('');
    expect(nonces[1]).not.toBe(nonces[0]);
  });
});

describe('API faults during request and check', () => {
  const basic: StoredCredential = { type: 'basic', username: 'alice', password: 'pw-network-faults' };

  async function seedBasic(api: { url: string }): Promise<void> {
    writeBasicConnector(new URL(api.url).origin);
    await seedConnection(basic);
  }

  it('request: silent server times out', async () => {
    const api = await endpoint('/v1/me', hang);
    await seedBasic(api);

    const result = await cli(['request', '/v1/me', '--timeout', '0.5']);

    expectReportedFailure(result, { url: api.url, message: new RegExp(`GET ${escape(api.url)} timed out after 0.5 s`) });
    expect(result.stderr).toContain('--timeout');
    expect(api.count()).toBe(1);
  });

  it('request: reset mid-body exits 1', async () => {
    const api = await endpoint('/v1/me', resetMidBody);
    await seedBasic(api);

    const result = await cli(['request', '/v1/me']);

    expectReportedFailure(result, { url: api.url, message: new RegExp(`GET ${escape(api.url)} failed while reading the response`) });
    expect(api.count()).toBe(1);
  });

  it('request --json: reset mid-body prints the error', async () => {
    const api = await endpoint('/v1/me', resetMidBody);
    await seedBasic(api);

    const result = await cli(['request', '/v1/me', '--json']);

    expectReportedFailure(result, { url: api.url, message: /failed while reading the response/ });
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { exitCode: 1 } });
  });

  it('request: HTML 502 page exits 1', async () => {
    const api = await endpoint('/v1/me', htmlPage(502));
    await seedBasic(api);

    const result = await cli(['request', '/v1/me']);

    expectReportedFailure(result, { url: api.url, message: /returned HTTP 502 Bad Gateway/ });
    expect(result.stdout).toContain('Sign in to continue');
  });

  it('request: POST is not retried after 503', async () => {
    const api = await endpoint('/v1/me', busy(503, '0'), json(200, { ok: true }));
    await seedBasic(api);

    const result = await cli(['request', 'POST', '/v1/me', '--data-json', '{"name":"report.pdf"}']);

    expectReportedFailure(result, { url: api.url, message: /returned HTTP 503 Service Unavailable/ });
    expect(api.count()).toBe(1);
  });

  it('request: GET is retried after 503', async () => {
    const api = await endpoint('/v1/me', busy(503, '0'), json(200, { ok: true }));
    await seedBasic(api);

    const result = await cli(['request', '/v1/me']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ok: true });
    expect(api.count()).toBe(2);
  });

  it('request: GET stops after three 503 responses', async () => {
    const api = await endpoint('/v1/me', busy(503, '0'), busy(503, '0'), busy(503, '0'), json(200, { ok: true }));
    await seedBasic(api);

    const result = await cli(['request', '/v1/me']);

    expect(result.code).toBe(1);
    expect(api.count()).toBe(3);
  });

  it('check: silent server times out', async () => {
    const api = await endpoint('/v1/me', hang);
    await seedBasic(api);

    const result = await cli(['check', '--timeout', '0.5']);

    expectReportedFailure(result, { url: api.url, message: /timed out after 0\.5 s/ });
    expect(api.count()).toBe(1);
  });

  it('check: refused connection exits 1', async () => {
    const url = await refusedUrl('/v1/me');
    await seedBasic({ url });

    const result = await cli(['check', '--json']);
    const report = JSON.parse(result.stdout) as { ok: boolean; status: number | null; error: string };

    expect(result.code).toBe(1);
    expect(report).toMatchObject({ ok: false, status: null });
    expect(report.error).toContain(url);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('timeouts of the provider endpoints', () => {
  function config(urls: { tokenUrl: string; deviceAuthorizationUrl?: string; revokeTokenUrl?: string }): OAuth2Config {
    return {
      auth: {
        type: 'oauth2',
        grantType: 'deviceCode',
        clientId: CLIENT_ID,
        bearerName: 'Bearer',
        expiresIn: 3600,
        pkce: true,
        clientAuthentication: 'body',
        tokenRequestFormat: 'form',
        ...urls,
      },
      clientSecret: CLIENT_SECRET,
      scopes: ['files.read'],
      scopeDelimiter: 'comma',
    };
  }

  // `connect`, `token` and `disconnect` have no flag for the provider timeout, so the
  // functions they call are given a short one here.
  it.each([
    { endpoint: 'token', send: (url: string) => requestToken(config({ tokenUrl: url }), { params: { grant_type: 'client_credentials' } }, { fetch, timeoutMs: 500 }) },
    {
      endpoint: 'device authorization',
      send: (url: string) => requestDeviceAuthorization(config({ tokenUrl: url, deviceAuthorizationUrl: url }), { fetch, timeoutMs: 500 }),
    },
    { endpoint: 'revocation', send: (url: string) => revokeToken(config({ tokenUrl: url, revokeTokenUrl: url }), { token: 'at-1' }, { fetch, timeoutMs: 500 }) },
  ])('$endpoint: silent server times out', async ({ send }) => {
    const silent = await endpoint('/oauth/endpoint', hang);

    const request = send(silent.url);

    await expect(request).rejects.toThrow(`POST ${silent.url} timed out after 500 ms.`);
    await expect(request).rejects.toMatchObject({ exitCode: 1, timedOut: true });
    expect(silent.count()).toBe(1);
  });

  it('provider requests default to 30 s', async () => {
    const token = await endpoint('/oauth/token', tokenResponse);
    const timeouts = vi.spyOn(AbortSignal, 'timeout');

    try {
      await requestToken(config({ tokenUrl: token.url }), { params: { grant_type: 'client_credentials' } }, { fetch });

      expect(DEFAULT_TIMEOUT_MS).toBe(30_000);
      expect(timeouts).toHaveBeenCalledWith(30_000);
    } finally {
      timeouts.mockRestore();
    }
  });

  it('request and check default to 30 s', async () => {
    const store = new MemoryStore();
    const metadata = new ConnectionMetadata({ folder: configFolder(), clock: { now: () => Date.now() } });
    await saveConnection({ store, storeKind: 'keychain', metadata }, { type: 'basic', username: 'alice', password: 'pw' }, { connector: LINK_NAME, name: 'default', authType: 'basic' });
    // The fake fetch responds in place of the example host, so nothing is sent anywhere.
    writeBasicConnector('https://api.zylker.example');
    const overrides = { secretStore: async () => store, fetch: (async () => new Response('{}', { status: 200 })) as typeof fetch };
    const timeouts = vi.spyOn(AbortSignal, 'timeout');

    try {
      const request = await runInProcess(['request', '/v1/me'], { cwd: folder.path, overrides });
      const check = await runInProcess(['check'], { cwd: folder.path, overrides });

      expect(request.code).toBe(0);
      expect(check.code).toBe(0);
      expect(DEFAULT_TIMEOUT_SECONDS).toBe(30);
      expect(parseTimeoutSeconds(undefined)).toBe(30);
      expect(timeouts.mock.calls.filter(([ms]) => ms === 30_000)).toHaveLength(2);
    } finally {
      timeouts.mockRestore();
    }
  });
});

describe('httpPost retry after 429 and 503', () => {
  /** Returns a fetch that takes its responses from a list, repeating the last, and counts the calls. */
  function scriptedFetch(...answers: Array<() => Response>): { fetch: typeof fetch; calls: () => number } {
    let calls = 0;
    const fake = (async () => {
      calls += 1;
      const answer = answers[Math.min(calls, answers.length) - 1];
      if (answer === undefined) throw new Error('no answer scripted');
      return answer();
    }) as typeof fetch;
    return { fetch: fake, calls: () => calls };
  }

  const status = (code: number, headers: Record<string, string> = {}) => () => new Response('busy', { status: code, headers });
  const ok = () => Response.json({ access_token: 'at' });
  // The example URL is never contacted, because the scripted fetch responds in its place.
  const url = 'https://accounts.zylker.example/oauth/v2/token';

  function post(fake: typeof fetch, sleeps: number[], extra: { now?: () => number; signal?: AbortSignal } = {}) {
    return httpPost({ fetch: fake, url, body: { form: {} }, sleep: async (ms) => void sleeps.push(ms), ...extra });
  }

  it('waits Retry-After seconds, then succeeds', async () => {
    const scripted = scriptedFetch(status(503, { 'Retry-After': '7' }), ok);
    const sleeps: number[] = [];

    const response = await post(scripted.fetch, sleeps);

    expect(response.status).toBe(200);
    expect(sleeps).toEqual([7000]);
    expect(scripted.calls()).toBe(2);
  });

  it('retries at most twice, then returns the status', async () => {
    const scripted = scriptedFetch(status(429, { 'Retry-After': '1' }));
    const sleeps: number[] = [];

    const response = await post(scripted.fetch, sleeps);

    expect(response.status).toBe(429);
    expect(sleeps).toEqual([1000, 1000]);
    expect(scripted.calls()).toBe(3);
  });

  it.each([
    { case: 'a Retry-After over the cap', answer: status(503, { 'Retry-After': String(MAX_RETRY_AFTER_SECONDS + 1) }) },
    { case: 'no Retry-After', answer: status(503) },
    { case: 'a Retry-After that is not a number or date', answer: status(429, { 'Retry-After': 'soon' }) },
    { case: 'another status with Retry-After', answer: status(500, { 'Retry-After': '1' }) },
    { case: 'a 400 token error', answer: () => Response.json({ error: 'invalid_grant' }, { status: 400, headers: { 'Retry-After': '1' } }) },
  ])('does not retry $case', async ({ answer }) => {
    const scripted = scriptedFetch(answer, ok);
    const sleeps: number[] = [];

    await post(scripted.fetch, sleeps);

    expect(scripted.calls()).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('reads Retry-After as an HTTP date', async () => {
    const now = Date.parse('2025-01-31T09:30:00Z');
    const scripted = scriptedFetch(status(503, { 'Retry-After': 'Fri, 31 Jan 2025 09:30:05 GMT' }), ok);
    const sleeps: number[] = [];

    await post(scripted.fetch, sleeps, { now: () => now });

    expect(sleeps).toEqual([5000]);
  });

  it('retries at once for an HTTP date in the past', () => {
    const headers = new Headers({ 'Retry-After': 'Fri, 31 Jan 2025 09:29:00 GMT' });

    expect(retryDelayMs(503, headers, Date.parse('2025-01-31T09:30:00Z'))).toBe(0);
  });

  it('does not retry a reset connection', async () => {
    const reset = await endpoint('/oauth/token', resetMidBody, tokenResponse);
    const sleeps: number[] = [];

    await expect(httpPost({ fetch, url: reset.url, body: { form: {} }, sleep: async (ms) => void sleeps.push(ms) })).rejects.toThrow(/failed: the connection was/);
    expect(reset.count()).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('does not retry a timeout', async () => {
    const silent = await endpoint('/oauth/token', hang, tokenResponse);

    await expect(httpPost({ fetch, url: silent.url, body: { form: {} }, timeoutMs: 300 })).rejects.toThrow('timed out after 300 ms');
    expect(silent.count()).toBe(1);
  });

  it('stops with InterruptedError when aborted during the wait', async () => {
    const scripted = scriptedFetch(status(503, { 'Retry-After': '5' }), ok);
    const controller = new AbortController();
    const sleep = async (_ms: number, signal?: AbortSignal): Promise<void> => {
      controller.abort();
      signal?.throwIfAborted();
    };

    const request = httpPost({ fetch: scripted.fetch, url, body: { form: {} }, sleep, signal: controller.signal });

    await expect(request).rejects.toBeInstanceOf(InterruptedError);
    expect(scripted.calls()).toBe(1);
  });

  it('builds the headers again for each attempt', async () => {
    const sent: string[] = [];
    const fake = (async (_input: unknown, init?: RequestInit) => {
      sent.push(new Headers(init?.headers).get('Authorization') ?? '');
      return sent.length === 1 ? status(503, { 'Retry-After': '0' })() : ok();
    }) as typeof fetch;
    let signatures = 0;

    await httpPost({ fetch: fake, url, body: { form: {} }, headers: () => ({ Authorization: `OAuth oauth_nonce="n${++signatures}"` }), sleep: async () => undefined });

    expect(sent).toEqual(['OAuth oauth_nonce="n1"', 'OAuth oauth_nonce="n2"']);
  });

  it.each([
    ['GET', true],
    ['head', true],
    ['PUT', true],
    ['DELETE', true],
    ['OPTIONS', true],
    ['POST', false],
    ['PATCH', false],
  ])('isIdempotentMethod(%s) is %s', (method, expected) => {
    expect(isIdempotentMethod(method)).toBe(expected);
  });
});
