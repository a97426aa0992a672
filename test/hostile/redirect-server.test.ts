/**
 * The loopback redirect server of a real `connector connect`: the built CLI with --no-browser,
 * against the OpenID Connect provider in test/support. Other requests reach its port while it
 * waits: a burst, very long URLs, other methods, other Host headers as DNS rebinding sends
 * them, and the provider's own redirect on the wrong path. None of them may end or change the
 * flow, so only the valid redirect completes it. Every request goes to 127.0.0.1, whatever
 * Host header it carries.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { temporaryFolder } from '../support/cli.js';
import { startOidcProvider, type OidcTestProvider } from '../support/oidc-provider.js';
import { completeAuthorization } from '../support/user-agent.js';
import { startCli } from '../cli/connect-support.js';

let provider: OidcTestProvider;
beforeAll(async () => {
  provider = await startOidcProvider();
});
afterAll(async () => {
  await provider.close();
});

let folder: { path: string; remove: () => void };
beforeEach(() => {
  folder = temporaryFolder('connector-redirect-');
});
afterEach(() => folder.remove());

/** Writes a Ready connector for the provider's public native client, whose registered redirect URI ends in /callback/zylker_files. */
function writeConnector(): void {
  const text = `schemaVersion: 1
name: Zylker Files
linkName: zylker_files
stage: ready
auth:
  type: oauth2
  grantType: authorizationCode
  clientId: ${provider.clients.nativeApp.clientId}
  authorizationUrl: ${provider.endpoints.authorization}
  tokenUrl: ${provider.endpoints.token}
scopes:
  delimiter: space
  items:
    - { name: OpenID, value: openid }
    - { name: Profile, value: profile }
`;
  writeFileSync(join(folder.path, 'connector.yaml'), text);
}

/** The line the CLI prints with the authorization URL. */
const AUTHORIZATION_URL = /^(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)$/m;

interface RawResponse {
  /** The HTTP status, or the error code when the server closed the connection without a response. */
  status: number | string;
  body: string;
}

/**
 * Sends one request to 127.0.0.1 on `port` with a raw request target and any Host header,
 * which `fetch` does not allow. Each request has its own connection.
 */
function send(port: number, target: string, options: { method?: string; host?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const outgoing = httpRequest(
      { host: '127.0.0.1', port, path: target, method: options.method ?? 'GET', agent: false, headers: { Host: options.host ?? `127.0.0.1:${port}` } },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? 'error', body }));
      },
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? 'error', body: '' }));
    outgoing.end();
  });
}

/** Reads what `connect` stored: the connection records and the credential in the plain file store. */
function stored(): { connections: unknown[]; credential: string | undefined } {
  const configFolder = join(folder.path, '.connector-config');
  const connectionsPath = join(configFolder, 'connections.json');
  const secretsPath = join(configFolder, 'secrets.json');
  const connections = existsSync(connectionsPath) ? (JSON.parse(readFileSync(connectionsPath, 'utf8')) as { connections: unknown[] }).connections : [];
  const secrets = existsSync(secretsPath) ? (JSON.parse(readFileSync(secretsPath, 'utf8')) as { services: Record<string, Record<string, string>> }).services : {};
  return { connections, credential: secrets['connector:zylker_files']?.['connection:default'] };
}

const BURST_SIZE = 200;

/** Returns request targets on and around the callback path `path` that are not the provider's redirect. */
function strayTargets(path: string): string[] {
  return [
    '/',
    '/favicon.ico',
    path,
    `${path}?`,
    `${path}?utm_source=scan`,
    `${path}?state=forged-state-without-a-code`,
    `${path}/extra`,
    `${path.toUpperCase()}?code=stray&state=stray`,
    '/callback',
    '/..%2f..%2fetc%2fpasswd',
  ];
}

