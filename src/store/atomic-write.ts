/**
 * Atomic file replacement: readers see either the old file or the complete new one, never a
 * partial write. Hand-written rather than taken from `write-file-atomic` because the steps are
 * few and the project keeps its dependency list short.
 *
 * The temporary file is named `.<name>.<host>.<pid>.<random>.tmp` next to the target, where
 * `<host>` is a short hash of the host name. A process killed between creating and renaming it
 * (by SIGKILL or a power loss) leaves it behind. The next successful write to the same target
 * removes such leftovers.
 */

import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

export interface WriteFileAtomicOptions {
  /** Permission bits for the file, such as 0o600; by default an existing file keeps its mode. */
  mode?: number;
}

/**
 * Writes `data` to a temporary file in the folder of `path`, flushes it to disk, then renames it
 * over `path`. On failure the temporary file is removed and `path` is left unchanged. When
 * `path` is a symbolic link, the file it points to is replaced and the link stays.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const target = await resolveTarget(path);
  const mode = options.mode ?? (await existingMode(target));
  const temporary = join(dirname(target), `.${basename(target)}.${hostTag()}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);

  let handle: FileHandle | undefined;
  try {
    // 'wx' fails rather than follow a planted symbolic link at the temporary name.
    handle = await open(temporary, 'wx', mode ?? 0o666);

    // The umask narrows the mode given to open, so set the requested mode explicitly.
    if (mode !== undefined) await handle.chmod(mode);

    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;

    // NOTE: on Windows, rename fails with EPERM while another process (often a virus scanner)
    // has the target open. The caller sees that error and the old file stays in place.
    await rename(temporary, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }

  await syncFolder(dirname(target));
  await removeLeftoverTemporaryFiles(target);
}

/** Returns eight hex digits of the host name's SHA-256, which distinguish processes of other hosts that share the folder. */
function hostTag(): string {
  return createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
}

/**
 * Removes temporary files of earlier writes to `target` whose process no longer runs on this
 * host. Files of live processes and of other hosts are left alone, since they may be in the
 * middle of a write. Errors are ignored, because the write itself has already succeeded.
 */
async function removeLeftoverTemporaryFiles(target: string): Promise<void> {
  const folder = dirname(target);
  const prefix = `.${basename(target)}.${hostTag()}.`;

  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }

  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length));
    if (!match) continue;

    // NOTE: a reused pid keeps a leftover in place until that process ends too.
    const pid = Number(match[1]);
    if (pid === process.pid || processRuns(pid)) continue;
    await unlink(join(folder, name)).catch(() => undefined);
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return !isErrorCode(error, 'ESRCH');
  }
}

async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return path;
    throw error;
  }
}

async function existingMode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o7777;
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/** Flushes the folder entry so the rename survives a power loss. Windows cannot open a folder, so it is skipped there. */
async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;

  let handle: FileHandle | undefined;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch {
    // Some file systems reject fsync on a folder. The file is already in place, so this only costs durability.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
