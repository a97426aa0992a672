/**
 * Keychain faults at the command level: an entry deleted behind the tool's back, a locked
 * keyring, a Secret Service that never replies, no session bus at all, and single keychain
 * calls that time out or fail in the middle of a command. Each must end in a clear error. The
 * metadata and the keychain must still agree, or `connector connections` must show where they
 * do not. No run may fall back to the plain file store without the opt-in.
 *
 * The first part runs the built CLI against a private Secret Service (gnome-keyring on its own
 * D-Bus session bus, see test/support/secret-service.ts) and skips where that cannot start.
 * The second part runs the commands in this process with a keychain whose calls a test makes fail.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { StoredCredential } from '../../src/auth/credential.js';
import { saveConnection } from '../../src/connection/credentials.js';
import { ChunkedSecretStore } from '../../src/store/chunked.js';
import { KeychainStore, type KeychainEntry } from '../../src/store/keychain.js';
import { ConnectionMetadata } from '../../src/store/metadata.js';
import { filesContaining } from '../cli/connect-support.js';
import { runCli, temporaryFolder, type CliResult } from '../support/cli.js';
import { runInProcess } from '../support/in-process.js';
import { onPath, removeStoreBundle, run, startSecretService, type SecretServiceSession } from '../support/secret-service.js';

const session = await startSecretService();
if (!session.available) console.warn(`Skipping the Secret Service tests of keychain faults: ${session.reason}.`);
const hasSecretTool = await onPath('secret-tool');
if (session.available && !hasSecretTool) console.warn('Skipping the secret-tool checks of keychain faults: secret-tool is not installed (apt-get install libsecret-tools).');

afterAll(async () => {
  if (session.available) await session.stop();
  await removeStoreBundle();
});

let folder: { path: string; remove: () => void };
beforeEach(() => {
  folder = temporaryFolder('connector-keychain-');
});
afterEach(() => folder.remove());

const LINK_NAME = 'zylker_desk';
const SERVICE = `connector:${LINK_NAME}`;

const configFolder = (): string => join(folder.path, '.connector-config');
const connectionsPath = (): string => join(configFolder(), 'connections.json');

const basicConnector = `schemaVersion: 1
name: Zylker Desk
linkName: ${LINK_NAME}
stage: ready
auth:
  type: basic
  username: { name: User name, key: username }
  password: { name: Password, key: password }
`;

function writeBasicConnector(): void {
  writeFileSync(join(folder.path, 'connector.yaml'), basicConnector);
}

/** Made at run time, because a literal would also be found in the copy of this file that vitest caches. */
function newPassword(length = 24): string {
  return `pw-${randomBytes(length).toString('hex')}`.slice(0, length);
}

function envOf(started: SecretServiceSession): NodeJS.ProcessEnv {
  if (!started.available) throw new Error('the Secret Service is not available');
  return started.env;
}

