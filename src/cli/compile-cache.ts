/**
 * Loads a CommonJS bundle of the CLI through V8's code cache, kept in a folder of the user's.
 *
 * Hand-written because Node 20 has no `module.enableCompileCache` (added in Node 22.8), so every
 * start compiles again all the code it runs. With the cache, `connector validate` of a typical
 * connector ended about 10 ms sooner on a 2-core machine, an eighth of its run without the
 * cache (docs/benchmarks.md). The first run of each bundle compiles as before and writes the cache
 * when it ends.
 *
 * What keeps a cache from running as the wrong code:
 * - V8 rejects a cache made by another V8 version or under other V8 flags, and one whose source
 *   has another length. The file name also names the Node version, the flags, and the bundle's
 *   name and modification time. The build puts a hash of each bundle's content in its name.
 * - V8 checksums the cache only with --verify-snapshot-checksum, which release builds leave off.
 *   A damaged cache then crashes the process, so this module turns the flag on.
 * - The folder and the file must be this user's alone (isPrivateFolder, readPrivateFile).
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, posix, win32 } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

const SUFFIX = '.v8cache';
/** Cache and temporary files older than this, other than the current ones, are removed when a cache is written. */
const MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

export interface LoadedBundle {
  exports: unknown;
  /** True when V8 used a cache file instead of compiling. */
  cacheUsed: boolean;
  /** Writes a cache for the next run when this one had none or V8 rejected it. A failure only costs the next run its cache, so it is ignored. */
  saveCache(): void;
}

/**
 * Returns the folder for code caches, or undefined when caching is off: with
 * NODE_DISABLE_COMPILE_CACHE set, even to nothing, or without a home folder. A non-empty
 * CONNECTOR_CACHE_DIR moves it; the default follows each platform's cache location.
 * The home folder is HOME, which node:os would also read, without loading node:os.
 */
export function compileCacheFolder(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home: string = env.HOME ?? ''): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE !== undefined) return undefined;
  const path = platform === 'win32' ? win32 : posix;
  const absolute = (value: string | undefined): value is string => value !== undefined && path.isAbsolute(value);
  if (env.CONNECTOR_CACHE_DIR) return absolute(env.CONNECTOR_CACHE_DIR) ? path.join(env.CONNECTOR_CACHE_DIR, 'compile') : undefined;
  if (platform === 'win32') return absolute(env.LOCALAPPDATA) ? path.join(env.LOCALAPPDATA, 'connector', 'Cache', 'compile') : undefined;
  if (!path.isAbsolute(home)) return undefined;
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'connector', 'compile');
  return path.join(absolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache'), 'connector', 'compile');
}

/**
 * Runs the CommonJS bundle `file` as `require` would and returns its exports. With a cache
 * folder, the compiled code comes from the cache when V8 accepts it. `env` supplies
 * NODE_OPTIONS, whose V8 flags are part of the cache's name.
 */
export function loadBundle(file: string, cacheFolder: string | undefined, env: NodeJS.ProcessEnv = process.env): LoadedBundle {
  const require = createRequire(file);
  if (cacheFolder === undefined) return { exports: require(file), cacheUsed: false, saveCache: () => undefined };

  const source = readFileSync(file, 'utf8');
  const cacheFile = join(cacheFolder, cacheFileName(file, statSync(file), env));
  const cachedData = isPrivateFolder(cacheFolder) ? readPrivateFile(cacheFile) : undefined;
  // The wrapper Node's own loader puts around a CommonJS module.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = withChecksums(() => new Script(wrapped, { filename: file, cachedData }));
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, require, module, file, dirname(file));

  const cacheUsed = cachedData !== undefined && script.cachedDataRejected !== true;
  return {
    exports: module.exports,
    cacheUsed,
    saveCache: () => {
      if (!cacheUsed) writeCache(cacheFolder, cacheFile, () => withChecksums(() => script.createCachedData()));
    },
  };
}

/**
 * Runs `action` with V8's --verify-snapshot-checksum on. V8 puts its flags into every cache
 * and rejects a cache made under other flags, so the caches are made with the flag on too.
 * The flag is turned off again at once: the code caches built into Node for its own modules
 * were made without it, and Node would compile every module it loads later from source.
 * NOTE: a V8 without this flag would print "unrecognized flag" on stderr at every run.
 */
