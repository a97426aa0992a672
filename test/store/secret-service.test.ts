/**
 * The keychain store against a real Secret Service (gnome-keyring on a private D-Bus session
 * bus). The store runs in child processes; test/support/secret-service.ts explains why.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, test } from 'vitest';

import { onPath, removeStoreBundle, run, runKeychainSteps, startSecretService } from '../support/secret-service.js';
import type { SecretServiceSession } from '../support/secret-service.js';

const session = await startSecretService();
if (!session.available) console.warn(`Skipping the Secret Service tests: ${session.reason}.`);

const hasSecretTool = await onPath('secret-tool');
if (session.available && !hasSecretTool) console.warn('Skipping the secret-tool checks: secret-tool is not installed (apt-get install libsecret-tools).');

afterAll(async () => {
  if (session.available) await session.stop();
  await removeStoreBundle();
});

const service = 'connector:zylker_files';

function envOf(started: SecretServiceSession): NodeJS.ProcessEnv {
  if (!started.available) throw new Error('the Secret Service is not available');
  return started.env;
}

describe.skipIf(!session.available)('keychain on a real Secret Service', () => {
  test('probe and open succeed', async () => {
    const results = await runKeychainSteps(envOf(session), [{ op: 'probe' }, { op: 'open' }]);

    expect(results).toEqual([
      { ok: true, value: { ok: true } },
      { ok: true, value: 'keychain' },
    ]);
  });

  test('set, get and delete round trip', async () => {
    const results = await runKeychainSteps(envOf(session), [
      { op: 'set', service, account: 'round-trip', value: 'token-value' },
      { op: 'get', service, account: 'round-trip' },
      { op: 'delete', service, account: 'round-trip' },
      { op: 'get', service, account: 'round-trip' },
      { op: 'delete', service, account: 'round-trip' },
    ]);

    expect(results.map((result) => (result.ok ? result.value : result.message))).toEqual([
      undefined,
      'token-value',
      true,
      null,
      false,
    ]);
  });

  test.skipIf(!hasSecretTool)('secret-tool finds the entry under service connector:<linkName>', async () => {
    const env = envOf(session);
    await runKeychainSteps(env, [{ op: 'set', service, account: 'visible', value: 'token-value' }]);

    const lookup = await run('secret-tool', ['lookup', 'service', service, 'username', 'visible'], env);

    expect(lookup.stdout).toBe('token-value');
  });

  test.each([
    { name: 'empty', value: '' },
    { name: '1281 code units with an emoji on the boundary', value: `${'a'.repeat(1279)}😀` },
    { name: '10000 code units of emoji and text', value: `${'😀b'.repeat(3333)}c` },
  ])('round trip of $name', async ({ value }) => {
    const results = await runKeychainSteps(envOf(session), [
      { op: 'set', service, account: 'long', value },
      { op: 'get', service, account: 'long' },
    ]);

    expect(results[1]).toEqual({ ok: true, value });
  });

  test.skipIf(!hasSecretTool)('delete of a long value removes every part', async () => {
    const env = envOf(session);
    await runKeychainSteps(env, [
      { op: 'set', service: 'connector:parts_check', account: 'work', value: 'x'.repeat(5000) },
      { op: 'delete', service: 'connector:parts_check', account: 'work' },
    ]);

    const search = await run('secret-tool', ['search', '--all', 'service', 'connector:parts_check'], env);

    expect(search.stdout).toBe('');
    expect(search.stderr).toBe('');
  });
});

describe.skipIf(!session.available)('keychain on a locked Secret Service', () => {
  test('probe reports the locked keyring', async () => {
    const locked = await startSecretService();
    if (!locked.available) throw new Error(locked.reason);

    try {
      const lock = await run(
        'dbus-send',
        [
          '--session',
          '--print-reply',
          '--dest=org.freedesktop.secrets',
          '/org/freedesktop/secrets',
          'org.freedesktop.Secret.Service.Lock',
          'array:objpath:/org/freedesktop/secrets/collection/login',
        ],
        locked.env,
      );
      expect(lock.code).toBe(0);

      const [probe] = await runKeychainSteps(locked.env, [{ op: 'probe' }]);

      expect(probe).toMatchObject({ ok: true, value: { ok: false, reason: 'the keyring is locked and no unlock prompt could be shown' } });
    } finally {
      await locked.stop();
    }
  });
});

describe('keychain on a bus without a working Secret Service', () => {
  test.for([
    { kind: 'none' as const, reason: 'no Secret Service is running on the D-Bus session bus' },
    { kind: 'unresponsive' as const, reason: 'the Secret Service on the D-Bus session bus did not reply' },
  ])('probe with $kind', async ({ kind, reason }, context) => {
    const started = await startSecretService(kind);
    if (!started.available) {
      console.warn(`Skipping the probe test with ${kind}: ${started.reason}.`);
      context.skip();
      return;
    }

    try {
      const [probe] = await runKeychainSteps(started.env, [{ op: 'probe' }]);

      expect(probe).toMatchObject({ ok: true, value: { ok: false, reason } });
    } finally {
      await started.stop();
    }
  });
});

describe.skipIf(process.platform !== 'linux')('keychain without a session bus', () => {
  test('open names the cause and both ways out', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'connector-no-bus-'));
    try {
      const env = { PATH: process.env.PATH, HOME: folder, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(folder, 'no-bus-here')}` };

      const [opened] = await runKeychainSteps(env, [{ op: 'open' }]);

      expect(opened).toEqual({
        ok: false,
        name: 'OperationError',
        message: 'No keychain is available to store secrets: no D-Bus session bus is reachable (DBUS_SESSION_BUS_ADDRESS is unset or names no running bus).',
        hint:
          'Outside a desktop session, start a D-Bus session with `dbus-run-session -- $SHELL`, then in that shell run ' +
          '`gnome-keyring-daemon --unlock --components=secrets`, type the keyring password and press Ctrl-D. ' +
          'To store secrets in a plain file instead, pass --insecure-storage or set CONNECTOR_INSECURE_STORAGE=1.',
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('open with --insecure-storage uses the file store', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'connector-no-bus-'));
    try {
      const env = {
        PATH: process.env.PATH,
        HOME: folder,
        CONNECTOR_CONFIG_DIR: folder,
        DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(folder, 'no-bus-here')}`,
      };

      const [opened] = await runKeychainSteps(env, [{ op: 'open', insecureStorage: true }]);

      expect(opened).toEqual({ ok: true, value: 'file' });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
