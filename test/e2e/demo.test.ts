/**
 * `npm run demo` (scripts/demo.mjs) run as a person runs it, with a private HOME and TMPDIR so
 * that anything it leaves behind is found. The cases: the scripted user agent where there is no
 * desktop, the keychain on a private Secret Service, Ctrl-C in the middle, and Chromium on the
 * printed URL.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

import { chromiumMissingReason, launchChromium } from '../support/browser.js';
import { root, temporaryFolder, type CliResult } from '../support/cli.js';
import { removeStoreBundle, runKeychainSteps, startSecretService } from '../support/secret-service.js';

const demoScript = join(root, 'scripts', 'demo.mjs');
const keychainEntry = { service: 'connector:connector_demo', account: 'connection:default' };

const session = await startSecretService();
if (!session.available) console.warn(`Skipping the demo's keychain tests: ${session.reason}.`);
const chromiumMissing = chromiumMissingReason();
if (chromiumMissing !== undefined) console.warn(`Skipping the demo's browser test: ${chromiumMissing}.`);

afterAll(async () => {
  if (session.available) await session.stop();
  await removeStoreBundle();
});

let folder: { path: string; remove: () => void };
let home: string;
let temporary: string;
beforeEach(() => {
  folder = temporaryFolder('connector-demo-test-');
  home = join(folder.path, 'home');
  temporary = join(folder.path, 'tmp');
  mkdirSync(home);
  mkdirSync(temporary);
});
afterEach(() => folder.remove());

interface RunningDemo {
  /** Resolves with the first match once stdout matches; rejects when the demo exits first. */
  waitForStdout(pattern: RegExp): Promise<RegExpMatchArray>;
  pid: number | undefined;
  result: Promise<CliResult>;
}

/** Starts the demo without a desktop session or D-Bus, unless `env` gives them. */
function startDemo(args: string[], env: NodeJS.ProcessEnv = {}): RunningDemo {
  const child = spawn(process.execPath, [demoScript, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: home, TMPDIR: temporary, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stdout = '';
  let stderr = '';
  let exited = false;
  const watchers = new Set<() => void>();
  const notify = () => {
    for (const watcher of [...watchers]) watcher();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    notify();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      exited = true;
      notify();
      resolve({ code, stdout, stderr });
    });
  });

  return {
    pid: child.pid,
    result,
    waitForStdout: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stdout);
          if (match !== null) {
            watchers.delete(check);
            resolve(match);
          } else if (exited) {
            watchers.delete(check);
            reject(new Error(`the demo exited before stdout matched ${pattern}:\n${stdout}\n${stderr}`));
          }
        };
        watchers.add(check);
        check();
      }),
  };
}

/** Returns the commands the transcript shows, in order, without their continuation lines. */
function commandsOf(transcript: string): string[] {
  return transcript
    .split('\n')
    .filter((line) => line.startsWith('$ connector '))
    .map((line) => line.replace(/ \\$/, ''));
}

/**
 * Returns the strings in the transcript that look like an opaque token (43 or more base64url
 * characters), outside the authorization URL, whose `state` and `code_challenge` look the same.
 */
function tokenLikeStrings(transcript: string): string[] {
  return transcript
    .split('\n')
    .filter((line) => !/^http:\/\/127\.0\.0\.1:\d+\/auth\?/.test(line))
    .flatMap((line) => line.match(/[A-Za-z0-9_-]{43,}/g) ?? []);
}