function withChecksums<T>(action: () => T): T {
  setFlagsFromString('--verify-snapshot-checksum');
  try {
    return action();
  } finally {
    setFlagsFromString('--no-verify-snapshot-checksum');
  }
}

/**
 * Names the cache of `file`: `validate-HASH.cjs.MTIME.v20.17.0-x64[-FLAGS].v8cache`. The
 * modification time catches a bundle edited in place to the same length, which V8 would accept.
 * NOTE: an edit of the same length whose modification time is then set back still meets the old cache.
 */
function cacheFileName(file: string, stats: Stats, env: NodeJS.ProcessEnv): string {
  const flags = [...process.execArgv, env.NODE_OPTIONS ?? ''].join('\n');
  const flagsPart = flags.trim() === '' ? '' : `-${fnv1a(flags)}`;
  return `${basename(file)}.${Math.trunc(stats.mtimeMs)}.${process.version}-${process.arch}${flagsPart}${SUFFIX}`;
}

/** FNV-1a, 32 bits, as hex: enough to tell flag sets apart in a file name. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/**
 * True when `folder` is a folder (not a symbolic link to one) that is this user's alone: owned
 * by the user and not writable by group or others.
 * NOTE: without user ids (Windows) every folder passes, and ACLs (macOS, Windows) are not read.
 */
function isPrivateFolder(folder: string): boolean {
  try {
    const stats = lstatSync(folder);
    return stats.isDirectory() && isOwnAndUnshared(stats);
  } catch {
    return false;
  }
}

function isOwnAndUnshared(stats: Stats): boolean {
  if (process.getuid === undefined) return true;
  return stats.uid === process.getuid() && (stats.mode & 0o022) === 0;
}

/**
 * Reads `file` through one open handle, or returns undefined. The file must not be a symbolic
 * link, and the handle's fstat must show a regular file of this user's, not writable by group
 * or others, and not a second name (hard link) of a file elsewhere.
 */
function readPrivateFile(file: string): Buffer | undefined {
  let descriptor: number | undefined;
  try {
    // O_NOFOLLOW is 0 where the platform has none (Windows).
    descriptor = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    const stats = fstatSync(descriptor);
    if (!stats.isFile() || stats.nlink !== 1 || !isOwnAndUnshared(stats)) return undefined;
    return readFileSync(descriptor);
  } catch {
    return undefined;
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}

/**
 * Writes the cache through a temporary file and a rename, so a concurrent run reads a whole
 * file or none, then removes old files. Failures (a read-only home, a full disk) only cost the
 * next run its cache.
 */
function writeCache(folder: string, cacheFile: string, create: () => Buffer): void {
  const temporary = `${cacheFile}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`;
  try {
    if (!mayCreate(folder)) return;
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    if (!isPrivateFolder(folder)) return;
    writeFileSync(temporary, create(), { mode: 0o600, flag: 'wx' });
    renameSync(temporary, cacheFile);
    removeOldFiles(folder, basename(cacheFile));
  } catch {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // The folder itself is unusable; there is nothing to clean up.
    }
  }
}

/**
 * False when root would create the folder inside another user's folder, as `sudo connector`
 * with the user's HOME does: the user could neither use nor delete a folder root owns.
 */
function mayCreate(folder: string): boolean {
  if (process.getuid?.() !== 0) return true;
  let existing = folder;
  for (;;) {
    try {
      return statSync(existing).uid === 0;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return false;
      existing = parent;
    }
  }
}

/**
 * Removes cache and temporary files not written for a week, except `current`. A cache that
 * runs keep using is not rewritten, so it may go too, and the next run writes it again.
 * Going by age lets installations that share the folder keep each other's caches.
 */
function removeOldFiles(folder: string, current: string): void {
  const now = Date.now();
  for (const name of readdirSync(folder)) {
    if (name === current || !(name.endsWith(SUFFIX) || (name.endsWith('.tmp') && name.includes(SUFFIX)))) continue;
    const path = join(folder, name);
    if (now - lstatSync(path).mtimeMs > MAX_AGE_MS) rmSync(path, { force: true });
  }
}