function cli(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliResult> {
  return runCli(args, { cwd: folder.path, env, ...(stdin === undefined ? {} : { stdin }) });
}

function connectBasic(env: NodeJS.ProcessEnv, password: string, extra: string[] = []): Promise<CliResult> {
  return cli(['connect', '--no-input', '--param', 'username=alice', '--param-stdin', 'password', ...extra], env, password);
}

/** Parses `connector connections --json`. */
function listed(result: { stdout: string }): Array<{ name: string; status: string; problem: string | null; fix: string | null }> {
  return JSON.parse(result.stdout) as Array<{ name: string; status: string; problem: string | null; fix: string | null }>;
}

/** Checks that no run wrote the plain file store: no secrets.json in the config folder or in the data folder under HOME. */
function expectNoFileStore(env: NodeJS.ProcessEnv): void {
  expect(existsSync(join(configFolder(), 'secrets.json'))).toBe(false);
  expect(existsSync(join(env.HOME ?? folder.path, '.local', 'share', 'connector'))).toBe(false);
}

function expectNoStack(result: CliResult): void {
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toContain('unexpected failure');
}

/** Runs secret-tool against the session's bus with nothing on stdin, and returns its stdout and stderr together. */
async function secretTool(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  const result = await run('secret-tool', args, env);
  if (result.code !== 0) throw new Error(`secret-tool ${args[0] ?? ''} exited with code ${result.code}`);
  return `${result.stdout}${result.stderr}`;
}

/** Locks the login keyring of a session, as a screen lock or `secret-tool lock` does. */
async function lockKeyring(env: NodeJS.ProcessEnv): Promise<void> {
  const locked = await run(
    'dbus-send',
    ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login'],
    env,
  );
  if (locked.code !== 0) throw new Error(`locking the keyring failed: ${locked.stderr}`);
}

/** Writes a metadata record for a Basic connection in the keychain, as `connect` would have. */
function writeKeychainRecord(): void {
  mkdirSync(configFolder(), { recursive: true });
  const record = { connector: LINK_NAME, name: 'default', authType: 'basic', store: 'keychain', createdAt: '2025-01-31T09:30:00.000Z', updatedAt: '2025-01-31T09:30:00.000Z' };
  writeFileSync(connectionsPath(), JSON.stringify({ version: 1, connections: [record] }));
}

describe.skipIf(!session.available || !hasSecretTool)('keychain entry deleted behind the tool', () => {
  it('connections shows it broken with the fix', async () => {
    const env = envOf(session);
    writeBasicConnector();
    const connected = await connectBasic(env, newPassword());

    await secretTool(env, ['clear', 'service', SERVICE, 'username', 'connection:default']);
    const json = await cli(['connections', '--json'], env);
    const table = await cli(['connections'], env);
    const fix = `connector connect -f ${join(folder.path, 'connector.yaml')} --force`;

    expect(connected.code).toBe(0);
    expect(json.code).toBe(0);
    expect(listed(json)).toMatchObject([{ name: 'default', status: 'broken', problem: 'the credential is missing from the keychain', fix }]);
    expect(table.stdout).toMatch(/^zylker_desk\s+default\s+basic\s.*\skeychain\s+broken$/m);
    expect(table.stderr).toContain(`zylker_desk/default: the credential is missing from the keychain; fix: ${fix}`);
  });

  it('token exits 4 and keeps the metadata', async () => {
    const env = envOf(session);
    writeBasicConnector();
    await connectBasic(env, newPassword());
    await secretTool(env, ['clear', 'service', SERVICE, 'username', 'connection:default']);
    const metadataBefore = readFileSync(connectionsPath(), 'utf8');

    const token = await cli(['token', '--header'], env);

    expect(token.code).toBe(4);
    expect(token.stdout).toBe('');
    expect(token.stderr).toContain('the credential of connection default (zylker_desk) is missing from the keychain');
    expect(token.stderr).toContain('hint: run connector connect --force to authorize it again');
    expectNoStack(token);
    expect(readFileSync(connectionsPath(), 'utf8')).toBe(metadataBefore);
    expectNoFileStore(env);
  });

  it('the fix makes the connection work again', async () => {
    const env = envOf(session);
    writeBasicConnector();
    await connectBasic(env, newPassword());
    await secretTool(env, ['clear', 'service', SERVICE, 'username', 'connection:default']);

    const fixed = await connectBasic(env, newPassword(), ['--force']);
    const json = await cli(['connections', '--json'], env);
    const token = await cli(['token', '--header'], env);

    expect(fixed.code).toBe(0);
    expect(listed(json)).toMatchObject([{ name: 'default', status: 'ok', problem: null, fix: null }]);
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^Authorization: Basic \S+\n$/);
  });

  it('a long credential with a part deleted is broken', async () => {
    const env = envOf(session);
    writeBasicConnector();
    // Over the 1280 code units of one entry, so the credential is split into parts.
    await connectBasic(env, newPassword(3000));
    const search = await secretTool(env, ['search', '--all', 'service', SERVICE]);
    // The output contains the secrets, so it is not shown when the part is not found.
    const part = /connection:default#[0-9a-f]{8}\.1\b/.exec(search)?.[0];
    if (part === undefined) throw new Error('secret-tool found no entry for part 1 of the credential');

    await secretTool(env, ['clear', 'service', SERVICE, 'username', part]);
    const json = await cli(['connections', '--json'], env);
    const token = await cli(['token', '--header'], env);

    expect(listed(json)).toMatchObject([{ name: 'default', status: 'broken', fix: `connector connect -f ${join(folder.path, 'connector.yaml')} --force` }]);
    expect(listed(json)[0]?.problem).toMatch(/^The secret for service "connector:zylker_desk", account "connection:default" is incomplete: part 1 of \d+ is missing\.$/);
    expect(token.code).toBe(1);
    expect(token.stderr).toContain('is incomplete: part 1 of');
    expect(token.stderr).toContain('connector connect');
    expectNoStack(token);
  });
});

