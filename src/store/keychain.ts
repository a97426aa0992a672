/**
 * The OS keychain as a SecretStore, over `@napi-rs/keyring`: macOS Keychain, Windows Credential
 * Manager, and the Secret Service (gnome-keyring, KWallet, KeePassXC) on Linux.
 */

import { randomBytes } from 'node:crypto';

import { OperationError } from '../cli/errors.js';
import type { SecretStore } from '../cli/deps.js';

/** One keychain entry; `AsyncEntry` from `@napi-rs/keyring` has this shape. */
export interface KeychainEntry {
  getPassword(signal?: AbortSignal): Promise<string | null>;
  setPassword(password: string, signal?: AbortSignal): Promise<void>;
  deletePassword(signal?: AbortSignal): Promise<boolean>;
}

export type KeychainEntryFactory = (service: string, account: string) => KeychainEntry;

export interface KeychainOptions {
  /** Limit for each keychain call, in milliseconds; 10 s by default. */
  timeoutMs?: number;
  /** Loads the entry constructor; tests pass fakes. By default it imports `@napi-rs/keyring`. */
  loadEntryFactory?: () => Promise<KeychainEntryFactory>;
  /** Decides which fix an error message suggests; `process.platform` by default. */
  platform?: NodeJS.Platform;
}

export type KeychainOperation = 'read' | 'write' | 'delete';

/** A failed keychain call. `reason` and `fix` are phrases that callers can reuse in their own messages. */
export class KeychainError extends OperationError {
  readonly operation: KeychainOperation;
  readonly reason: string;
  readonly fix: string;

  constructor(details: { operation: KeychainOperation; service: string; account: string; reason: string; fix: string; cause?: unknown }) {
    const verb = { read: 'read', write: 'store', delete: 'delete' }[details.operation];
    super(`Could not ${verb} the keychain entry for service "${details.service}", account "${details.account}": ${details.reason}.`, {
      hint: `${capitalize(details.fix)}. ${fileStoreWayOut}.`,
      cause: details.cause,
    });
    this.operation = details.operation;
    this.reason = details.reason;
    this.fix = details.fix;
  }
}

export type KeychainProbeResult = { ok: true } | { ok: false; error: KeychainError };

/** The other way out of every keychain failure, appended to each hint. */
export const fileStoreWayOut = 'To store secrets in a plain file instead, pass --insecure-storage or set CONNECTOR_INSECURE_STORAGE=1';

/** The service under which `probe` writes and deletes a throwaway entry. */
export const probeService = 'connector:probe';

const defaultTimeoutMs = 10_000;

class KeychainTimeout extends Error {}

export class KeychainStore implements SecretStore {
  readonly kind = 'keychain';
  private readonly timeoutMs: number;
  private readonly platform: NodeJS.Platform;
  private readonly loadEntryFactory: () => Promise<KeychainEntryFactory>;
  private entryFactory: Promise<KeychainEntryFactory> | undefined;

  constructor(options: KeychainOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    this.platform = options.platform ?? process.platform;
    this.loadEntryFactory = options.loadEntryFactory ?? loadNativeEntryFactory;
  }

  get(service: string, account: string): Promise<string | null> {
    return this.call('read', service, account, (entry, signal) => entry.getPassword(signal));
  }

  set(service: string, account: string, value: string): Promise<void> {
    return this.call('write', service, account, (entry, signal) => entry.setPassword(value, signal));
  }

  delete(service: string, account: string): Promise<boolean> {
    return this.call('delete', service, account, (entry, signal) => entry.deletePassword(signal));
  }

  /**
   * Checks that the keychain can store a secret by writing, reading back and deleting a
   * throwaway entry under service `connector:probe`. A read alone is not enough, because a
   * locked gnome-keyring returns "not found" for reads and fails only on writes.
   */
  async probe(): Promise<KeychainProbeResult> {
    // One account per process, so that concurrent probes do not delete each other's entry.
    const account = `probe-${process.pid}-${randomBytes(4).toString('hex')}`;
    const value = randomBytes(8).toString('hex');

    try {
      await this.set(probeService, account, value);

      let readBack: string | null;
      try {
        readBack = await this.get(probeService, account);
      } finally {
        await this.delete(probeService, account);
      }

      if (readBack !== value) {
        const error = new KeychainError({
          operation: 'read',
          service: probeService,
          account,
          reason: 'the keychain returned a different value than the one just written',
          fix: 'check the keychain with its own tool',
        });
        return { ok: false, error };
      }
      return { ok: true };
    } catch (error) {
      if (error instanceof KeychainError) return { ok: false, error };
      throw error;
    }
  }

