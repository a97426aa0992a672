/**
 * `connector connect` and `disconnect` for OAuth 1.0a through the built CLI, against the test
 * provider on 127.0.0.1. The simulated user opens the authorization URL that the running
 * process prints to stderr.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { runCli, temporaryFolder } from '../support/cli.js';
import { actAsUser, startOAuth1Provider, type OAuth1Provider } from '../support/oauth1-provider.js';
import { readFileStore, startCli } from './connect-support.js';

const rsaKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPrivateKeyPem = rsaKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let folder: { path: string; remove: () => void };
let provider: OAuth1Provider;
beforeEach(async () => {
  folder = temporaryFolder();
  provider = await startOAuth1Provider({ rsaPublicKey: rsaKeys.publicKey });
});
afterEach(async () => {
  await provider.close();
  folder.remove();
});

const cli = (args: string[], options: { env?: NodeJS.ProcessEnv } = {}) => runCli(args, { cwd: folder.path, ...options });
const consumerEnv = () => ({ CONSUMER_SECRET: provider.consumer.secret });

function writeConnector(options: { signatureMethod: string; consumerSecret: string; revokeTokenUrl?: string }): void {
  const lines = [
    'schemaVersion: 1',
    'name: Zylker Social',
    'linkName: zylker_social',
    'stage: ready',
    'auth:',
    '  type: oauth1',
    `  consumerKey: ${provider.consumer.key}`,
    `  consumerSecret: ${options.consumerSecret}`,
    `  requestTokenUrl: ${provider.urls.requestToken}`,
    `  authorizationUrl: ${provider.urls.authorize}`,
    `  accessTokenUrl: ${provider.urls.accessToken}`,
    ...(options.revokeTokenUrl === undefined ? [] : [`  revokeTokenUrl: ${options.revokeTokenUrl}`]),
    `  signatureMethod: ${options.signatureMethod}`,
    '',
  ];
  writeFileSync(join(folder.path, 'connector.yaml'), lines.join('\n'));
}

/** Runs `connector connect` and plays the user on the printed authorization URL. */
async function connectAs(decision: 'allow' | 'deny', env: NodeJS.ProcessEnv = {}) {
  const running = startCli(['connect', '--no-input', '--no-browser', '--insecure-storage', '--json'], { cwd: folder.path, env });
  const [, url = ''] = await running.waitForStderr(/^(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)$/m);
  const visit = await actAsUser(url, decision);
  return { visit, result: await running.result };
}

function storedCredential(): Record<string, unknown> {
  const value = readFileStore(folder.path)['connector:zylker_social']?.['connection:default'];
  return JSON.parse(value ?? 'null') as Record<string, unknown>;
}

describe('connect with OAuth 1.0a', () => {
  it('stores the token credentials with HMAC-SHA1', async () => {
    writeConnector({ signatureMethod: 'HMAC-SHA1', consumerSecret: 'env:CONSUMER_SECRET' });

    const { visit, result } = await connectAs('allow', consumerEnv());

    expect(visit.status).toBe(200);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      connection: 'default',
      connector: 'zylker_social',
      authType: 'oauth1',
      grantType: null,
      store: 'file',
      scopes: [],
      missingScopes: [],
      expiresAt: null,
    });
    expect(storedCredential()).toMatchObject({
      type: 'oauth1',
      token: expect.stringMatching(/^at_/),
      tokenSecret: expect.any(String),
      extra: { user_id: '6253282', screen_name: 'zylker_tester' },
    });
    expect(provider.requests.every((request) => request.problem === '')).toBe(true);
  });

  it('signs with an RSA private key read from a file: reference', async () => {
    writeFileSync(join(folder.path, 'consumer-key.pem'), rsaPrivateKeyPem);
    writeConnector({ signatureMethod: 'RSA-SHA1', consumerSecret: 'file:consumer-key.pem' });

    const { result } = await connectAs('allow');

    expect(result.code).toBe(0);
    expect(provider.requests.map((request) => request.protocolParameters.oauth_signature_method)).toContain('RSA-SHA1');
    expect(storedCredential()).toMatchObject({ type: 'oauth1' });
  });

  it('exits 4 when the user denies access', async () => {
    writeConnector({ signatureMethod: 'HMAC-SHA1', consumerSecret: 'env:CONSUMER_SECRET' });

    const { result } = await connectAs('deny', consumerEnv());

    expect(result.code).toBe(4);
    expect(result.stderr).toContain('Access was denied at the provider.');
    expect(existsSync(join(folder.path, '.connector-config', 'connections.json'))).toBe(false);
  });

  it('names the unset variable of an env: consumer secret', async () => {
    writeConnector({ signatureMethod: 'HMAC-SHA1', consumerSecret: 'env:CONSUMER_SECRET' });

    const result = await cli(['connect', '--no-input', '--no-browser', '--insecure-storage']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('CONSUMER_SECRET, which is not set');
  });
});

describe('disconnect with OAuth 1.0a', () => {
  it('sends a revocation request signed with the token credentials', async () => {
    // The provider has no revocation endpoint; its protected resource checks a request signed
    // with the token credentials, which is what a revocation request is.
    writeConnector({ signatureMethod: 'HMAC-SHA1', consumerSecret: 'env:CONSUMER_SECRET', revokeTokenUrl: provider.urls.account });
    await connectAs('allow', consumerEnv());
    const token = storedCredential().token;

    const result = await cli(['disconnect', '--insecure-storage', '--json'], { env: consumerEnv() });
    const revocation = provider.requests.at(-1);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ connection: 'default', connector: 'zylker_social', revoked: true, deleted: true });
    expect(revocation).toMatchObject({ method: 'POST', path: '/1/account', problem: '' });
    expect(revocation?.protocolParameters.oauth_token).toBe(token);
  });

  it('deletes nothing when the revocation endpoint fails, unless --force', async () => {
    writeConnector({ signatureMethod: 'HMAC-SHA1', consumerSecret: 'env:CONSUMER_SECRET', revokeTokenUrl: `${provider.baseUrl}/oauth/revoke` });
    await connectAs('allow', consumerEnv());

    const refused = await cli(['disconnect', '--insecure-storage'], { env: consumerEnv() });
    const kept = readFileStore(folder.path)['connector:zylker_social'];
    const forced = await cli(['disconnect', '--insecure-storage', '--force', '--json'], { env: consumerEnv() });

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('nothing was deleted');
    expect(refused.stderr).toContain('(HTTP 404)');
    expect(kept).toHaveProperty('connection:default');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toEqual({ connection: 'default', connector: 'zylker_social', revoked: false, deleted: true });
  });
});
