/**
 * `connector connect`, `connections` and `disconnect` through the built CLI against a real
 * OpenID Connect provider on 127.0.0.1. The scripted user agent acts where a browser would,
 * on the authorization URL the running process prints to stderr.
 */
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { runCli, temporaryFolder } from '../support/cli.js';
import { startOidcProvider, type OidcTestProvider } from '../support/oidc-provider.js';
import { completeAuthorization, completeDeviceAuthorization } from '../support/user-agent.js';
import { readFileStore, startCli } from './connect-support.js';

let provider: OidcTestProvider;
beforeAll(async () => {
  provider = await startOidcProvider();
});
afterAll(async () => {
  await provider.close();
});

let folder: { path: string; remove: () => void };
beforeEach(() => {
  folder = temporaryFolder();
});
afterEach(() => folder.remove());

const cli = (args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) => runCli(args, { cwd: folder.path, ...options });

interface OAuth2Fields {
  grantType: 'authorizationCode' | 'clientCredentials' | 'deviceCode';
  clientId: string;
  clientSecret?: string;
  scopes: string[];
  stage?: 'draft' | 'ready';
}

/** Writes a connector for the test provider; the link name matches the callback path the provider has registered. */
function writeConnector(fields: OAuth2Fields): void {
  const lines = [
    'schemaVersion: 1',
    'name: Zylker Files',
    'linkName: zylker_files',
    `stage: ${fields.stage ?? 'ready'}`,
    'auth:',
    '  type: oauth2',
    `  grantType: ${fields.grantType}`,
    `  clientId: ${fields.clientId}`,
    ...(fields.clientSecret === undefined ? [] : [`  clientSecret: ${fields.clientSecret}`]),
    `  authorizationUrl: ${provider.endpoints.authorization}`,
    `  deviceAuthorizationUrl: ${provider.endpoints.deviceAuthorization}`,
    `  tokenUrl: ${provider.endpoints.token}`,
    `  revokeTokenUrl: ${provider.endpoints.revocation}`,
    'scopes:',
    '  delimiter: space',
    '  items:',
    ...fields.scopes.map((scope) => `    - { name: ${scope}, value: ${scope} }`),
    '',
  ];
  writeFileSync(join(folder.path, 'connector.yaml'), lines.join('\n'));
}

const codeConnector: OAuth2Fields = { grantType: 'authorizationCode', clientId: 'native-app', scopes: ['openid', 'offline_access', 'profile', 'email'] };
const serviceConnector: OAuth2Fields = { grantType: 'clientCredentials', clientId: 'service', clientSecret: 'env:SERVICE_SECRET', scopes: ['files.read', 'files.write'] };
const serviceEnv = () => ({ SERVICE_SECRET: provider.clients.service.clientSecret ?? '' });

function storedTokens(connection = 'default'): { accessToken: string; refreshToken?: string; scopes?: string[]; expiresAt?: number } {
  const value = readFileStore(folder.path)['connector:zylker_files']?.[`connection:${connection}`];
  if (value === undefined) throw new Error(`no stored credential for ${connection}`);
  return JSON.parse(value) as { accessToken: string; refreshToken?: string };
}

async function introspect(token: string): Promise<{ active: boolean }> {
  const { clientId, clientSecret = '' } = provider.clients.service;
  const response = await fetch(provider.endpoints.introspection, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: clientId, client_secret: clientSecret }),
  });
  return (await response.json()) as { active: boolean };
}

async function userinfoStatus(accessToken: string): Promise<number> {
  const response = await fetch(provider.endpoints.userinfo, { headers: { Authorization: `Bearer ${accessToken}` } });
  await response.body?.cancel();
  return response.status;
}

/** The line the CLI prints with the authorization URL, which the scripted browser then opens. */
const AUTHORIZATION_URL = /^(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)$/m;