  /**
   * Runs one keychain call with a time limit. The AbortSignal requests cancellation from the
   * library, and the race returns control even when a D-Bus call ignores it and never settles.
   */
  private async call<T>(
    operation: KeychainOperation,
    service: string,
    account: string,
    run: (entry: KeychainEntry, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const factory = await this.loadFactory(operation, service, account);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;

    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new KeychainTimeout());
        controller.abort();
      }, this.timeoutMs);
    });

    try {
      const pending = Promise.resolve().then(() => run(factory(service, account), controller.signal));

      // After a timeout the library may still reject with an AbortError, which must not become
      // an unhandled rejection.
      // NOTE: an abort does not stop a native call that has started, and Node does not exit while
      // one runs. The library gives up on a Secret Service that never replies after about 2 s.
      // A call that waits on an unlock prompt was not tested and may run longer.
      pending.catch(() => undefined);

      return await Promise.race([pending, timedOut]);
    } catch (error) {
      const cause = controller.signal.aborted ? new KeychainTimeout() : error;
      const { reason, fix } = diagnose(cause, this.timeoutMs, this.platform);
      throw new KeychainError({ operation, service, account, reason, fix, cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  private async loadFactory(operation: KeychainOperation, service: string, account: string): Promise<KeychainEntryFactory> {
    this.entryFactory ??= this.loadEntryFactory();

    try {
      return await this.entryFactory;
    } catch (error) {
      this.entryFactory = undefined;
      throw new KeychainError({
        operation,
        service,
        account,
        reason: `the keychain library @napi-rs/keyring could not be loaded (${errorMessage(error)})`,
        fix: 'reinstall connector with npm on this machine so that npm picks the native module for this platform',
        cause: error,
      });
    }
  }
}

/**
 * Imports `@napi-rs/keyring` on first use, because loading the native module costs start-up
 * time that commands without secrets should not pay. On Linux each entry is pinned to the
 * Secret Service. By default the library falls back silently to the kernel keyring, which
 * loses every entry at reboot. The pinned constructor checks the Secret Service synchronously,
 * so one that never replies blocks the event loop for about 2 s before the constructor throws.
 */
async function loadNativeEntryFactory(): Promise<KeychainEntryFactory> {
  const { AsyncEntry } = await import('@napi-rs/keyring');
  return (service, account) => new AsyncEntry(service, account, { linux: { store: 'secret-service' } });
}

/**
 * Turns a library error into a cause and a fix. The Linux patterns match the messages of
 * @napi-rs/keyring 2.1 with gnome-keyring 42, as seen with a missing bus, a bus without a
 * Secret Service, a service that never replies, a keyring without a login collection and a
 * locked keyring. Anything unrecognised is passed on with its own message.
 */
function diagnose(error: unknown, timeoutMs: number, platform: NodeJS.Platform): { reason: string; fix: string } {
  const message = errorMessage(error);
  const linux = platform !== 'darwin' && platform !== 'win32';

  if (error instanceof KeychainTimeout) {
    return {
      reason: `the keychain did not answer within ${timeoutMs / 1000} s`,
      fix: linux
        ? 'check that the Secret Service is running and is not waiting on an unlock prompt, then retry'
        : 'check that the keychain is not waiting on an unlock prompt, then retry',
    };
  }

  if (/Failed to connect to socket|autolaunch|DBUS_SESSION_BUS_ADDRESS|Connection refused/i.test(message)) {
    return {
      reason: 'no D-Bus session bus is reachable (DBUS_SESSION_BUS_ADDRESS is unset or names no running bus)',
      fix: 'outside a desktop session, start a D-Bus session with `dbus-run-session -- $SHELL`, then in that shell run `gnome-keyring-daemon --unlock --components=secrets`, type the keyring password and press Ctrl-D',
    };
  }

  if (/Did not receive a reply|NoReply/i.test(message)) {
    return {
      reason: 'the Secret Service on the D-Bus session bus did not reply',
      fix: 'restart it; for gnome-keyring run `gnome-keyring-daemon --replace --unlock --components=secrets`, type the keyring password and press Ctrl-D',
    };
  }

  if (/org\.freedesktop\.secrets|ServiceUnknown|NameHasNoOwner/i.test(message)) {
    return { reason: 'no Secret Service is running on the D-Bus session bus', fix: linuxServiceFix };
  }

  if (/no result found/i.test(message)) {
    return {
      reason: 'the Secret Service has no default keyring to store secrets in',
      fix: 'create and unlock a login keyring: run `gnome-keyring-daemon --replace --unlock --components=secrets`, type a password for it and press Ctrl-D',
    };
  }

  // NOTE: the macOS text is the Security framework's message for errSecInteractionNotAllowed,
  // not checked on a Mac. Unmatched macOS and Windows errors keep their own message.
  if (/prompt was dismissed|locked|interaction is not allowed/i.test(message)) {
    return { reason: 'the keyring is locked and no unlock prompt could be shown', fix: unlockFix(platform) };
  }

  if (/ambiguous|matched by/i.test(message)) {
    return {
      reason: 'more than one keychain item matches this entry',
      fix: 'delete the duplicate items with your keychain tool (secret-tool, Keychain Access or Credential Manager)',
    };
  }

  return { reason: message, fix: 'check that the keychain is unlocked and reachable, then retry' };
}

const linuxServiceFix =
  'start a Secret Service such as gnome-keyring: run `gnome-keyring-daemon --unlock --components=secrets`, type the keyring password and press Ctrl-D';

function unlockFix(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'unlock the login keychain in Keychain Access or with `security unlock-keychain`, then retry';
  if (platform === 'win32') return 'sign in to Windows again so that Credential Manager is available, then retry';
  return 'unlock the keyring: in a desktop session open Passwords and Keys; in a terminal run `gnome-keyring-daemon --replace --unlock --components=secrets`, type the keyring password and press Ctrl-D';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