describe('redirect server under bad requests during connect', () => {
  it('completes only with the valid redirect', async () => {
    writeConnector();
    const running = startCli(['connect', '--no-input', '--no-browser', '--insecure-storage', '--json'], { cwd: folder.path });
    const [, authorizationUrl = ''] = await running.waitForStderr(AUTHORIZATION_URL);
    const redirectUri = new URL(new URL(authorizationUrl).searchParams.get('redirect_uri') ?? '');
    const port = Number(redirectUri.port);
    const path = redirectUri.pathname;

    // A burst before the user has even signed in.
    const targets = strayTargets(path);
    const burst = await Promise.all(Array.from({ length: BURST_SIZE }, (_, index) => send(port, targets[index % targets.length] ?? '/')));
    const burstStatuses = new Set(burst.map((response) => response.status));

    // Very long request targets: over the 8 KiB limit of the server, and over Node's header limit.
    const long = await send(port, `${path}?code=stray&state=stray&padding=${'x'.repeat(10 * 1024)}`);
    const veryLong = await send(port, `${path}?padding=${'x'.repeat(100 * 1024)}`);

    // Other methods on the callback path.
    const methods = await Promise.all(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'].map((method) => send(port, `${path}?code=stray&state=stray`, { method })));

    // DNS rebinding: a page on another site reaches this port with its own host name.
    const rebound = await send(port, `${path}?code=stray&state=stray`, { host: `attacker.example:${port}` });
    const localhost = await send(port, `${path}?code=stray&state=stray`, { host: `localhost:${port}` });

    // The scripted browser signs in and consents. Its redirect is held back and first sent in
    // the wrong ways: on another path, with a foreign Host, with POST, and padded past the limit.
    let redirect: URL | undefined;
    const wrongPath = await completeAuthorization(authorizationUrl, {
      rewriteCallback: (url) => {
        redirect = new URL(url);
        return new URL(`/not-the-callback${url.search}`, url);
      },
    });
    if (redirect === undefined) throw new Error('the scripted browser did not reach the redirect URI');
    const target = `${redirect.pathname}${redirect.search}`;
    const reboundRedirect = await send(port, target, { host: `attacker.example:${port}` });
    const postedRedirect = await send(port, target, { method: 'POST' });
    const paddedRedirect = await send(port, `${target}&padding=${'x'.repeat(10 * 1024)}`);

    const valid = await send(port, target);
    const result = await running.result;
    const afterwards = await send(port, target);

    expect(burst).toHaveLength(BURST_SIZE);
    expect([...burstStatuses].sort()).toEqual([400, 404]);
    expect(long.status).toBe(414);
    // Node responds with 431 to a request head over its limit, or closes the connection first.
    expect([431, 'ECONNRESET', 'EPIPE']).toContain(veryLong.status);
    expect(methods.map((response) => response.status)).toEqual([405, 405, 405, 405, 405, 405]);
    expect(rebound.status).toBe(421);
    expect(localhost.status).toBe(421);
    expect(wrongPath.status).toBe(404);
    expect(reboundRedirect.status).toBe(421);
    expect(postedRedirect.status).toBe(405);
    expect(paddedRedirect.status).toBe(414);

    expect(valid.status).toBe(200);
    expect(valid.body).toContain('Authorization complete');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ connection: 'default', connector: 'zylker_files', grantType: 'authorizationCode', store: 'file' });
    expect(typeof afterwards.status).toBe('string');

    const { connections, credential } = stored();
    expect(connections).toHaveLength(1);
    expect(JSON.parse(credential ?? 'null')).toMatchObject({ type: 'oauth2', tokenType: 'Bearer' });
  });

  it('keeps the code unused after a rebound redirect', async () => {
    writeConnector();
    const running = startCli(['connect', '--no-input', '--no-browser', '--insecure-storage', '--json'], { cwd: folder.path });
    const [, authorizationUrl = ''] = await running.waitForStderr(AUTHORIZATION_URL);
    const port = Number(new URL(new URL(authorizationUrl).searchParams.get('redirect_uri') ?? '').port);

    // The valid redirect with a foreign Host header comes first. Had the server exchanged its
    // code, the provider would reject the second exchange and the connection would fail.
    let redirect: URL | undefined;
    await completeAuthorization(authorizationUrl, {
      rewriteCallback: (url) => {
        redirect = new URL(url);
        return new URL('/favicon.ico', url);
      },
    });
    if (redirect === undefined) throw new Error('the scripted browser did not reach the redirect URI');
    const target = `${redirect.pathname}${redirect.search}`;

    const rebound = await send(port, target, { host: `attacker.example:${port}` });
    const valid = await send(port, target);
    const result = await running.result;

    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain('Authorization');
    expect(valid.status).toBe(200);
    expect(result.code).toBe(0);
    expect(stored().connections).toHaveLength(1);
  });

  // A redirect that carries a code with another state may be forged, so it ends the flow at
  // once with exit 4 rather than leaving the user to wait for the timeout.
  it('ends with exit 4 on a code with a wrong state', async () => {
    writeConnector();
    const running = startCli(['connect', '--no-input', '--no-browser', '--insecure-storage'], { cwd: folder.path });
    const [, authorizationUrl = ''] = await running.waitForStderr(AUTHORIZATION_URL);

    const forged = await completeAuthorization(authorizationUrl, {
      rewriteCallback: (url) => {
        const changed = new URL(url);
        changed.searchParams.set('state', 'forged-state');
        return changed;
      },
    });
    const result = await running.result;

    expect(forged.status).toBe(400);
    expect(forged.body).toContain('Authorization rejected');
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('state mismatch');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(stored()).toEqual({ connections: [], credential: undefined });
  });
});