describe('authorization code grant with PKCE', () => {
  it('connects, lists, and disconnects with revocation', async () => {
    writeConnector(codeConnector);
    const running = startCli(['connect', '--no-input', '--no-browser', '--insecure-storage', '--json'], { cwd: folder.path });

    const [, url = ''] = await running.waitForStderr(AUTHORIZATION_URL);
    const callback = await completeAuthorization(url);
    const result = await running.result;

    const query = new URL(url).searchParams;
    expect(query.get('code_challenge_method')).toBe('S256');
    expect(query.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\/zylker_files$/);
    expect(callback.status).toBe(200);
    expect(result.stderr).toContain('Open this URL in a browser to authorize the connection:');
    expect(result.stderr).toMatch(/Waiting for the authorization: \d:\d\d left \(Ctrl-C cancels\)/);
    // oidc-provider grants offline_access only when the consent is prompted for.
    expect(result.stderr).toContain('The provider did not grant these scopes: offline_access.');
    expect(result.code).toBe(0);

    const connected = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(connected).toMatchObject({
      connection: 'default',
      connector: 'zylker_files',
      authType: 'oauth2',
      grantType: 'authorizationCode',
      store: 'file',
      scopes: ['openid', 'profile', 'email'],
      missingScopes: ['offline_access'],
    });
    expect(Date.parse(String(connected.expiresAt))).toBeGreaterThan(Date.now());
    expect(result.stdout).not.toContain(storedTokens().accessToken);

    const tokens = storedTokens();
    expect(await userinfoStatus(tokens.accessToken)).toBe(200);

    const list = await cli(['connections', '--json', '--insecure-storage']);
    expect(JSON.parse(list.stdout)).toMatchObject([
      { name: 'default', connector: 'zylker_files', authType: 'oauth2', grantType: 'authorizationCode', store: 'file', status: 'ok', missingScopes: ['offline_access'] },
    ]);

    const disconnected = await cli(['disconnect', '--json', '--insecure-storage']);
    expect(disconnected.code).toBe(0);
    expect(JSON.parse(disconnected.stdout)).toEqual({ connection: 'default', connector: 'zylker_files', revoked: true, deleted: true });
    expect(await userinfoStatus(tokens.accessToken)).toBe(401);
    expect((await introspect(tokens.accessToken)).active).toBe(false);
    expect(readFileStore(folder.path)['connector:zylker_files']).toBeUndefined();
    expect(JSON.parse((await cli(['connections', '--json', '--insecure-storage'])).stdout)).toEqual([]);
  });

  it('exits 4 at once when the user denies access, saving nothing', async () => {
    writeConnector(codeConnector);
    const running = startCli(['connect', '--no-input', '--no-browser', '--insecure-storage'], { cwd: folder.path });

    const [, url = ''] = await running.waitForStderr(AUTHORIZATION_URL);
    const callback = await completeAuthorization(url, { consent: 'deny' });
    const result = await running.result;

    expect(callback.status).toBe(400);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('Access was denied at the provider (access_denied');
    expect(existsSync(join(folder.path, '.connector-config', 'connections.json'))).toBe(false);
  });

  it('accepts the URL the browser ended on, pasted into stdin', async () => {
    writeConnector(codeConnector);
    // The browser runs "elsewhere": its redirect goes to a page that is not the CLI's server.
    const elsewhere = await startPlainServer();
    const running = startCli(['connect', '--no-input', '--paste', '--insecure-storage', '--json'], { cwd: folder.path });

    try {
      const [, url = ''] = await running.waitForStderr(AUTHORIZATION_URL);
      let landedOn = '';
      await completeAuthorization(url, {
        rewriteCallback: (redirect) => {
          landedOn = redirect.toString();
          return new URL(`${elsewhere.url}/landed`);
        },
      });
      running.writeStdin('not a url\n');
      await running.waitForStderr(/Invalid URL "not a url"/);
      running.writeStdin(`${landedOn}\n`);
      const result = await running.result;

      expect(result.stderr).toContain('Reading the URL the browser ended on from stdin');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ connection: 'default', grantType: 'authorizationCode' });
    } finally {
      running.endStdin();
      await elsewhere.close();
    }
  });

  it('ends the wait after --timeout seconds, saving nothing', async () => {
    writeConnector(codeConnector);

    const result = await cli(['connect', '--no-input', '--no-browser', '--insecure-storage', '--timeout', '1']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No authorization response arrived within 1 second.');
    expect(existsSync(join(folder.path, '.connector-config', 'connections.json'))).toBe(false);
  });

  it('ends with exit 130 and saves nothing on SIGINT', async () => {
    writeConnector(codeConnector);
    const running = startCli(['connect', '--no-input', '--no-browser', '--insecure-storage'], { cwd: folder.path });

    await running.waitForStderr(AUTHORIZATION_URL);
    process.kill(running.pid ?? 0, 'SIGINT');
    const result = await running.result;

    expect(result.code).toBe(130);
    expect(existsSync(join(folder.path, '.connector-config', 'connections.json'))).toBe(false);
  });
});

