/**
 * A cross-process lock on a lock file created with `open(path, 'wx')`, which fails when the file
 * exists, on every platform and local file system. Hand-written rather than taken from
 * `proper-lockfile` because the project needs only this one function and its stale-lock rules.
 *
 * The lock file contains the holder's pid, host name, a random token and the time it was taken.
 * A waiter removes the lock as stale when the holder's process no longer exists on this host,
 * when the file was not touched for `staleMs`, or when it has had no complete owner for 2 s. The
 * holder touches it every `staleMs / 3`, so a slow but live holder is not taken for stale.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

import { OperationError } from '../cli/errors.js';
import { isErrorCode } from './atomic-write.js';

export interface LockOptions {
  /** How long to wait for the lock before failing, in milliseconds. */
  timeoutMs?: number;
  /** After how many milliseconds without a touch from its holder a lock counts as stale. */
  staleMs?: number;
}

interface LockOwner {
  pid: number;
  hostname: string;
  token: string;
  /** Milliseconds since the epoch. */
  acquiredAt: number;
}

const defaultTimeoutMs = 30_000;
const defaultStaleMs = 60_000;
/** How long a lock file may lack its owner before it counts as left by a killed process. */
const incompleteOwnerMs = 2_000;
const firstPollDelayMs = 5;
const maxPollDelayMs = 100;

/**
 * Runs `fn` while holding the lock at `lockPath` and releases it afterwards, also when `fn`
 * throws. Waits up to `timeoutMs` (30 s by default) and then throws an OperationError naming
 * the lock file and its holder. Creates the lock file's folder (mode 0700) when missing.
 */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const staleMs = options.staleMs ?? defaultStaleMs;

  await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 });
  const owner = await acquire(lockPath, timeoutMs, staleMs);

  const keepAlive = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => undefined);
  }, Math.max(1, Math.floor(staleMs / 3)));
  keepAlive.unref();

  try {
    return await fn();
  } finally {
    clearInterval(keepAlive);
    await release(lockPath, owner);
  }
}

async function acquire(lockPath: string, timeoutMs: number, staleMs: number): Promise<LockOwner> {
  const deadline = Date.now() + timeoutMs;
  let delay = firstPollDelayMs;

  for (;;) {
    const owner = await tryCreate(lockPath);
    if (owner !== undefined) return owner;

    if (await removeIfStale(lockPath, staleMs)) continue;

    if (Date.now() >= deadline) throw await timeoutError(lockPath, timeoutMs);

    // Jitter keeps many waiters from polling in step.
    await pause(delay / 2 + Math.random() * delay);
    delay = Math.min(delay * 2, maxPollDelayMs);
  }
}

/** Creates the lock file, or returns undefined when another process holds it. */
async function tryCreate(lockPath: string): Promise<LockOwner | undefined> {
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    token: randomBytes(8).toString('hex'),
    acquiredAt: Date.now(),
  };

  let handle;
  try {
    handle = await open(lockPath, 'wx', 0o600);
  } catch (error) {
    if (isErrorCode(error, 'EEXIST')) return undefined;
    throw new OperationError(`Could not create the lock file ${lockPath}: ${(error as Error).message}`, {
      hint: `Check that you can write to ${dirname(lockPath)}.`,
      cause: error,
    });
  }

  try {
    await handle.writeFile(JSON.stringify(owner));
  } finally {
    await handle.close();
  }
  return owner;
}

/**
 * Removes the lock file when its holder is gone. A second lock file, `<lockPath>.break`, makes
 * the check and the removal one step: without it, two waiters could both judge the same lock
 * stale, and the second would remove the fresh lock that a third process took in between.
 */
async function removeIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  if (!(await isStale(lockPath, staleMs))) return false;

  const breakPath = `${lockPath}.break`;
  const breaker = await tryCreate(breakPath);
  if (breaker === undefined) {
    // Another waiter is removing the lock. Its own lock file can only be left behind by a crash
    // inside these few lines, and then the same staleness rules apply to it.
    if (await isStale(breakPath, staleMs)) await unlink(breakPath).catch(() => undefined);
    return false;
  }

  try {
    if (!(await isStale(lockPath, staleMs))) return false;
    await unlink(lockPath).catch(() => undefined);
    return true;
  } finally {
    await unlink(breakPath).catch(() => undefined);
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  const state = await readLock(lockPath);
  if (state === undefined) return false;

  if (Date.now() - state.modifiedAt > staleMs) return true;

  // A file without a complete owner is being written by its creator right now. After 2 s, far
  // longer than writing the owner takes, the creator was killed in between, and waiting for
  // staleMs would block every command until then.
  const owner = state.owner;
  if (owner === undefined) return Date.now() - state.modifiedAt > incompleteOwnerMs;
  if (owner.hostname !== hostname()) return false;
  return !processExists(owner.pid);
}

async function readLock(lockPath: string): Promise<{ owner?: LockOwner; modifiedAt: number } | undefined> {
  try {
    const [content, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    return { owner: parseOwner(content), modifiedAt: info.mtimeMs };
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

function parseOwner(content: string): LockOwner | undefined {
  try {
    const value = JSON.parse(content) as Partial<LockOwner>;
    if (typeof value.pid !== 'number' || typeof value.hostname !== 'string' || typeof value.token !== 'string') {
      return undefined;
    }
    return value as LockOwner;
  } catch {
    return undefined;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return !isErrorCode(error, 'ESRCH');
  }
}

/** Removes the lock file unless a waiter already removed it as stale and another process took it. */
async function release(lockPath: string, owner: LockOwner): Promise<void> {
  const state = await readLock(lockPath).catch(() => undefined);
  if (state?.owner?.token !== owner.token) return;
  await unlink(lockPath).catch(() => undefined);
}

async function timeoutError(lockPath: string, timeoutMs: number): Promise<OperationError> {
  const owner = (await readLock(lockPath).catch(() => undefined))?.owner;
  const holder =
    owner === undefined ? 'another process' : `process ${owner.pid} on ${owner.hostname} since ${new Date(owner.acquiredAt).toISOString()}`;
  return new OperationError(`Timed out after ${timeoutMs / 1000} s waiting for the lock ${lockPath}, held by ${holder}.`, {
    hint: `Retry when the other connector command has finished. If no connector command is running, delete ${lockPath}.`,
  });
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
