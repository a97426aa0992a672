/**
 * Atomic file replacement: readers see either the old file or the complete new one, never a
 * partial write. Hand-written rather than taken from `write-file-atomic` because the steps are
 * few and the project keeps its dependency list short.
 */

import { randomBytes } from 'node:crypto';
import { open, realpath, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
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
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);

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