describe('client credentials grant', () => {
  it('connects, lists, and disconnects with revocation', async () => {
    writeConnector(serviceConnector);

    const result = await cli(['connect', '--no-input', '--insecure-storage', '--json'], { env: serviceEnv() });
    const tokens = storedTokens();

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ grantType: 'clientCredentials', scopes: ['files.read', 'files.write'], missingScopes: [] });
    expect((await introspect(tokens.accessToken)).active).toBe(true);

    const list = await cli(['connections', '--insecure-storage']);
    expect(list.stdout).toMatch(/^zylker_files\s+default\s+oauth2 \(clientCredentials\)\s+\S+ \S+\s+\S+ \S+\s+files\.read files\.write\s+file\s+ok$/m);

    const disconnected = await cli(['disconnect', '--insecure-storage'], { env: serviceEnv() });
    expect(disconnected.code).toBe(0);
    expect(disconnected.stderr).toContain('Disconnected zylker_files/default: revoked its tokens and deleted its credential and metadata.');
    expect((await introspect(tokens.accessToken)).active).toBe(false);
  });

  it('deletes nothing when revocation fails, unless --force', async () => {
    writeConnector(serviceConnector);
    await cli(['connect', '--no-input', '--insecure-storage'], { env: serviceEnv() });
    const tokens = storedTokens();

    // Without the client secret the revocation request cannot authenticate the client.
    const refused = await cli(['disconnect', '--insecure-storage']);
    const still = await cli(['connections', '--insecure-storage', '--json']);
    const forced = await cli(['disconnect', '--insecure-storage', '--force', '--json']);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('revoking connection default of zylker_files failed, so nothing was deleted');
    expect(refused.stderr).toContain('SERVICE_SECRET');
    expect(refused.stderr).toContain('--force');
    expect(JSON.parse(still.stdout)).toHaveLength(1);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('warning: revoking connection default of zylker_files failed');
    expect(JSON.parse(forced.stdout)).toEqual({ connection: 'default', connector: 'zylker_files', revoked: false, deleted: true });
    expect((await introspect(tokens.accessToken)).active).toBe(true);
  });

  it('reports a rejected client with exit 4', async () => {
    writeConnector(serviceConnector);

    const result = await cli(['connect', '--no-input', '--insecure-storage'], { env: { SERVICE_SECRET: 'wrong-secret-of-enough-length-for-the-check' } });

    expect(result.code).toBe(4);
    expect(result.stderr).toContain('invalid_client');
    expect(result.stderr).not.toContain('wrong-secret');
  });
});

describe('device authorization grant', () => {
  it('shows the user code, polls until approval, and disconnects', async () => {
    writeConnector({ grantType: 'deviceCode', clientId: 'device-app', scopes: ['openid', 'profile'] });
    const running = startCli(['connect', '--no-input', '--no-browser', '--insecure-storage', '--json'], { cwd: folder.path });

    const [, uri = '', code = ''] = await running.waitForStderr(/open (\S+) and enter the code: (\S+)/);
    await completeDeviceAuthorization(uri, code);
    const result = await running.result;

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ grantType: 'deviceCode', scopes: ['openid', 'profile'] });
    const tokens = storedTokens();
    expect(await userinfoStatus(tokens.accessToken)).toBe(200);

    const disconnected = await cli(['disconnect', '--insecure-storage', '--json']);
    expect(JSON.parse(disconnected.stdout)).toMatchObject({ revoked: true, deleted: true });
    expect(await userinfoStatus(tokens.accessToken)).toBe(401);
  });

  it('ends the wait after --timeout seconds without approval', async () => {
    writeConnector({ grantType: 'deviceCode', clientId: 'device-app', scopes: ['openid'] });

    const result = await cli(['connect', '--no-input', '--no-browser', '--insecure-storage', '--timeout', '1']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('enter the code');
    expect(result.stderr).toContain('No approval arrived within 1 seconds.');
    expect(existsSync(join(folder.path, '.connector-config', 'connections.json'))).toBe(false);
  });
});

describe('connect guards for OAuth 2.0', () => {
  it('refuses a Draft connector with exit 3', async () => {
    writeConnector({ ...serviceConnector, stage: 'draft' });

    const result = await cli(['connect', '--no-input', '--insecure-storage'], { env: serviceEnv() });

    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Draft');
    expect(result.stderr).toContain('run connector ready first');
  });

  it('rejects a --timeout that is not a number of seconds', async () => {
    writeConnector(codeConnector);

    const result = await cli(['connect', '--no-input', '--insecure-storage', '--timeout', '5m']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--timeout takes a whole number of seconds');
  });
});

/** Starts a page on 127.0.0.1 that stands for wherever a browser on another machine lands. */
async function startPlainServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    response.end('This site cannot be reached\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
