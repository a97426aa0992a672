import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { OperationError } from '../../src/cli/errors.js';
import { ConnectionMetadata } from '../../src/store/metadata.js';
import type { ConnectionInput } from '../../src/store/metadata.js';

const posixOnly = process.platform === 'win32' ? test.skip : test;

let root: string;
let folder: string;
let now: number;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'connector-metadata-'));
  folder = join(root, 'config', 'connector');
  now = Date.parse('2025-03-01T10:00:00.000Z');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function newMetadata(): ConnectionMetadata {
  return new ConnectionMetadata({ folder, clock: { now: () => now } });
}

const work: ConnectionInput = {
  connector: 'zylker_files',
  name: 'work',
  authType: 'oauth2',
  grantType: 'authorizationCode',
  expiresAt: '2025-03-01T11:00:00.000Z',
  scopes: ['files.read'],
  missingScopes: ['files.write'],
  store: 'keychain',
  connectorFile: '/projects/zylker/connector.yaml',
  parameters: { subdomain: 'acme' },
};

describe('ConnectionMetadata', () => {
  test('missing file lists no connections', async () => {
    expect(await newMetadata().list()).toEqual([]);
  });

  test('upsert then get round trip', async () => {
    const metadata = newMetadata();

    const stored = await metadata.upsert(work);

    expect(stored).toEqual({ ...work, createdAt: '2025-03-01T10:00:00.000Z', updatedAt: '2025-03-01T10:00:00.000Z' });
    expect(await newMetadata().get('zylker_files', 'work')).toEqual(stored);
  });

  test('upsert of an existing connection keeps createdAt', async () => {
    const metadata = newMetadata();
    await metadata.upsert(work);
    now += 60_000;

    const stored = await metadata.upsert({ ...work, scopes: ['files.read', 'files.write'] });

    expect(stored.createdAt).toBe('2025-03-01T10:00:00.000Z');
    expect(stored.updatedAt).toBe('2025-03-01T10:01:00.000Z');
    expect(await metadata.list()).toHaveLength(1);
  });

  test('patch changes fields and removes undefined ones', async () => {
    const metadata = newMetadata();
    await metadata.upsert(work);
    now += 1_000;

    const patched = await metadata.patch('zylker_files', 'work', { needsReconnect: true, expiresAt: undefined });

    expect(patched?.needsReconnect).toBe(true);
    expect(patched).not.toHaveProperty('expiresAt');
    expect(patched?.updatedAt).toBe('2025-03-01T10:00:01.000Z');
    expect(await metadata.get('zylker_files', 'work')).toEqual(patched);
  });

  test('patch of a missing connection returns undefined and writes nothing', async () => {
    const metadata = newMetadata();

    expect(await metadata.patch('zylker_files', 'work', { needsReconnect: true })).toBeUndefined();
    expect(await readdir(folder)).toEqual([]);
  });

  test('list sorts by connector and name and filters by connector', async () => {
    const metadata = newMetadata();
    await metadata.upsert({ ...work, name: 'personal' });
    await metadata.upsert({ ...work, connector: 'zylker_mail', name: 'alpha', authType: 'basic', grantType: undefined });
    await metadata.upsert(work);

    const all = await metadata.list();
    const files = await metadata.list({ connector: 'zylker_files' });

    expect(all.map((record) => `${record.connector}/${record.name}`)).toEqual(['zylker_files/personal', 'zylker_files/work', 'zylker_mail/alpha']);
    expect(files.map((record) => record.name)).toEqual(['personal', 'work']);
  });

  test('remove', async () => {
    const metadata = newMetadata();
    await metadata.upsert(work);

    expect(await metadata.remove('zylker_files', 'work')).toBe(true);
    expect(await metadata.remove('zylker_files', 'work')).toBe(false);
    expect(await metadata.list()).toEqual([]);
  });

  test('concurrent upserts keep every connection', async () => {
    const metadata = newMetadata();

    await Promise.all(Array.from({ length: 12 }, (_, index) => metadata.upsert({ ...work, name: `connection-${index}` })));

    expect(await metadata.list()).toHaveLength(12);
  });

  test('file format', async () => {
    const metadata = newMetadata();

    await metadata.upsert(work);

    const file = JSON.parse(await readFile(metadata.path, 'utf8')) as { version: number; connections: unknown[] };
    expect(file.version).toBe(1);
    expect(file.connections).toHaveLength(1);
  });

  test('leaves no temporary or lock file', async () => {
    const metadata = newMetadata();

    await metadata.upsert(work);
    await metadata.upsert({ ...work, name: 'home' });

    expect(await readdir(folder)).toEqual(['connections.json']);
  });

  posixOnly('creates the folder with mode 0700 and the file with mode 0600', async () => {
    const metadata = newMetadata();

    await metadata.upsert(work);

    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    expect((await stat(metadata.path)).mode & 0o777).toBe(0o600);
  });

  test('invalid JSON error names the file and the fix', async () => {
    const metadata = newMetadata();
    await mkdir(folder, { recursive: true });
    await writeFile(metadata.path, '{"version": 1, "connections": [');

    const error = await metadata.list().catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(OperationError);
    expect((error as Error).message).toMatch(new RegExp(`^The connection list ${escape(metadata.path)} is not valid JSON \\(.+\\)\\.$`));
    expect((error as OperationError).hint).toBe(
      'Fix the file by hand, or move it aside and run `connector connect` again for each connection.',
    );
  });

  test('unexpected form is rejected', async () => {
    const metadata = newMetadata();
    await mkdir(folder, { recursive: true });
    await writeFile(metadata.path, JSON.stringify([{ name: 'work' }]));

    await expect(metadata.list()).rejects.toThrow('does not have the expected form { "version": 1, "connections": [ ... ] }');
  });

  test('record without a store is rejected', async () => {
    const metadata = newMetadata();
    await mkdir(folder, { recursive: true });
    const record = { ...work, createdAt: 'x', updatedAt: 'x', store: 'cloud' };
    await writeFile(metadata.path, JSON.stringify({ version: 1, connections: [record] }));

    await expect(metadata.get('zylker_files', 'work')).rejects.toThrow(
      'has an invalid connection at index 0: "store" must be "keychain" or "file"',
    );
  });

  test('corrupt file is not overwritten by an upsert', async () => {
    const metadata = newMetadata();
    await mkdir(folder, { recursive: true });
    await writeFile(metadata.path, 'not json');

    await expect(metadata.upsert(work)).rejects.toThrow('is not valid JSON');
    expect(await readFile(metadata.path, 'utf8')).toBe('not json');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
