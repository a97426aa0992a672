import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { OperationError, UsageError } from '../../src/cli/errors.js';
import { ChunkedSecretStore } from '../../src/store/chunked.js';
import { KeychainStore } from '../../src/store/keychain.js';
import type { KeychainEntryFactory } from '../../src/store/keychain.js';
import { openSecretStore } from '../../src/store/select.js';

let folder: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'connector-select-'));
});

afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Creates a keychain over a map that counts the entries it creates. */
function memoryKeychain(): { keychain: KeychainStore; entries: Map<string, string>; calls: () => number } {
  const entries = new Map<string, string>();
  let calls = 0;
  const factory: KeychainEntryFactory = (service, account) => {
    calls += 1;
    const key = `${service}/${account}`;
    return {
      getPassword: async () => entries.get(key) ?? null,
      setPassword: async (password) => void entries.set(key, password),
      deletePassword: async () => entries.delete(key),
    };
  };
  return { keychain: new KeychainStore({ loadEntryFactory: async () => factory }), entries, calls: () => calls };
}

function unreachableKeychain(message: string): KeychainStore {
  const fail = async (): Promise<never> => {
    throw new Error(message);
  };
  return new KeychainStore({
    platform: 'linux',
    loadEntryFactory: async () => () => ({ getPassword: fail, setPassword: fail, deletePassword: fail }),
  });
}

describe('openSecretStore', () => {
  test('reachable keychain', async () => {
    const { keychain } = memoryKeychain();

    const opened = await openSecretStore({ env: {}, keychain });

    expect(opened.kind).toBe('keychain');
    expect(opened.store).toBeInstanceOf(ChunkedSecretStore);
    expect(opened.notice).toBeUndefined();
  });

  test('keychain store splits long values', async () => {
    const { keychain, entries } = memoryKeychain();
    const { store } = await openSecretStore({ env: {}, keychain });

    await store.set('connector:zylker_files', 'work', 'x'.repeat(3000));

    expect(entries.size).toBe(4);
    expect(await store.get('connector:zylker_files', 'work')).toBe('x'.repeat(3000));
  });

  test('unreachable keychain names the cause and both ways out', async () => {
    const keychain = unreachableKeychain('Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files');

    const error = await openSecretStore({ env: {}, keychain }).catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(OperationError);
    expect((error as Error).message).toBe('No keychain is available to store secrets: no Secret Service is running on the D-Bus session bus.');
    expect((error as OperationError).hint).toContain('gnome-keyring-daemon --unlock --components=secrets');
    expect((error as OperationError).hint).toContain('--insecure-storage');
    expect((error as OperationError).hint).toContain('CONNECTOR_INSECURE_STORAGE=1');
  });

  test('--insecure-storage opens the file store without probing the keychain', async () => {
    const { keychain, calls } = memoryKeychain();

    const opened = await openSecretStore({ env: { CONNECTOR_CONFIG_DIR: folder }, insecureStorage: true, keychain });

    expect(opened.kind).toBe('file');
    expect(opened.store.kind).toBe('file');
    expect(opened.notice).toBe(`Secrets are stored in plain text in ${join(folder, 'secrets.json')} because --insecure-storage is given.`);
    expect(calls()).toBe(0);
  });

  test.each(['1', 'true', 'YES'])('CONNECTOR_INSECURE_STORAGE=%s opens the file store', async (value) => {
    const opened = await openSecretStore({ env: { CONNECTOR_CONFIG_DIR: folder, CONNECTOR_INSECURE_STORAGE: value } });

    expect(opened.kind).toBe('file');
    expect(opened.notice).toContain('because CONNECTOR_INSECURE_STORAGE=1 is set');
  });

  test.each(['0', 'false', ''])('CONNECTOR_INSECURE_STORAGE=%s keeps the keychain', async (value) => {
    const { keychain } = memoryKeychain();

    const opened = await openSecretStore({ env: { CONNECTOR_INSECURE_STORAGE: value }, keychain });

    expect(opened.kind).toBe('keychain');
  });

  test('unknown CONNECTOR_INSECURE_STORAGE value is a usage error', async () => {
    await expect(openSecretStore({ env: { CONNECTOR_INSECURE_STORAGE: 'maybe' } })).rejects.toThrow(UsageError);
  });

  test('file store round trip through the chunked wrapper', async () => {
    const { store } = await openSecretStore({ env: { CONNECTOR_CONFIG_DIR: folder }, insecureStorage: true });

    await store.set('connector:zylker_files', 'work', '😀'.repeat(2000));

    expect(await store.get('connector:zylker_files', 'work')).toBe('😀'.repeat(2000));
  });

  test('file store under XDG_DATA_HOME', async () => {
    const opened = await openSecretStore({ env: { XDG_DATA_HOME: folder }, insecureStorage: true, platform: 'linux', homedir: '/nonexistent' });

    expect(opened.notice).toContain(join(folder, 'connector', 'secrets.json'));
  });
});
