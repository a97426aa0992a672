import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

import { InvalidFileError } from '../cli/errors.js';
import { searchConnectorFiles } from './discover.js';
import { freeLinkName } from './link-name.js';
import { parseSource } from './parse.js';
import { decodeSource, isSourceProblem, MAX_FILE_BYTES } from './source.js';

/**
 * How many folder entries (files and folders) the link-name scan reads before it stops, so
 * `connector init` stays quick in a large monorepo. The scan then reports itself incomplete.
 */
export const MAX_SCANNED_ENTRIES = 10_000;

/** The link names that connector files in one repository use. */
export interface LinkNamesInUse {
  /** The repository root, or undefined when the folder is in no repository. */
  root: string | undefined;
  /** Each link name, mapped to the first file (in path order) that uses it, relative to the working folder. */
  names: ReadonlyMap<string, string>;
  /** False when the scan stopped at its entry limit, so a file further down may use a name too. */
  complete: boolean;
}

/** A link name that another connector file already uses, and a free one to use instead. */
export interface LinkNameConflict {
  /** The file that uses the link name, relative to the working folder. */
  owner: string;
  proposal: string;
}

/**
 * Finds the repository that `folder` belongs to: the nearest folder at or above it that contains
 * a `.git` folder or file (a worktree or submodule has a file). The walk stops below `home`
 * and at the filesystem root, so a home folder kept in git does not make every project on the
 * machine one repository. `folder` need not exist yet.
 */
export function findRepositoryRoot(folder: string, home: string): string | undefined {
  const stop = resolve(home);
  let current = resolve(folder);
  for (;;) {
    if (current === stop) return undefined;
    if (existsSync(join(current, '.git'))) return current;

    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/**
 * Reads the link name of every connector file in the repository that contains `folder`, except
 * `exclude` (the file about to be overwritten). Files that cannot be read or parsed are
 * skipped, because they claim no link name yet. Outside a repository the result is empty.
 */
export async function linkNamesInRepository(
  folder: string,
  options: { home: string; cwd: string; exclude?: string; maxEntries?: number },
): Promise<LinkNamesInUse> {
  const root = findRepositoryRoot(folder, options.home);
  if (root === undefined) return { root, names: new Map(), complete: true };

  const search = await searchConnectorFiles(root, { maxEntries: options.maxEntries ?? MAX_SCANNED_ENTRIES });
  const excluded = options.exclude === undefined ? undefined : resolve(options.exclude);
  const names = new Map<string, string>();
  for (const file of search.files) {
    if (file === excluded) continue;
    const linkName = await readLinkName(file);
    if (linkName !== undefined && !names.has(linkName)) names.set(linkName, relative(options.cwd, file));
  }
  return { root, names, complete: search.complete };
}

/** Returns the file that already uses `linkName` and a free alternative, or undefined when it is free. */
export function findLinkNameConflict(linkName: string, inUse: LinkNamesInUse): LinkNameConflict | undefined {
  const owner = inUse.names.get(linkName);
  if (owner === undefined) return undefined;
  return { owner, proposal: freeLinkName(linkName, inUse.names) };
}

/** Parses the YAML only: a link name counts even when the rest of the file is invalid. */
async function readLinkName(path: string): Promise<string | undefined> {
  let bytes: Uint8Array;
  try {
    if ((await stat(path)).size > MAX_FILE_BYTES) return undefined;
    bytes = await readFile(path);
  } catch {
    return undefined;
  }

  const source = decodeSource(bytes, path, path);
  if (isSourceProblem(source)) return undefined;
  const value = parseSource(source).value as { linkName?: unknown } | undefined;
  return typeof value?.linkName === 'string' ? value.linkName : undefined;
}

/**
 * Raises InvalidFileError when another connector file in the same repository uses `linkName`,
 * because connections are stored by link name and two connectors would share them.
 */
export async function requireFreeLinkName(linkName: string, file: string, options: { home: string; cwd: string }): Promise<void> {
  const inUse = await linkNamesInRepository(dirname(file), { ...options, exclude: file });
  const conflict = findLinkNameConflict(linkName, inUse);
  if (conflict === undefined) return;
  throw new InvalidFileError(`link name "${linkName}" is already used by ${conflict.owner}; link names must be unique within a repository, because connections are stored by link name`, {
    hint: `choose another, for example: connector set linkName ${conflict.proposal}`,
  });
}
