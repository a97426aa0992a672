import type { Diagnostic } from './diagnostics.js';

export const LINK_NAME_PATTERN = /^[a-z][a-z0-9_]{0,49}$/;

/**
 * Derives a link name from a display name: accents folded, lower case, every other character
 * to `_`, runs of `_` collapsed, and a leading letter guaranteed. "Zylker Files" -> "zylker_files".
 */
export function deriveLinkName(name: string): string {
  let linkName = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!/^[a-z]/.test(linkName)) linkName = `c_${linkName}`.replace(/_+$/, '');
  if (linkName === 'c') linkName = 'connector';
  return linkName.slice(0, 50).replace(/_+$/, '');
}

/** Returns `base`, or `base_2`, `base_3`, ... when it is taken, within the 50-character limit. */
export function freeLinkName(base: string, taken: { has(linkName: string): boolean }): string {
  if (!taken.has(base)) return base;
  for (let counter = 2; ; counter++) {
    const suffix = `_${counter}`;
    const candidate = base.slice(0, 50 - suffix.length) + suffix;
    if (!taken.has(candidate)) return candidate;
  }
}

/** A connector file as far as link-name uniqueness is concerned. */
export interface LinkNameOwner {
  file: string;
  linkName: string | undefined;
  /** Position of the link name's value in the file; undefined when it cannot be located. */
  linkNameAt: { line: number; column: number; endLine?: number; endColumn?: number } | undefined;
}

/**
 * Finds link names used by more than one of the files checked together. The first file in
 * the list keeps its link name. Each later one gets an error that names the first file and
 * its position, and proposes a link name that none of the files uses.
 */
export function duplicateLinkNames(owners: readonly LinkNameOwner[]): { index: number; diagnostic: Diagnostic }[] {
  const taken = new Set(owners.flatMap((owner) => (owner.linkName === undefined ? [] : [owner.linkName])));
  const first = new Map<string, number>();
  const results: { index: number; diagnostic: Diagnostic }[] = [];

  owners.forEach((owner, index) => {
    if (owner.linkName === undefined) return;
    const earlier = first.get(owner.linkName);
    if (earlier === undefined) {
      first.set(owner.linkName, index);
      return;
    }

    const other = owners[earlier]!;
    const there = other.linkNameAt === undefined ? other.file : `${other.file}:${other.linkNameAt.line}:${other.linkNameAt.column}`;
    const proposal = freeLinkName(owner.linkName, taken);
    taken.add(proposal);
    results.push({
      index,
      diagnostic: {
        line: 0,
        column: 0,
        ...owner.linkNameAt,
        path: 'linkName',
        message: `linkName ${JSON.stringify(owner.linkName)} is already used by ${there}; link names must be unique across the files checked together, so choose another, such as ${JSON.stringify(proposal)}`,
        severity: 'error',
      },
    });
  });
  return results;
}
