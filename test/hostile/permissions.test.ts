/**
 * File modes of what the tool keeps in the config and data folders, as a user with a careless
 * umask or a loosely created folder gets them. The secrets file and its folder must end up
 * readable by their owner alone, and so must the connection metadata file, which contains no secrets.
 * POSIX modes only: on Windows the user profile's access control list protects these folders.
 */

import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';

import { FileSecretStore } from '../../src/store/file-store.js';
import { ConnectionMetadata } from '../../src/store/metadata.js';
import { binary, temporaryFolder } from '../support/cli.js';
import { bundleStoreDriver } from './driver-bundle.js';
import type { StoreKind } from './store-steps.js';

const posix = process.platform !== 'win32';
const isRoot = process.getuid?.() === 0;
const stackLine = /^\s+at\s/m;

let folder: { path: string; remove: () => void };

beforeEach(() => {
  folder = temporaryFolder('connector-permissions-');
});

afterEach(() => folder.remove());

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node ARGS` under umask 000, so every mode the tool wants it must set itself. */
function runWithOpenUmask(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; stdin?: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'umask 000 && exec "$@"', 'sh', process.execPath, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // The CLI may exit without reading stdin, which closes the pipe first; that is not a failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

/** `connector init` for an OAuth 2.0 connector whose client secret comes on stdin and goes to the file store. */
function initWithFileStore(project: string, configFolder: string): Promise<Run> {
  mkdirSync(project, { recursive: true });
  const args = [
    binary,
    'init',
    '--no-input',
    '--name', 'Zylker Files',
    '--auth', 'oauth2',
    '--grant-type', 'authorizationCode',
    '--client-id', '1000.ABC',
    '--client-secret-stdin',
    '--authorization-url', 'https://accounts.zylker.com/oauth/v2/auth',
    '--token-url', 'https://accounts.zylker.com/oauth/v2/token',
    '--insecure-storage',
  ];
  const env = { PATH: process.env.PATH, HOME: folder.path, CONNECTOR_CONFIG_DIR: configFolder };
  return runWithOpenUmask(args, { cwd: project, env, stdin: 'zylker-client-secret\n' });
}

describe.runIf(posix)('secrets file written by the CLI', () => {
  test('is 0600 in a 0700 folder under umask 000', async () => {
    const config = join(folder.path, 'config', 'connector');

    const run = await initWithFileStore(join(folder.path, 'project'), config);

    expect(run.code, run.stderr).toBe(0);
    expect(mode(config)).toBe(0o700);
    expect(mode(join(config, 'secrets.json'))).toBe(0o600);
    expect(readdirSync(config)).toEqual(['secrets.json']);
  });

  test('tightens an existing world-writable folder', async () => {
    const config = join(folder.path, 'config');
    mkdirSync(config);
    chmodSync(config, 0o777);

    const run = await initWithFileStore(join(folder.path, 'project'), config);

    expect(run.code, run.stderr).toBe(0);
    expect(mode(config)).toBe(0o700);
    expect(mode(join(config, 'secrets.json'))).toBe(0o600);
  });

  test.runIf(isRoot)('rejects a folder of another user', async () => {
    const config = join(folder.path, 'config');
    mkdirSync(config, { mode: 0o700 });
    chownSync(config, 4321, 4321);

    const run = await initWithFileStore(join(folder.path, 'project'), config);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${config} belongs to user id 4321, not to you (user id 0)`);
    expect(run.stderr).toContain('hint: Change its owner with `chown`, or choose another folder with CONNECTOR_CONFIG_DIR.');
    expect(run.stderr).not.toMatch(stackLine);
    expect(existsSync(join(config, 'secrets.json'))).toBe(false);
  });
});

describe.runIf(posix)('store files written by the modules under umask 000', () => {
  let bundle: { path: string; remove: () => void };
  let driver: string;

  beforeAll(async () => {
    bundle = temporaryFolder('connector-permissions-driver-');
    driver = await bundleStoreDriver(bundle.path);
  });

  afterAll(() => bundle.remove());

  test.each<[StoreKind, string]>([
    ['metadata', 'connections.json'],
    ['secrets', 'secrets.json'],
  ])('%s: creates a 0600 file in a 0700 folder', async (kind, fileName) => {
    const store = join(folder.path, 'config', 'connector');

    const run = await runWithOpenUmask([driver, kind, store, '2'], { cwd: folder.path, env: { PATH: process.env.PATH } });

    expect(run.code, run.stderr).toBe(0);
    expect(mode(store)).toBe(0o700);
    expect(mode(join(store, fileName))).toBe(0o600);
    expect(readdirSync(store)).toEqual([fileName]);
  });
});

describe.runIf(posix)('existing files and folders', () => {
  const clock = { now: () => Date.UTC(2024, 5, 11) };
  const record = { connector: 'zylker_files', name: 'work', authType: 'oauth2' as const, store: 'keychain' as const };

  test('metadata tightens its file on the next write', async () => {
    const store = join(folder.path, 'config');
    mkdirSync(store, { mode: 0o700 });
    const metadata = new ConnectionMetadata({ folder: store, clock });
    writeFileSync(metadata.path, JSON.stringify({ version: 1, connections: [] }));
    chmodSync(metadata.path, 0o644);

    await metadata.upsert(record);

    expect(mode(metadata.path)).toBe(0o600);
  });

  // The metadata contains no secrets, so an existing config folder, which the user may share
  // with other tools, keeps the mode the user gave it.
  test('metadata keeps the mode of an existing folder', async () => {
    const store = join(folder.path, 'config');
    mkdirSync(store);
    chmodSync(store, 0o755);
    const metadata = new ConnectionMetadata({ folder: store, clock });

    await metadata.upsert(record);

    expect(mode(store)).toBe(0o755);
    expect(mode(metadata.path)).toBe(0o600);
  });

  test('secrets store tightens a loose folder when it only reads', async () => {
    const store = join(folder.path, 'data');
    mkdirSync(store);
    chmodSync(store, 0o775);
    const secrets = new FileSecretStore({ folder: store, source: 'flag' });
    writeFileSync(secrets.path, JSON.stringify({ version: 1, services: { 'connector:zylker_files': { work: 'token' } } }), { mode: 0o600 });

    expect(await secrets.get('connector:zylker_files', 'work')).toBe('token');

    expect(mode(store)).toBe(0o700);
  });

  test('secrets store tightens a world-readable file before it reads it', async () => {
    const store = join(folder.path, 'data');
    mkdirSync(store, { mode: 0o700 });
    const secrets = new FileSecretStore({ folder: store, source: 'flag' });
    writeFileSync(secrets.path, JSON.stringify({ version: 1, services: {} }));
    chmodSync(secrets.path, 0o666);

    expect(await secrets.get('connector:zylker_files', 'work')).toBeNull();

    expect(mode(secrets.path)).toBe(0o600);
  });
});
