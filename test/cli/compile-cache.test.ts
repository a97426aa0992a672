import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { compileCacheFolder, loadBundle } from '../../src/cli/compile-cache.js';
import { temporaryFolder } from '../support/cli.js';

let folder: ReturnType<typeof temporaryFolder>;
let bundles: string;
let cache: string;

beforeEach(() => {
  folder = temporaryFolder('connector-compile-cache-');
  bundles = join(folder.path, 'dist', 'commands');
  cache = join(folder.path, 'cache', 'compile');
  mkdirSync(bundles, { recursive: true });
});
afterEach(() => folder.remove());

/** Writes a CommonJS bundle that uses what Node's wrapper passes in, and returns its path. */
function writeBundle(name: string, body = ''): string {
  const path = join(bundles, name);
  writeFileSync(
    path,
    `'use strict';
const { join } = require('node:path');
function greet(who) { return 'hello ' + who; }
module.exports = { greet, file: __filename, folder: __dirname, self: this === exports, sibling: join(__dirname, 'x') };
${body}
`,
  );
  return path;
}

function cacheFiles(): string[] {
  return existsSync(cache) ? readdirSync(cache).sort() : [];
}

describe('loadBundle', () => {
  it('runs the bundle as require would, then loads it from the cache it saved', () => {
    const bundle = writeBundle('validate-AAAA.cjs');

    const first = loadBundle(bundle, cache);
    expect(first.cacheUsed).toBe(false);
    expect(first.exports).toMatchObject({ file: bundle, folder: bundles, self: true, sibling: join(bundles, 'x') });
    expect((first.exports as { greet: (who: string) => string }).greet('cache')).toBe('hello cache');
    first.saveCache();

    expect(cacheFiles()).toEqual([`validate-AAAA.cjs.${process.version}-${process.arch}.v8cache`]);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    expect(statSync(join(cache, cacheFiles()[0]!)).mode & 0o777).toBe(0o600);

    const second = loadBundle(bundle, cache);
    expect(second.cacheUsed).toBe(true);
    expect((second.exports as { greet: (who: string) => string }).greet('again')).toBe('hello again');
  });

  it('leaves a cache V8 accepted as it is', () => {
    const bundle = writeBundle('token-AAAA.cjs');
    loadBundle(bundle, cache).saveCache();
    const path = join(cache, cacheFiles()[0]!);
    writeFileSync(path, readFileSync(path));
    const before = statSync(path).mtimeMs;

    const loaded = loadBundle(bundle, cache);
    loaded.saveCache();

    expect(loaded.cacheUsed).toBe(true);
    expect(statSync(path).mtimeMs).toBe(before);
  });

  it.each([
    ['random bytes', () => Buffer.from('not a code cache at all, only text')],
    ['an empty file', () => Buffer.alloc(0)],
  ])('compiles again when the cache holds %s, and replaces it', (_label, contents) => {
    const bundle = writeBundle('list-AAAA.cjs');
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    const path = join(cache, `list-AAAA.cjs.${process.version}-${process.arch}.v8cache`);
    writeFileSync(path, contents(), { mode: 0o600 });

    const loaded = loadBundle(bundle, cache);
    expect(loaded.cacheUsed).toBe(false);
    expect((loaded.exports as { greet: (who: string) => string }).greet('x')).toBe('hello x');
    loaded.saveCache();

    expect(loadBundle(bundle, cache).cacheUsed).toBe(true);
  });

  it('rejects the cache of a bundle whose text changed length', () => {
    const bundle = writeBundle('stage-AAAA.cjs');
    loadBundle(bundle, cache).saveCache();
    writeBundle('stage-AAAA.cjs', 'module.exports.extra = 1;');

    const loaded = loadBundle(bundle, cache);

    expect(loaded.cacheUsed).toBe(false);
    expect(loaded.exports).toMatchObject({ extra: 1 });
  });

  it('uses neither a folder that others can write to nor a symbolic link', () => {
    const bundle = writeBundle('check-AAAA.cjs');
    mkdirSync(cache, { recursive: true });
    chmodSync(cache, 0o777);

    const shared = loadBundle(bundle, cache);
    shared.saveCache();
    expect(shared.cacheUsed).toBe(false);
    expect(cacheFiles()).toEqual([]);

    const real = join(folder.path, 'elsewhere');
    mkdirSync(real, { mode: 0o700 });
    const link = join(folder.path, 'linked');
    symlinkSync(real, link);
    const linked = loadBundle(bundle, link);
    linked.saveCache();
    expect(linked.cacheUsed).toBe(false);
    expect(readdirSync(real)).toEqual([]);
  });

  it('removes the caches of bundles that are gone, and keeps other files', () => {
    const current = writeBundle('validate-BBBB.cjs');
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    const old = `validate-AAAA.cjs.${process.version}-${process.arch}.v8cache`;
    const otherNode = `validate-BBBB.cjs.v99.0.0-${process.arch}.v8cache`;
    for (const name of [old, otherNode, 'notes.txt']) writeFileSync(join(cache, name), 'x');

    loadBundle(current, cache).saveCache();

    expect(cacheFiles()).toEqual([otherNode, 'notes.txt', `validate-BBBB.cjs.${process.version}-${process.arch}.v8cache`].sort());
  });

  it('writes nothing, and throws nothing, where the folder cannot be created', () => {
    const bundle = writeBundle('init-AAAA.cjs');
    const blocker = join(folder.path, 'file');
    writeFileSync(blocker, '');

    const loaded = loadBundle(bundle, join(blocker, 'compile'));

    expect(() => loaded.saveCache()).not.toThrow();
    expect(loaded.cacheUsed).toBe(false);
  });

  it('requires the bundle without a cache folder', () => {
    const bundle = writeBundle('schema-AAAA.cjs');

    const loaded = loadBundle(bundle, undefined);
    loaded.saveCache();

    expect(loaded.cacheUsed).toBe(false);
    expect(loaded.exports).toMatchObject({ file: bundle, self: true });
    expect(cacheFiles()).toEqual([]);
  });

  it('passes a bundle error on unchanged', () => {
    const bundle = writeBundle('broken-AAAA.cjs', "throw new Error('broken bundle');");

    expect(() => loadBundle(bundle, cache)).toThrow('broken bundle');
  });
});