describe.skipIf(!session.available)('locked keyring', () => {
  it('fails clearly, writes no file, and lists connections unchecked', async () => {
    const locked = await startSecretService();
    if (!locked.available) throw new Error(locked.reason);

    try {
      const env = locked.env;
      writeBasicConnector();
      const password = newPassword();
      const connected = await connectBasic(env, password);
      await lockKeyring(env);
      const metadataBefore = readFileSync(connectionsPath(), 'utf8');

      const token = await cli(['token', '--header'], env);
      const replaced = await connectBasic(env, newPassword(), ['--force']);
      const json = await cli(['connections', '--json'], env);
      const disconnected = await cli(['disconnect'], env);

      expect(connected.code).toBe(0);
      for (const failed of [token, replaced, disconnected]) {
        expect(failed.code).toBe(1);
        expect(failed.stderr).toContain('No keychain is available to store secrets: the keyring is locked and no unlock prompt could be shown.');
        expect(failed.stderr).toContain('Unlock the keyring');
        expect(failed.stderr).toContain('--insecure-storage');
        expectNoStack(failed);
      }
      expect(token.stdout).toBe('');
      // A locked keyring must not make the connection look deleted.
      expect(json.code).toBe(0);
      expect(listed(json)).toMatchObject([{ name: 'default', status: 'unchecked', fix: null }]);
      expect(listed(json)[0]?.problem).toContain('the keyring is locked');
      expect(readFileSync(connectionsPath(), 'utf8')).toBe(metadataBefore);
      expectNoFileStore(env);
      expect(filesContaining([password], [folder.path], [dirname(env.HOME ?? '')])).toEqual([]);
    } finally {
      await locked.stop();
    }
  });
});

describe('Secret Service that never replies', () => {
  it('fails clearly and lists connections unchecked', async (context) => {
    const silent = await startSecretService('unresponsive');
    if (!silent.available) {
      console.warn(`Skipping the unresponsive Secret Service test: ${silent.reason}.`);
      context.skip();
      return;
    }

    try {
      const env = silent.env;
      writeBasicConnector();
      writeKeychainRecord();
      const metadataBefore = readFileSync(connectionsPath(), 'utf8');

      const connected = await connectBasic(env, newPassword(), ['--connection', 'second']);
      const token = await cli(['token', '--header'], env);
      const json = await cli(['connections', '--json'], env);

      for (const failed of [connected, token]) {
        expect(failed.code).toBe(1);
        expect(failed.stderr).toContain('No keychain is available to store secrets: the Secret Service on the D-Bus session bus did not reply.');
        expect(failed.stderr).toContain('gnome-keyring-daemon --replace');
        expect(failed.stderr).toContain('CONNECTOR_INSECURE_STORAGE=1');
        expectNoStack(failed);
      }
      expect(listed(json)).toMatchObject([{ name: 'default', status: 'unchecked' }]);
      expect(listed(json)[0]?.problem).toContain('did not reply');
      expect(readFileSync(connectionsPath(), 'utf8')).toBe(metadataBefore);
      expectNoFileStore(env);
    } finally {
      await silent.stop();
    }
  });
});

