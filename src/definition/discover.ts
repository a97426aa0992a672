import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

import { DEFAULT_FILE_NAME } from './file.js';

/** The connector files found below a folder, and whether the walk saw the whole tree. */
export interface ConnectorFileSearch {
  /** The files, sorted, each as `label` joined with its path below the folder. */
  files: string[];
  /** False when the walk stopped at `maxEntries` before it saw every folder. */
  complete: boolean;
}

export interface SearchOptions {
  /** Prefix of each returned path; defaults to the folder itself. */
  label?: string;
  /** Stop after reading this many folder entries (files and folders together); no limit by default. */
  maxEntries?: number;
}

/**
 * Expands a file or folder argument into connector files. A folder yields every
 * `connector.yaml` below it, skipping `node_modules` and dot-folders; a path that does not
 * exist is returned as given, so the caller reports it as not found.
 */
export async function findConnectorFiles(target: string, cwd: string): Promise<string[]> {
  const absolute = isAbsolute(target) ? target : resolve(cwd, target);
  if (!(await isFolder(absolute))) return [target];

  const { files } = await searchConnectorFiles(absolute, { label: target });
  return files.length > 0 ? files : [join(target, DEFAULT_FILE_NAME)];
}

/**
 * Lists every `connector.yaml` below `folder`, skipping `node_modules` and dot-folders.
 * Symbolic links are not followed, so a link cycle cannot trap the walk. A folder that cannot
 * be read is skipped.
 */
export async function searchConnectorFiles(folder: string, options: SearchOptions = {}): Promise<ConnectorFileSearch> {
  const walk = { files: [] as string[], entriesLeft: options.maxEntries ?? Number.POSITIVE_INFINITY };
  await walkFolder(folder, options.label ?? folder, walk);
  walk.files.sort();
  return { files: walk.files, complete: walk.entriesLeft >= 0 };
}

async function walkFolder(folder: string, label: string, walk: { files: string[]; entriesLeft: number }): Promise<void> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return;
  }

  walk.entriesLeft -= entries.length;
  if (walk.entriesLeft < 0) return;

  for (const entry of entries) {
    if (entry.isFile() && entry.name === DEFAULT_FILE_NAME) walk.files.push(join(label, entry.name));
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    await walkFolder(join(folder, entry.name), join(label, entry.name), walk);
    if (walk.entriesLeft < 0) return;
  }
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
