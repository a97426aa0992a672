import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

import { DEFAULT_FILE_NAME } from './file.js';

/**
 * Expands a file or folder argument into connector files. A folder yields every
 * `connector.yaml` below it, skipping `node_modules` and dot-folders; a path that does not
 * exist is returned as given, so the caller reports it as not found.
 */
export async function findConnectorFiles(target: string, cwd: string): Promise<string[]> {
  const absolute = isAbsolute(target) ? target : resolve(cwd, target);
  let isFolder = false;
  try {
    isFolder = (await stat(absolute)).isDirectory();
  } catch {
    return [target];
  }
  if (!isFolder) return [target];

  const found: string[] = [];
  await walk(absolute, target, found);
  found.sort();
  return found.length > 0 ? found : [join(target, DEFAULT_FILE_NAME)];
}

async function walk(folder: string, label: string, found: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.isFile() && entry.name === DEFAULT_FILE_NAME) found.push(join(label, entry.name));
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    await walk(join(folder, entry.name), join(label, entry.name), found);
  }
}
