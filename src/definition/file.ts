import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';

import { InvalidFileError, OperationError, UsageError } from '../cli/errors.js';
import { decodeSource, isSourceProblem, readSourceBytes, readStdinBytes, type SourceFile } from './source.js';

export const DEFAULT_FILE_NAME = 'connector.yaml';

/** A connector file read for a command, with the bytes a later save compares against. */
export interface LoadedFile {
  source: SourceFile;
  bytes: Uint8Array;
}

/**
 * Resolves `-f/--file`: a file, a folder holding `connector.yaml`, or `-` for stdin. Without
 * the option, the nearest `connector.yaml` in the working folder or above it, as git finds `.git`.
 */
export function resolveConnectorPath(fileOption: string | undefined, cwd: string): { path: string; label: string } | 'stdin' {
  if (fileOption === '-') return 'stdin';
  if (fileOption !== undefined && fileOption !== '') {
    const path = isAbsolute(fileOption) ? fileOption : resolve(cwd, fileOption);
    if (existsSync(path) && statSync(path).isDirectory()) {
      return { path: join(path, DEFAULT_FILE_NAME), label: join(fileOption, DEFAULT_FILE_NAME) };
    }
    return { path, label: fileOption };
  }

  let folder = cwd;
  for (;;) {
    const candidate = join(folder, DEFAULT_FILE_NAME);
    if (existsSync(candidate)) return { path: candidate, label: folder === cwd ? DEFAULT_FILE_NAME : candidate };
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  return { path: join(cwd, DEFAULT_FILE_NAME), label: DEFAULT_FILE_NAME };
}

/** Reads and decodes a connector file; an undecodable file is an invalid-file error with its position. */
export async function loadConnectorFile(
  fileOption: string | undefined,
  context: { cwd: string; stdin: NodeJS.ReadableStream },
): Promise<LoadedFile> {
  const target = resolveConnectorPath(fileOption, context.cwd);
  const bytes = target === 'stdin' ? await readStdinBytes(context.stdin) : await readSourceBytes(target.path, target.label);
  const label = target === 'stdin' ? '-' : target.label;
  const decoded = decodeSource(bytes, target === 'stdin' ? undefined : target.path, label);
  if (isSourceProblem(decoded)) {
    const where = decoded.line > 0 ? `${label}:${decoded.line}:${decoded.column}` : label;
    throw new InvalidFileError(`${where}: ${decoded.message}`);
  }
  return { source: decoded, bytes };
}

/**
 * Writes the edited text back atomically, keeping the byte order mark and the file's mode.
 * Refuses when the file changed since it was read, so a concurrent edit is never lost.
 */
export async function saveConnectorFile(loaded: LoadedFile, text: string): Promise<void> {
  const path = loaded.source.path;
  if (path === undefined) throw new UsageError('cannot write a connector read from stdin; pass a file with -f/--file');

  // Imported here, before the file is compared, because it loads node:crypto, which commands
  // that only read connector files need not load.
  const [{ writeFileAtomic }, { withLock }] = await Promise.all([import('../store/atomic-write.js'), import('../store/lock.js')]);

  // The comparison and the rename happen under a lock next to the file, so two edits at once
  // cannot both pass the comparison and one overwrite the other.
  await withLock(join(dirname(path), `.${basename(path)}.lock`), () => compareAndWrite(loaded, path, text, writeFileAtomic), { timeoutMs: 10_000 });
}

async function compareAndWrite(
  loaded: LoadedFile,
  path: string,
  text: string,
  writeFileAtomic: (path: string, data: string) => Promise<void>,
): Promise<void> {
  let current: Uint8Array;
  try {
    current = await readFile(path);
  } catch (error) {
    throw new OperationError(`cannot read ${loaded.source.label} again before writing: ${(error as Error).message}`);
  }
  if (!Buffer.from(current).equals(Buffer.from(loaded.bytes))) {
    throw new OperationError(`${loaded.source.label} changed while this command ran; nothing was written`, {
      hint: 'run the command again',
    });
  }

  const body = (loaded.source.bom ? '\uFEFF' : '') + text;
  try {
    await writeFileAtomic(path, body);
  } catch (error) {
    throw new OperationError(`cannot write ${loaded.source.label}: ${(error as Error).message}`);
  }
}
