/**
 * Where `connector connect` keeps secrets: a real Secret Service (gnome-keyring on a private
 * D-Bus session bus), no keychain at all, and the opt-in file store. Token values are then
 * searched for in every file the run could have written.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { runCli, temporaryFolder } from '../support/cli.js';
import { startOidcProvider, type OidcTestProvider } from '../support/oidc-provider.js';
import { onPath, removeStoreBundle, runKeychainSteps, startSecretService } from '../support/secret-service.js';
import { filesContaining } from './connect-support.js';

const session = await startSecretService();
if (!session.available) console.warn(`Skipping the Secret Service tests of connector connect: ${session.reason}.`);
const hasSecretTool = await onPath('secret-tool');
if (session.available && !hasSecretTool) console.warn('Skipping the secret-tool check: secret-tool is not installed (apt-get install libsecret-tools).');

let provider: OidcTestProvider;
beforeAll(async () => {
  provider = await startOidcProvider();
});
afterAll(async () => {
  await provider.close();
  if (session.available) await session.stop();
  await removeStoreBundle();
});

let folder: { path: string; remove: () => void };
beforeEach(() => {
  folder = temporaryFolder();
});
afterEach(() => folder.remove());

const service = 'connector:zylker_files';

function keychainEnv(): NodeJS.ProcessEnv {
  if (!session.available) throw new Error('the Secret Service is not available');
  return session.env;
}

function writeServiceConnector(clientSecret: string): void {
  const text = `schemaVersion: 1
name: Zylker Files
linkName: zylker_files
stage: ready
auth:
  type: oauth2
  grantType: clientCredentials
  clientId: ${provider.clients.service.clientId}
  clientSecret: ${clientSecret}
  tokenUrl: ${provider.endpoints.token}
  revokeTokenUrl: ${provider.endpoints.revocation}
scopes:
  delimiter: space
  items:
    - { name: Read files, value: files.read }
`;
  writeFileSync(join(folder.path, 'connector.yaml'), text);
}

/** Runs secret-tool with nothing on stdin; it exits without reading stdin, so none is written. */
function secretTool(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('secret-tool', args, { env: keychainEnv() }, (error, stdout) => (error === null ? resolve(stdout) : reject(error)));
  });
}

async function keychainValue(account: string): Promise<string | null> {
  const [result] = await runKeychainSteps(keychainEnv(), [{ op: 'get', service, account }]);
  if (result === undefined || !result.ok) throw new Error(`reading the keychain failed: ${JSON.stringify(result)}`);
  return result.value as string | null;
}