describe('npm run demo', () => {
  it('runs every step with the scripted user agent', async () => {
    const result = await startDemo([]).result;

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(commandsOf(result.stdout)).toEqual([
      '$ connector init',
      '$ connector ready',
      '$ connector connect --no-browser',
      '$ connector connections',
      '$ connector token | wc -c',
      '$ connector request /me',
      '$ connector disconnect',
    ]);
    expect(result.stdout).toContain('No desktop session here, so a scripted user agent plays the browser');
    expect(result.stdout).toContain('Keychain: not usable here');
    expect(result.stdout).toContain('$ export CONNECTOR_INSECURE_STORAGE=1');
    expect(result.stdout).toMatch(/\$ connector token \| wc -c\n(?:.*\n)*?44\n/);
    expect(result.stdout).toContain('{"sub":"demo","name":"demo","email":"demo@example.test"}');
    expect(result.stdout).toContain('Disconnected connector_demo/default: revoked its tokens');
  });

  it('prints no token and leaves no file behind', async () => {
    const result = await startDemo(['--scripted']).result;

    expect(result.code).toBe(0);
    expect(tokenLikeStrings(result.stdout)).toEqual([]);
    expect(readdirSync(temporary)).toEqual([]);
    expect(readdirSync(home)).toEqual([]);
  });

  it('honours CONNECTOR_INSECURE_STORAGE without probing the keychain', async () => {
    const result = await startDemo(['--scripted'], { CONNECTOR_INSECURE_STORAGE: '1' }).result;

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('CONNECTOR_INSECURE_STORAGE is set in your environment.');
    expect(result.stdout).not.toContain('Keychain:');
  });

  it('rejects an unknown option with exit 2', async () => {
    const result = await startDemo(['--fast']).result;

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown or extra options: --fast');
    expect(readdirSync(temporary)).toEqual([]);
  });

  it('cleans up and exits 130 on SIGINT', async () => {
    const running = startDemo(['--no-browser']);

    await running.waitForStdout(/^Waiting for the authorization: /m);
    process.kill(running.pid!, 'SIGINT');
    const result = await running.result;

    expect(result.code).toBe(130);
    expect(result.stdout).toContain('# Interrupted: stopping the commands and the provider.');
    expect(readdirSync(temporary)).toEqual([]);
  });
});

describe.skipIf(!session.available)('npm run demo with a keychain', () => {
  const keychainEnv = () => (session.available ? { ...session.env, TMPDIR: temporary } : {});

  it('stores the connection in the keychain and deletes it', async () => {
    const result = await startDemo(['--scripted'], keychainEnv()).result;

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Secrets: the OS keychain, service connector:connector_demo.');
    expect(result.stdout).not.toContain('CONNECTOR_INSECURE_STORAGE');
    expect(result.stdout).toMatch(/connector_demo\s+default\s+.*\s+keychain\s+ok/);
    const [after] = await runKeychainSteps(keychainEnv(), [{ op: 'get', ...keychainEntry }]);
    expect(after).toEqual({ ok: true, value: null });
    expect(readdirSync(temporary)).toEqual([]);
  });

  it('leaves an existing keychain entry alone', async () => {
    await runKeychainSteps(keychainEnv(), [{ op: 'set', ...keychainEntry, value: 'an entry the demo must keep' }]);

    try {
      const result = await startDemo(['--scripted'], keychainEnv()).result;

      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Keychain: it already has an entry for connector:connector_demo, which the demo leaves alone.');
      expect(result.stdout).toContain('$ export CONNECTOR_INSECURE_STORAGE=1');
      const [after] = await runKeychainSteps(keychainEnv(), [{ op: 'get', ...keychainEntry }]);
      expect(after).toEqual({ ok: true, value: 'an entry the demo must keep' });
    } finally {
      await runKeychainSteps(keychainEnv(), [{ op: 'delete', ...keychainEntry }]);
    }
  });
});

describe.skipIf(chromiumMissing !== undefined)('npm run demo with a browser', () => {
  it('finishes once Chromium approves on the printed URL', async () => {
    const browser = await launchChromium();
    const running = startDemo(['--no-browser']);

    try {
      const [, url = ''] = await running.waitForStdout(/^(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)$/m);
      const page = await browser.newPage();
      await page.goto(url);
      await page.fill('input[name="login"]', 'carol');
      await page.fill('input[name="password"]', 'any password');
      await page.click('button:has-text("Sign-in")');
      await Promise.all([page.waitForURL(/\/callback\/connector_demo\?/), page.click('button:has-text("Continue")')]);
      const result = await running.result;

      expect(await page.textContent('body')).toContain('Authorization complete');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('{"sub":"carol","name":"carol","email":"carol@example.test"}');
      expect(browser.blocked).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