describe('compileCacheFolder', () => {
  const home = '/home/ada';

  it.each([
    ['linux', {}, '/home/ada/.cache/connector/compile'],
    ['linux', { XDG_CACHE_HOME: '/var/cache/ada' }, '/var/cache/ada/connector/compile'],
    ['linux', { XDG_CACHE_HOME: 'relative/cache' }, '/home/ada/.cache/connector/compile'],
    ['freebsd', {}, '/home/ada/.cache/connector/compile'],
    ['darwin', {}, '/home/ada/Library/Caches/connector/compile'],
    ['win32', { LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' }, 'C:\\Users\\ada\\AppData\\Local\\connector\\Cache\\compile'],
    ['linux', { CONNECTOR_CACHE_DIR: '/tmp/connector-cache' }, '/tmp/connector-cache/compile'],
  ] as const)('on %s with %j: %s', (platform, env, expected) => {
    expect(compileCacheFolder(env, platform, home)).toBe(expected);
  });

  it.each([
    ['NODE_DISABLE_COMPILE_CACHE is set', 'linux', { NODE_DISABLE_COMPILE_CACHE: '1', CONNECTOR_CACHE_DIR: '/tmp/c' }, home],
    ['CONNECTOR_CACHE_DIR is relative', 'linux', { CONNECTOR_CACHE_DIR: 'cache' }, home],
    ['there is no home folder', 'linux', {}, ''],
    ['Windows has no LOCALAPPDATA', 'win32', {}, home],
  ] as const)('is off when %s', (_label, platform, env, homeFolder) => {
    expect(compileCacheFolder(env, platform, homeFolder)).toBeUndefined();
  });
});
