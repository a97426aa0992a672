/**
 * Loads a CommonJS bundle of the CLI through V8's code cache, kept in a folder of the user's.
 *
 * Hand-written because Node 20 has no `module.enableCompileCache` (added in Node 22.1), so every
 * start compiles again all the code it runs. With the cache, `connector validate` of a typical
 * connector started about 8 ms sooner on a 2-core machine, a tenth of its whole run
 * (docs/benchmarks.md). The first run of each bundle with each Node version compiles as before
 * and writes the cache when it ends.
 *
 * V8 rejects a cache made by another V8 version or with other flags, and one whose source has
 * another length; the file names add the bundle's content hash, so a rebuilt bundle never meets
 * an old cache. V8 does not checksum the cache in release builds, so the folder must be the
 * user's alone: one that another user owns or can write to is not used.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join, posix, win32 } from 'node:path';
import { Script } from 'node:vm';

const SUFFIX = '.v8cache';

export interface LoadedBundle {
  exports: unknown;
  /** True when V8 used a cache file instead of compiling. */
  cacheUsed: boolean;
  /** Writes a cache for the next run, when this one had none or V8 rejected it. Never throws. */
  saveCache(): void;
}

/**
 * Returns the folder for code caches, or undefined when caching is off: with
 * NODE_DISABLE_COMPILE_CACHE set, as for Node's own compile cache, or without a home folder.
 * CONNECTOR_CACHE_DIR moves it; the default follows each platform's cache location.
 */
export function compileCacheFolder(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home: string = safeHomedir()): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const path = platform === 'win32' ? win32 : posix;
  const absolute = (value: string | undefined): value is string => value !== undefined && path.isAbsolute(value);
  if (env.CONNECTOR_CACHE_DIR) return absolute(env.CONNECTOR_CACHE_DIR) ? path.join(env.CONNECTOR_CACHE_DIR, 'compile') : undefined;
  if (platform === 'win32') return absolute(env.LOCALAPPDATA) ? path.join(env.LOCALAPPDATA, 'connector', 'Cache', 'compile') : undefined;
  if (home === '') return undefined;
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'connector', 'compile');
  return path.join(absolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache'), 'connector', 'compile');
}

/**
 * Runs the CommonJS bundle `file` as `require` would and returns its exports. With a cache
 * folder, the compiled code comes from the cache when V8 accepts it.
 */
export function loadBundle(file: string, cacheFolder: string | undefined): LoadedBundle {
  const require = createRequire(file);
  if (cacheFolder === undefined) return { exports: require(file), cacheUsed: false, saveCache: () => undefined };

  const cacheFile = join(cacheFolder, `${basename(file)}.${process.version}-${process.arch}${SUFFIX}`);
  const cachedData = isPrivateFolder(cacheFolder) ? readIfPresent(cacheFile) : undefined;
  // The wrapper Node's own loader puts around a CommonJS module.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`;
  const script = new Script(wrapped, { filename: file, cachedData });
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, require, module, file, dirname(file));

  const cacheUsed = cachedData !== undefined && script.cachedDataRejected !== true;
  return {
    exports: module.exports,
    cacheUsed,
    saveCache: () => {
      if (!cacheUsed) writeCache(cacheFolder, cacheFile, dirname(file), () => script.createCachedData());
    },
  };
}

function safeHomedir(): string {
  try {
    return homedir();
  } catch {
    return '';
  }
}

/** True when `folder` is a real folder that only this user can write to (always true where there are no user ids). */
function isPrivateFolder(folder: string): boolean {
  try {
    const stats = lstatSync(folder);
    if (!stats.isDirectory()) return false;
    if (process.getuid === undefined) return true;
    return stats.uid === process.getuid() && (stats.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Writes the cache through a temporary file and a rename, so a concurrent run reads a whole
 * file or none, and removes caches of bundles this installation no longer has. Failures (a
 * read-only home, a full disk) only cost the next run its cache.
 */
function writeCache(folder: string, cacheFile: string, bundleFolder: string, create: () => Buffer): void {
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    if (!isPrivateFolder(folder)) return;
    writeFileSync(temporary, create(), { mode: 0o600, flag: 'wx' });
    renameSync(temporary, cacheFile);
    removeStaleCaches(folder, bundleFolder);
  } catch {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // The folder itself is unusable; there is nothing to clean up.
    }
  }
}

/**
 * Removes cache files whose bundle is not in `bundleFolder`, left by earlier builds.
 * NOTE: two installations that share a cache folder remove each other's files, which costs
 * each one a compile after the other wrote a cache.
 */
function removeStaleCaches(folder: string, bundleFolder: string): void {
  const bundles = new Set(readdirSync(bundleFolder));
  for (const name of readdirSync(folder)) {
    const end = name.indexOf('.cjs.');
    if (!name.endsWith(SUFFIX) || end === -1) continue;
    if (!bundles.has(name.slice(0, end + '.cjs'.length))) rmSync(join(folder, name), { force: true });
  }
}
