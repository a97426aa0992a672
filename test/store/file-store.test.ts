import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { OperationError } from '../../src/cli/errors.js';
import { FileSecretStore } from '../../src/store/file-store.js';

const posixOnly = process.platform === 'win32' ? test.skip : test;
const rootOnly = process.getuid?.() === 0 ? test : test.skip;

let root: string;
let folder: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'connector-file-store-'));
  folder = join(root, 'share', 'connector');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

function newStore(source: 'flag' | 'environment' = 'flag'): FileSecretStore {
  return new FileSecretStore({ folder, source });
}

describe('FileSecretStore', () => {
  test('set, get and delete round trip', async () => {
    const store = newStore();

    await store.set('connector:zylker_files', 'work', 'token-value');

    expect(await store.get('connector:zylker_files', 'work')).toBe('token-value');
    expect(await store.delete('connector:zylker_files', 'work')).toBe(true);
    expect(await store.get('connector:zylker_files', 'work')).toBeNull();
    expect(await store.delete('connector:zylker_files', 'work')).toBe(false);
  });

  test('get without a file returns null and creates nothing', async () => {
    expect(await newStore().get('connector:zylker_files', 'work')).toBeNull();
    expect(await readdir(root)).toEqual([]);
  });

  test('keeps other entries', async () => {
    const store = newStore();

    await store.set('connector:zylker_files', 'work', 'one');
    await store.set('connector:zylker_files', 'home', 'two');
    await store.set('connector:zylker_mail', 'work', 'three');
    await store.delete('connector:zylker_files', 'work');

    expect(await store.get('connector:zylker_files', 'home')).toBe('two');
    expect(await store.get('connector:zylker_mail', 'work')).toBe('three');
  });

  test('file format', async () => {
    const store = newStore();

    await store.set('connector:zylker_files', 'work', 'token-value');

    expect(JSON.parse(await readFile(store.path, 'utf8'))).toEqual({
      version: 1,
      services: { 'connector:zylker_files': { work: 'token-value' } },
    });
  });

  test('concurrent writes keep every entry', async () => {
    const store = newStore();

    await Promise.all(Array.from({ length: 15 }, (_, index) => store.set('connector:zylker_files', `account-${index}`, `value-${index}`)));

    for (let index = 0; index < 15; index++) {
      expect(await store.get('connector:zylker_files', `account-${index}`)).toBe(`value-${index}`);
    }
  });

  test('leaves no temporary or lock file', async () => {
    const store = newStore();

    await store.set('connector:zylker_files', 'work', 'one');
    await store.set('connector:zylker_files', 'work', 'two');

    expect(await readdir(folder)).toEqual(['secrets.json']);
  });

  posixOnly('creates the folder with mode 0700 and the file with mode 0600', async () => {
    const store = newStore();

    await store.set('connector:zylker_files', 'work', 'token-value');

    expect(await mode(folder)).toBe(0o700);
    expect(await mode(store.path)).toBe(0o600);
  });

  posixOnly('tightens an existing folder and file', async () => {
    await mkdir(folder, { recursive: true });
    await chmod(folder, 0o755);
    const store = newStore();
    await writeFile(store.path, JSON.stringify({ version: 1, services: {} }));
    await chmod(store.path, 0o644);

    await store.set('connector:zylker_files', 'work', 'token-value');

    expect(await mode(folder)).toBe(0o700);
    expect(await mode(store.path)).toBe(0o600);
  });

  posixOnly('tightens a readable file before reading it', async () => {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const store = newStore();
    await writeFile(store.path, JSON.stringify({ version: 1, services: { s: { a: 'v' } } }));
    await chmod(store.path, 0o644);

    expect(await store.get('s', 'a')).toBe('v');
    expect(await mode(store.path)).toBe(0o600);
  });

  rootOnly('rejects a file owned by another user', async () => {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const store = newStore();
    await writeFile(store.path, JSON.stringify({ version: 1, services: {} }));
    await chown(store.path, 4321, 4321);

    const error = await store.get('connector:zylker_files', 'work').catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(OperationError);
    expect((error as Error).message).toBe(
      `${store.path} belongs to user id 4321, not to you (user id 0), so no secrets are read from or written to it.`,
    );
  });

  rootOnly('rejects a folder owned by another user', async () => {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await chown(folder, 4321, 4321);

    await expect(newStore().set('connector:zylker_files', 'work', 'v')).rejects.toThrow(`${folder} belongs to user id 4321`);
  });

  test('invalid JSON error names the file and hides its text', async () => {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const store = newStore();
    await writeFile(store.path, '{"version": 1, "services": {"s": {"a": "hunter2-secret"', { mode: 0o600 });

    const error = await store.get('s', 'a').catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(OperationError);
    expect((error as Error).message).toBe(`The secrets file ${store.path} is not valid JSON.`);
    expect((error as OperationError).hint).toContain('Move it aside');
    expect(String((error as Error).cause)).not.toContain('hunter2');
  });

  test('unexpected form is rejected', async () => {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const store = newStore();
    await writeFile(store.path, JSON.stringify({ version: 1, services: { s: { a: 42 } } }), { mode: 0o600 });

    await expect(store.get('s', 'a')).rejects.toThrow(`The secrets file ${store.path} has a non-text value under service "s".`);
  });

  test('notice for --insecure-storage', () => {
    const store = newStore('flag');

    expect(store.notice).toBe(`Secrets are stored in plain text in ${join(folder, 'secrets.json')} because --insecure-storage is given.`);
  });

  test('notice for CONNECTOR_INSECURE_STORAGE', () => {
    const store = newStore('environment');

    expect(store.notice).toBe(
      `Secrets are stored in plain text in ${join(folder, 'secrets.json')} because CONNECTOR_INSECURE_STORAGE=1 is set.`,
    );
  });

  test('kind is file', () => {
    expect(newStore().kind).toBe('file');
  });
});
