import { describe, expect, test } from 'vitest';

import { OperationError } from '../../src/cli/errors.js';
import { KeychainError, KeychainStore, probeService } from '../../src/store/keychain.js';
import type { KeychainEntry, KeychainEntryFactory } from '../../src/store/keychain.js';

/** Creates an in-memory keychain with entries shaped like @napi-rs/keyring's AsyncEntry. */
function memoryKeychain(): { factory: KeychainEntryFactory; entries: Map<string, string> } {
  const entries = new Map<string, string>();
  const factory: KeychainEntryFactory = (service, account) => {
    const key = `${service}/${account}`;
    return {
      getPassword: async () => entries.get(key) ?? null,
      setPassword: async (password) => void entries.set(key, password),
      deletePassword: async () => entries.delete(key),
    };
  };
  return { factory, entries };
}

/** Creates entries whose every call rejects with `message`, as the library does when the keychain fails. */
function failingFactory(message: string): KeychainEntryFactory {
  const fail = async (): Promise<never> => {
    throw new Error(message);
  };
  return () => ({ getPassword: fail, setPassword: fail, deletePassword: fail });
}

function storeWith(factory: KeychainEntryFactory, options: { timeoutMs?: number; platform?: NodeJS.Platform } = {}): KeychainStore {
  return new KeychainStore({ ...options, loadEntryFactory: async () => factory });
}

async function rejection(promise: Promise<unknown>): Promise<KeychainError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof KeychainError)) throw new Error(`expected a KeychainError, got ${String(error)}`);
  return error;
}

