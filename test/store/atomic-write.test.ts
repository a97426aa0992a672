import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { writeFileAtomic } from '../../src/store/atomic-write.js';

const posixOnly = process.platform === 'win32' ? test.skip : test;

let folder: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'connector-atomic-'));
});

afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('writeFileAtomic', () => {
  test('creates a file', async () => {
    const path = join(folder, 'connector.yaml');

    await writeFileAtomic(path, 'name: Zylker Files\n');

    expect(await readFile(path, 'utf8')).toBe('name: Zylker Files\n');
  });

  test('replaces a file and leaves no temporary file', async () => {
    const path = join(folder, 'connector.yaml');
    await writeFile(path, 'old\n');

    await writeFileAtomic(path, 'new\n');

    expect(await readFile(path, 'utf8')).toBe('new\n');
    expect(await readdir(folder)).toEqual(['connector.yaml']);
  });

  test('writes bytes', async () => {
    const path = join(folder, 'logo.png');

    await writeFileAtomic(path, new Uint8Array([0x89, 0x50, 0x4e, 0x47]));

    expect([...(await readFile(path))]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });

  posixOnly('sets the given mode', async () => {
    const path = join(folder, 'secrets.json');

    await writeFileAtomic(path, '{}', { mode: 0o600 });

    expect(await mode(path)).toBe(0o600);
  });

  posixOnly('keeps the mode of the file it replaces', async () => {
    const path = join(folder, 'connector.yaml');
    await writeFile(path, 'old\n');
    await chmod(path, 0o640);

    await writeFileAtomic(path, 'new\n');

    expect(await mode(path)).toBe(0o640);
  });

  posixOnly('replaces the target of a symbolic link and keeps the link', async () => {
    const target = join(folder, 'real.yaml');
    const link = join(folder, 'connector.yaml');
    await writeFile(target, 'old\n');
    await symlink(target, link);

    await writeFileAtomic(link, 'new\n');

    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(target);
    expect(await readFile(target, 'utf8')).toBe('new\n');
  });

  test('failed rename removes the temporary file', async () => {
    const path = join(folder, 'occupied');
    await mkdir(join(path, 'child'), { recursive: true });

    await expect(writeFileAtomic(path, 'data')).rejects.toThrow();

    expect(await readdir(folder)).toEqual(['occupied']);
  });

  test('missing folder fails', async () => {
    await expect(writeFileAtomic(join(folder, 'missing', 'file'), 'data')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
