import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { compileCacheFolder, loadBundle } from '../../src/cli/compile-cache.js';
import { temporaryFolder } from '../support/cli.js';

// V8 keeps the scripts it compiled in memory and reuses them for the same source, without
// reading the code cache at all. Each test here loads a bundle more than once, as separate
// runs of the CLI would, so that memory is turned off for this test process.
setFlagsFromString('--no-compilation-cache');

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
function greet(name) { return 'hello ' + name; }
module.exports = { greet, file: __filename, folder: __dirname, self: this === exports, sibling: join(__dirname, 'x') };
${body}
`,
  );
  return path;
}

function cacheFiles(): string[] {
  return existsSync(cache) ? readdirSync(cache).sort() : [];
}

/** Returns the one cache file, after a first run wrote it. */
function onlyCacheFile(): string {
  const files = cacheFiles();
  expect(files).toHaveLength(1);
  return join(cache, files[0]!);
}

const runtime = `${process.version}-${process.arch}`;
const greet = (loaded: { exports: unknown }, name: string) => (loaded.exports as { greet: (name: string) => string }).greet(name);

describe('loadBundle', () => {
  it('runs as require does, then from its cache', () => {
    const bundle = writeBundle('validate-AAAA.cjs');

    const first = loadBundle(bundle, cache);
    expect(first.cacheUsed).toBe(false);
    expect(first.exports).toMatchObject({ file: bundle, folder: bundles, self: true, sibling: join(bundles, 'x') });
    expect(greet(first, 'cache')).toBe('hello cache');
    first.saveCache();

    const mtime = Math.trunc(statSync(bundle).mtimeMs);
    expect(cacheFiles()).toEqual([expect.stringMatching(new RegExp(`^validate-AAAA\\.cjs\\.${mtime}\\.${runtime}(-[0-9a-f]{8})?\\.v8cache$`))]);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    expect(statSync(onlyCacheFile()).mode & 0o777).toBe(0o600);

    const second = loadBundle(bundle, cache);
    expect(second.cacheUsed).toBe(true);
    expect(greet(second, 'again')).toBe('hello again');
  });

  it('leaves a cache V8 accepted as it is', () => {
    const bundle = writeBundle('token-AAAA.cjs');
    loadBundle(bundle, cache).saveCache();
    const path = onlyCacheFile();
    const before = statSync(path).mtimeMs;

    const loaded = loadBundle(bundle, cache);
    loaded.saveCache();

    expect(loaded.cacheUsed).toBe(true);
    expect(statSync(path).mtimeMs).toBe(before);
  });

  it.each([
    ['random bytes', (_data: Buffer) => Buffer.from('not a code cache at all, only text')],
    ['an empty file', (_data: Buffer) => Buffer.alloc(0)],
    ['half of itself', (data: Buffer) => data.subarray(0, data.length >> 1)],
  ])('compiles again when the cache holds %s, and replaces it', (_label, damage) => {
    const bundle = writeBundle('list-AAAA.cjs');
    loadBundle(bundle, cache).saveCache();
    const path = onlyCacheFile();
    writeFileSync(path, damage(readFileSync(path)));

    const loaded = loadBundle(bundle, cache);
    expect(loaded.cacheUsed).toBe(false);
    expect(greet(loaded, 'x')).toBe('hello x');
    loaded.saveCache();

    expect(loadBundle(bundle, cache).cacheUsed).toBe(true);
  });

  it('recompiles after a flipped bit', () => {
    // Without V8's checksum, about one such cache in four crashed the process.
    const bundle = writeBundle('request-AAAA.cjs');
    loadBundle(bundle, cache).saveCache();
    const path = onlyCacheFile();
    const data = readFileSync(path);

    for (let step = 1; step <= 24; step++) {
      const damaged = Buffer.from(data);
      const at = 64 + Math.floor(((damaged.length - 64) * step) / 25);
      damaged[at] = damaged[at]! ^ (1 << step % 8);
      writeFileSync(path, damaged);

      const loaded = loadBundle(bundle, cache);
      expect(loaded.cacheUsed, `byte ${at}`).toBe(false);
      expect(greet(loaded, 'again')).toBe('hello again');
    }
  });

  it('compiles a bundle edited in place again, also to the same length', () => {
    const bundle = writeBundle('stage-AAAA.cjs');
    utimesSync(bundle, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
    loadBundle(bundle, cache).saveCache();
    writeFileSync(bundle, readFileSync(bundle, 'utf8').replace("'hello '", "'HOWDY '"));

    const loaded = loadBundle(bundle, cache);

    expect(loaded.cacheUsed).toBe(false);
    expect(greet(loaded, 'x')).toBe('HOWDY x');
  });

  it('keeps caches apart for other V8 flags', () => {
    const bundle = writeBundle('token-BBBB.cjs');
    loadBundle(bundle, cache, {}).saveCache();
    loadBundle(bundle, cache, { NODE_OPTIONS: '--max-old-space-size=200' }).saveCache();

    expect(cacheFiles()).toHaveLength(2);
    expect(loadBundle(bundle, cache, {}).cacheUsed).toBe(true);
    expect(loadBundle(bundle, cache, { NODE_OPTIONS: '--max-old-space-size=200' }).cacheUsed).toBe(true);
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

  it('ignores shared or hard-linked cache files', () => {
    const bundle = writeBundle('connect-AAAA.cjs');
    loadBundle(bundle, cache).saveCache();
    const path = onlyCacheFile();

    chmodSync(path, 0o666);
    expect(loadBundle(bundle, cache).cacheUsed).toBe(false);

    chmodSync(path, 0o600);
    linkSync(path, join(folder.path, 'second-name'));
    expect(loadBundle(bundle, cache).cacheUsed).toBe(false);
  });

  it('ignores a cache file that is a symbolic link', () => {
    const bundle = writeBundle('draft-AAAA.cjs');
    loadBundle(bundle, cache).saveCache();
    const path = onlyCacheFile();
    const elsewhere = join(folder.path, 'elsewhere.v8cache');
    writeFileSync(elsewhere, readFileSync(path), { mode: 0o600 });
    rmSync(path);
    symlinkSync(elsewhere, path);

    expect(loadBundle(bundle, cache).cacheUsed).toBe(false);
  });

  it('removes files unwritten for a week', () => {
    const bundle = writeBundle('validate-BBBB.cjs');
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    const weekAgo = new Date(Date.now() - 8 * 24 * 60 * 60 * 1000);
    const names = {
      old: 'validate-AAAA.cjs.1.v18.0.0-x64.v8cache',
      oldTemporary: 'validate-AAAA.cjs.1.v18.0.0-x64.v8cache.123-abc.tmp',
      recent: 'list-CCCC.cjs.1.v22.0.0-x64.v8cache',
      unrelated: 'notes.txt',
    };
    for (const name of Object.values(names)) writeFileSync(join(cache, name), 'x');
    for (const name of [names.old, names.oldTemporary, names.unrelated]) utimesSync(join(cache, name), weekAgo, weekAgo);

    loadBundle(bundle, cache).saveCache();

    expect(cacheFiles().filter((name) => name.startsWith('validate-BBBB.cjs.'))).toHaveLength(1);
    expect(cacheFiles().filter((name) => !name.startsWith('validate-BBBB.cjs.'))).toEqual([names.recent, names.unrelated].sort());
  });

  it.runIf(process.getuid?.() === 0)('as root, creates no folder inside a folder another user owns', () => {
    const bundle = writeBundle('secret-AAAA.cjs');
    const home = join(folder.path, 'home-of-ada');
    mkdirSync(home, { mode: 0o755 });
    chownSync(home, 1000, 1000);

    loadBundle(bundle, join(home, '.cache', 'connector', 'compile')).saveCache();

    expect(readdirSync(home)).toEqual([]);
  });

  it('writes nothing and throws nothing where the folder cannot be created', () => {
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
    ['linux', { CONNECTOR_CACHE_DIR: '' }, '/home/ada/.cache/connector/compile'],
  ] as const)('on %s with %j: %s', (platform, env, expected) => {
    expect(compileCacheFolder(env, platform, home)).toBe(expected);
  });

  it('takes the home folder from HOME', () => {
    expect(compileCacheFolder({ HOME: '/home/bob' }, 'linux')).toBe('/home/bob/.cache/connector/compile');
  });

  it.each([
    ['HOME is relative', 'linux', { HOME: 'bob' }, undefined],
    ['NODE_DISABLE_COMPILE_CACHE is set', 'linux', { NODE_DISABLE_COMPILE_CACHE: '1', CONNECTOR_CACHE_DIR: '/tmp/c' }, home],
    ['CONNECTOR_CACHE_DIR is relative', 'linux', { CONNECTOR_CACHE_DIR: 'cache' }, home],
    ['there is no home folder', 'linux', {}, ''],
    ['NODE_DISABLE_COMPILE_CACHE is 0', 'linux', { NODE_DISABLE_COMPILE_CACHE: '0' }, home],
    ['NODE_DISABLE_COMPILE_CACHE is empty', 'linux', { NODE_DISABLE_COMPILE_CACHE: '' }, home],
    ['Windows has no LOCALAPPDATA', 'win32', {}, home],
  ] as const)('is off when %s', (_label, platform, env, homeFolder) => {
    expect(compileCacheFolder(env, platform, homeFolder ?? (env as NodeJS.ProcessEnv).HOME)).toBeUndefined();
  });
});