describe('KeychainStore', () => {
  test('set, get and delete round trip', async () => {
    const { factory } = memoryKeychain();
    const store = storeWith(factory);

    await store.set('connector:zylker_files', 'work', 'token-value');

    expect(await store.get('connector:zylker_files', 'work')).toBe('token-value');
    expect(await store.delete('connector:zylker_files', 'work')).toBe(true);
    expect(await store.get('connector:zylker_files', 'work')).toBeNull();
    expect(await store.delete('connector:zylker_files', 'work')).toBe(false);
  });

  test('loads the library on the first call only', async () => {
    const { factory } = memoryKeychain();
    let loads = 0;
    const store = new KeychainStore({
      loadEntryFactory: async () => {
        loads += 1;
        return factory;
      },
    });

    expect(loads).toBe(0);
    await store.get('connector:zylker_files', 'work');
    await store.get('connector:zylker_files', 'home');
    expect(loads).toBe(1);
  });

  test('call that never settles times out', async () => {
    let signal: AbortSignal | undefined;
    const hung: KeychainEntry = {
      getPassword: (received) => {
        signal = received;
        return new Promise(() => undefined);
      },
      setPassword: () => new Promise(() => undefined),
      deletePassword: () => new Promise(() => undefined),
    };
    const store = storeWith(() => hung, { timeoutMs: 20, platform: 'linux' });
    const started = Date.now();

    const error = await rejection(store.get('connector:zylker_files', 'work'));

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.message).toBe(
      'Could not read the keychain entry for service "connector:zylker_files", account "work": the keychain did not answer within 0.02 s.',
    );
    expect(error.hint).toContain('not waiting on an unlock prompt');
    expect(error.hint).toContain('--insecure-storage');
    expect(signal?.aborted).toBe(true);
  });

  test('timeout that makes the library reject with AbortError', async () => {
    const abortable: KeychainEntry = {
      getPassword: () => new Promise(() => undefined),
      setPassword: (_value, signal) =>
        new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
      deletePassword: () => new Promise(() => undefined),
    };
    const store = storeWith(() => abortable, { timeoutMs: 20 });

    const error = await rejection(store.set('connector:zylker_files', 'work', 'secret-value-123'));

    expect(error.reason).toBe('the keychain did not answer within 0.02 s');
    expect(error.message).not.toContain('secret-value-123');
  });

  test('error names operation, service and account but not the value', async () => {
    const store = storeWith(failingFactory('Platform failure: something broke'), { platform: 'linux' });

    const error = await rejection(store.set('connector:zylker_files', 'work', 'secret-value-123'));

    expect(error).toBeInstanceOf(OperationError);
    expect(error.message).toBe(
      'Could not store the keychain entry for service "connector:zylker_files", account "work": Platform failure: something broke.',
    );
    expect(error.message).not.toContain('secret-value-123');
    expect(error.hint).not.toContain('secret-value-123');
  });

  // Messages as @napi-rs/keyring 2.1 reports them on Linux with gnome-keyring 42.
  const linuxFailures = [
    {
      library: 'Platform failure: DBus error: Failed to connect to socket /tmp/missing: No such file or directory',
      reason: 'no D-Bus session bus is reachable',
      fix: 'dbus-run-session',
    },
    {
      library: 'Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead',
      reason: 'no D-Bus session bus is reachable',
      fix: 'dbus-run-session',
    },
    {
      library: 'Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files',
      reason: 'no Secret Service is running on the D-Bus session bus',
      fix: 'gnome-keyring-daemon --unlock --components=secrets',
    },
    {
      library:
        'Platform failure: DBus error: Did not receive a reply. Possible causes include: the remote application did not send a reply, ' +
        'the message bus security policy blocked the reply, the reply timeout expired, or the network connection was broken.',
      reason: 'the Secret Service on the D-Bus session bus did not reply',
      fix: 'gnome-keyring-daemon --replace',
    },
    {
      library: "Couldn't access platform storage: Secret Service: no result found",
      reason: 'the Secret Service has no default keyring to store secrets in',
      fix: 'create and unlock a login keyring',
    },
    {
      library: "Couldn't access platform storage: Secret Service: unlock prompt was dismissed",
      reason: 'the keyring is locked and no unlock prompt could be shown',
      fix: 'unlock the keyring',
    },
  ];

  test.each(linuxFailures)('diagnoses "$library"', async ({ library, reason, fix }) => {
    const store = storeWith(failingFactory(library), { platform: 'linux' });

    const error = await rejection(store.set('connector:zylker_files', 'work', 'value'));

    expect(error.reason).toContain(reason);
    expect(error.fix).toContain(fix);
    expect(error.hint).toContain('--insecure-storage');
    expect(error.hint).toContain('CONNECTOR_INSECURE_STORAGE=1');
  });

  test('locked keychain on macOS suggests Keychain Access', async () => {
    const store = storeWith(failingFactory('Platform failure: User interaction is not allowed.'), { platform: 'darwin' });

    const error = await rejection(store.get('connector:zylker_files', 'work'));

    expect(error.reason).toBe('the keyring is locked and no unlock prompt could be shown');
    expect(error.hint).toContain('Keychain Access');
  });

  test('library that fails to load', async () => {
    const store = new KeychainStore({
      loadEntryFactory: async () => {
        throw new Error('Cannot find native binding');
      },
    });

    const error = await rejection(store.get('connector:zylker_files', 'work'));

    expect(error.reason).toBe('the keychain library @napi-rs/keyring could not be loaded (Cannot find native binding)');
    expect(error.fix).toContain('reinstall connector');
  });

  test('factory that throws, as a constructor pinned to an unavailable store does', async () => {
    const store = storeWith(() => {
      throw new Error('Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files');
    });

    const error = await rejection(store.get('connector:zylker_files', 'work'));

    expect(error.reason).toBe('no Secret Service is running on the D-Bus session bus');
  });
});

describe('KeychainStore.probe', () => {
  test('working keychain', async () => {
    const { factory, entries } = memoryKeychain();

    const result = await storeWith(factory).probe();

    expect(result.ok).toBe(true);
    expect(entries.size).toBe(0);
  });

  test('writes under the probe service', async () => {
    const services: string[] = [];
    const { factory } = memoryKeychain();

    await storeWith((service, account) => {
      services.push(service);
      return factory(service, account);
    }).probe();

    expect(new Set(services)).toEqual(new Set([probeService]));
  });

  test('locked keyring that answers reads but rejects writes', async () => {
    const locked: KeychainEntry = {
      getPassword: async () => null,
      setPassword: async () => {
        throw new Error("Couldn't access platform storage: Secret Service: unlock prompt was dismissed");
      },
      deletePassword: async () => false,
    };

    const result = await storeWith(() => locked, { platform: 'linux' }).probe();

    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error.reason).toBe('the keyring is locked and no unlock prompt could be shown');
  });

  test('keychain that returns another value', async () => {
    const forgetful: KeychainEntry = {
      getPassword: async () => 'something else',
      setPassword: async () => undefined,
      deletePassword: async () => true,
    };

    const result = await storeWith(() => forgetful).probe();

    expect(result.ok ? '' : result.error.reason).toBe('the keychain returned a different value than the one just written');
  });
});