describe.skipIf(process.platform !== 'linux')('no D-Bus session bus', () => {
  // connect without a bus is checked in test/cli/connect-storage.test.ts.
  const noBus = (): NodeJS.ProcessEnv => ({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(folder.path, 'no-bus')}` });

  it('token and disconnect fail without a file fallback', async () => {
    writeBasicConnector();
    writeKeychainRecord();
    const metadataBefore = readFileSync(connectionsPath(), 'utf8');

    const token = await cli(['token', '--header'], noBus());
    const disconnected = await cli(['disconnect'], noBus());

    for (const failed of [token, disconnected]) {
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('No keychain is available to store secrets: no D-Bus session bus is reachable');
      expect(failed.stderr).toContain('dbus-run-session');
      expect(failed.stderr).toContain('--insecure-storage');
      expectNoStack(failed);
    }
    expect(readFileSync(connectionsPath(), 'utf8')).toBe(metadataBefore);
    expectNoFileStore(noBus());
  });

  it('connections lists the connection unchecked', async () => {
    writeKeychainRecord();

    const json = await cli(['connections', '--json'], noBus());

    expect(json.code).toBe(0);
    expect(listed(json)).toMatchObject([{ name: 'default', status: 'unchecked', fix: null }]);
    expect(listed(json)[0]?.problem).toContain('no D-Bus session bus is reachable');
    expectNoFileStore(noBus());
  });
});

// In this process: a KeychainStore over in-memory entries whose calls fail as each test sets.

type Fault = 'hang' | 'locked' | undefined;

interface FaultyKeychain {
  store: ChunkedSecretStore;
  entries: Map<string, string>;
  faults: { get?: Fault; set?: Fault; delete?: Fault };
}

/** The text @napi-rs/keyring 2.1 reports for a locked gnome-keyring. */
const LOCKED_MESSAGE = "Couldn't access platform storage: Secret Service: unlock prompt was dismissed";

/** Creates the store the CLI would use (chunked, over the keychain) with in-memory entries and a 50 ms timeout per call. */
function faultyKeychain(): FaultyKeychain {
  const entries = new Map<string, string>();
  const faults: FaultyKeychain['faults'] = {};
  const act = async <T>(fault: Fault, operation: () => T): Promise<T> => {
    if (fault === 'hang') return new Promise<T>(() => undefined);
    if (fault === 'locked') throw new Error(LOCKED_MESSAGE);
    return operation();
  };
  const entry = (service: string, account: string): KeychainEntry => {
    const key = `${service}/${account}`;
    return {
      getPassword: () => act(faults.get, () => entries.get(key) ?? null),
      setPassword: (password) => act(faults.set, () => void entries.set(key, password)),
      deletePassword: () => act(faults.delete, () => entries.delete(key)),
    };
  };
  const keychain = new KeychainStore({ timeoutMs: 50, platform: 'linux', loadEntryFactory: async () => entry });
  return { store: new ChunkedSecretStore(keychain), entries, faults };
}

async function seedInProcess(keychain: FaultyKeychain, credential: StoredCredential, record: { connector: string; grantType?: 'clientCredentials'; expiresAt?: string }): Promise<void> {
  const metadata = new ConnectionMetadata({ folder: configFolder(), clock: { now: () => Date.now() } });
  await saveConnection({ store: keychain.store, storeKind: 'keychain', metadata }, credential, { name: 'default', authType: credential.type, ...record });
}

const oauth2Connector = `schemaVersion: 1
name: Zylker Files
linkName: zylker_files
stage: ready
auth:
  type: oauth2
  grantType: clientCredentials
  clientId: "1000.ZYLKERCLIENT"
  clientSecret: env:ZYLKER_CLIENT_SECRET
  tokenUrl: https://accounts.zylker.example/oauth/v2/token
scopes:
  items:
    - { name: Read files, value: files.read }
`;

describe('keychain calls that fail in the middle of a command', () => {
  it('token: a read that times out exits 1', async () => {
    const keychain = faultyKeychain();
    writeBasicConnector();
    await seedInProcess(keychain, { type: 'basic', username: 'alice', password: newPassword() }, { connector: LINK_NAME });
    const metadataBefore = readFileSync(connectionsPath(), 'utf8');
    keychain.faults.get = 'hang';

    const result = await runInProcess(['token', '--header'], { cwd: folder.path, overrides: { secretStore: async () => keychain.store } });

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'Could not read the keychain entry for service "connector:zylker_desk", account "connection:default": the keychain did not answer within 0.05 s.',
    );
    expect(result.stderr).toContain('not waiting on an unlock prompt');
    expect(result.stderr).toContain('--insecure-storage');
    expectNoStack(result);
    expect(readFileSync(connectionsPath(), 'utf8')).toBe(metadataBefore);
  });

  it('token: a failed write after a refresh keeps the old state', async () => {
    const keychain = faultyKeychain();
    writeFileSync(join(folder.path, 'connector.yaml'), oauth2Connector);
    const expired: StoredCredential = {
      type: 'oauth2',
      accessToken: 'at-expired',
      tokenType: 'Bearer',
      refreshToken: 'rt-current',
      expiresAt: Date.parse('2025-01-31T09:30:00Z'),
      scopes: ['files.read'],
    };
    await seedInProcess(keychain, expired, { connector: 'zylker_files', grantType: 'clientCredentials', expiresAt: '2025-01-31T09:30:00.000Z' });
    const metadataBefore = readFileSync(connectionsPath(), 'utf8');
    const entriesBefore = new Map(keychain.entries);
    keychain.faults.set = 'locked';
    let tokenRequests = 0;
    // The fake fetch responds in place of the example token endpoint, so nothing is sent anywhere.
    const fakeFetch = (async () => {
      tokenRequests += 1;
      return Response.json({ access_token: 'at-renewed', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-rotated' });
    }) as typeof fetch;

    const result = await runInProcess(['token'], {
      cwd: folder.path,
      env: { ZYLKER_CLIENT_SECRET: 'cs-keychain-faults' },
      overrides: { secretStore: async () => keychain.store, fetch: fakeFetch },
    });

    expect(tokenRequests).toBe(1);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Could not store the keychain entry for service "connector:zylker_files", account "connection:default": the keyring is locked');
    expect(result.stderr).not.toContain('at-renewed');
    expect(result.stderr).not.toContain('rt-rotated');
    expectNoStack(result);
    expect(keychain.entries).toEqual(entriesBefore);
    expect(readFileSync(connectionsPath(), 'utf8')).toBe(metadataBefore);
  });

  it('connect: a failed write stores no metadata', async () => {
    const keychain = faultyKeychain();
    writeBasicConnector();
    keychain.faults.set = 'locked';

    const result = await runInProcess(['connect', '--no-input', '--param', 'username=alice', '--param', `password=${newPassword()}`], {
      cwd: folder.path,
      overrides: { secretStore: async () => keychain.store },
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Could not store the keychain entry for service "connector:zylker_desk", account "connection:default": the keyring is locked');
    expect(result.stderr).toContain('Unlock the keyring');
    expectNoStack(result);
    expect(existsSync(connectionsPath())).toBe(false);
    expect(keychain.entries.size).toBe(0);
  });

  it('disconnect: a failed delete keeps the connection', async () => {
    const keychain = faultyKeychain();
    writeBasicConnector();
    await seedInProcess(keychain, { type: 'basic', username: 'alice', password: newPassword() }, { connector: LINK_NAME });
    const metadataBefore = readFileSync(connectionsPath(), 'utf8');
    keychain.faults.delete = 'hang';

    const result = await runInProcess(['disconnect'], { cwd: folder.path, overrides: { secretStore: async () => keychain.store } });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Could not delete the keychain entry for service "connector:zylker_desk", account "connection:default": the keychain did not answer within 0.05 s.');
    expectNoStack(result);
    expect(keychain.entries.has(`${SERVICE}/connection:default`)).toBe(true);
    expect(readFileSync(connectionsPath(), 'utf8')).toBe(metadataBefore);
  });

  it('connections: a read that times out is unchecked', async () => {
    const keychain = faultyKeychain();
    await seedInProcess(keychain, { type: 'basic', username: 'alice', password: newPassword() }, { connector: LINK_NAME });
    keychain.faults.get = 'hang';

    const result = await runInProcess(['connections', '--json'], { cwd: folder.path, overrides: { secretStore: async () => keychain.store } });

    expect(result.code).toBe(0);
    expect(listed(result)).toMatchObject([{ name: 'default', status: 'unchecked', fix: null }]);
    expect(listed(result)[0]?.problem).toContain('the keychain did not answer within 0.05 s');
  });
});