describe.skipIf(!session.available)('connect with a real Secret Service', () => {
  it('keeps the credential in the keychain and in no file', async () => {
    writeServiceConnector('env:SERVICE_SECRET');
    const env = { ...keychainEnv(), SERVICE_SECRET: provider.clients.service.clientSecret };

    const result = await runCli(['connect', '--no-input', '--json'], { cwd: folder.path, env });
    const stored = await keychainValue('connection:default');
    const credential = JSON.parse(stored ?? 'null') as { accessToken: string };

    expect(result.stderr).not.toContain('plain text');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ store: 'keychain', grantType: 'clientCredentials' });
    expect(credential.accessToken).toMatch(/\S{20,}/);

    // The keyring's own files live next to the Secret Service's HOME and are the store itself.
    const keyringFolder = dirname(keychainEnv().HOME ?? '');
    expect(filesContaining([credential.accessToken], [folder.path, tmpdir()], [keyringFolder])).toEqual([]);
    expect(readdirSync(join(folder.path, '.connector-config'))).toEqual(['connections.json']);

    const list = await runCli(['connections', '--json'], { cwd: folder.path, env });
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'default', store: 'keychain', status: 'ok' }]);

    const disconnected = await runCli(['disconnect', '--json'], { cwd: folder.path, env });
    expect(JSON.parse(disconnected.stdout)).toEqual({ connection: 'default', connector: 'zylker_files', revoked: true, deleted: true });
    expect(await keychainValue('connection:default')).toBeNull();
  });

  it.skipIf(!hasSecretTool)('stores under service connector:<linkName> and account connection:<name>', async () => {
    writeServiceConnector('env:SERVICE_SECRET');
    const env = { ...keychainEnv(), SERVICE_SECRET: provider.clients.service.clientSecret };

    await runCli(['connect', '--no-input', '--connection', 'tools'], { cwd: folder.path, env });
    const lookup = await secretTool(['lookup', 'service', service, 'username', 'connection:tools']);

    expect(JSON.parse(lookup)).toMatchObject({ type: 'oauth2', tokenType: 'Bearer', scopes: ['files.read'] });
    await runCli(['disconnect', 'tools'], { cwd: folder.path, env });
  });

  it('uses a client secret stored with connector secret set', async () => {
    writeServiceConnector('keychain');
    const env = keychainEnv();

    const set = await runCli(['secret', 'set', 'clientSecret', '--json'], { cwd: folder.path, env, stdin: `${provider.clients.service.clientSecret}\n` });
    const connected = await runCli(['connect', '--no-input'], { cwd: folder.path, env });
    const removed = await runCli(['secret', 'delete', 'clientSecret', '--json'], { cwd: folder.path, env });

    expect(JSON.parse(set.stdout)).toEqual({ connector: 'zylker_files', name: 'clientSecret', stored: true });
    expect(connected.code).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ connector: 'zylker_files', name: 'clientSecret', deleted: true });
    expect(removed.stderr).toContain('auth.clientSecret still says keychain');
    expect(await keychainValue('secret:clientSecret')).toBeNull();
    await runCli(['disconnect', '--force'], { cwd: folder.path, env });
  });
});

describe('connect without a keychain', () => {
  const basic = `schemaVersion: 1
name: Zylker Desk
linkName: zylker_desk
stage: ready
auth:
  type: basic
  username: { name: User name, key: username }
  password: { name: Password, key: password }
`;
  // Made at run time, because a literal would also be found in the transformed copy of this file that vitest caches.
  const password = `password-${randomBytes(12).toString('hex')}`;
  // A bus address that names no running bus, as on a server without a desktop session.
  const noBus = () => ({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(folder.path, 'no-bus')}` });

  it('fails with the cause and both ways out, writing nothing', async () => {
    writeFileSync(join(folder.path, 'connector.yaml'), basic);

    const result = await runCli(['connect', '--no-input', '--param', 'username=alice', '--param-stdin', 'password'], {
      cwd: folder.path,
      env: noBus(),
      stdin: password,
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No keychain is available to store secrets');
    expect(result.stderr).toContain('--insecure-storage');
    expect(result.stderr).toContain('CONNECTOR_INSECURE_STORAGE=1');
    expect(existsSync(join(folder.path, '.connector-config'))).toBe(false);
    expect(filesContaining([password], [folder.path, tmpdir()])).toEqual([]);
  });

  it('uses the file store with --insecure-storage, and says so', async () => {
    writeFileSync(join(folder.path, 'connector.yaml'), basic);

    const result = await runCli(['connect', '--no-input', '--insecure-storage', '--param', 'username=alice', '--param-stdin', 'password'], {
      cwd: folder.path,
      env: noBus(),
      stdin: password,
    });

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Secrets are stored in plain text in ${join(folder.path, '.connector-config', 'secrets.json')} because --insecure-storage is given.`);
    expect(filesContaining([password], [folder.path])).toEqual([join(folder.path, '.connector-config', 'secrets.json')]);
  });

  it('uses the file store with CONNECTOR_INSECURE_STORAGE=1', async () => {
    writeFileSync(join(folder.path, 'connector.yaml'), basic);

    const result = await runCli(['connect', '--no-input', '--param', 'username=alice', '--param-stdin', 'password'], {
      cwd: folder.path,
      env: { ...noBus(), CONNECTOR_INSECURE_STORAGE: '1' },
      stdin: password,
    });

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('because CONNECTOR_INSECURE_STORAGE=1 is set');
  });
});
