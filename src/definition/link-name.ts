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
export function freeLinkName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let counter = 2; ; counter++) {
    const suffix = `_${counter}`;
    const candidate = base.slice(0, 50 - suffix.length) + suffix;
    if (!taken.has(candidate)) return candidate;
  }
}

interface LinkNameOwner {
  file: string;
  linkName: string | undefined;
  sourceText: string | undefined;
}

/** Finds link names used by more than one of the files validated together, naming both places. */
export function duplicateLinkNames(owners: readonly LinkNameOwner[]): { index: number; diagnostic: Diagnostic }[] {
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
    const here = linkNamePosition(owner.sourceText);
    const there = linkNamePosition(other.sourceText);
    results.push({
      index,
      diagnostic: {
        ...here,
        path: 'linkName',
        message: `linkName ${JSON.stringify(owner.linkName)} is already used by ${other.file}:${there.line}; link names must be unique, so choose another`,
        severity: 'error',
      },
    });
  });
  return results;
}

function linkNamePosition(text: string | undefined): { line: number; column: number } {
  if (text === undefined) return { line: 0, column: 0 };
  const lines = text.split('\n');
  const index = lines.findIndex((line) => /^linkName\s*:/.test(line));
  if (index === -1) return { line: 0, column: 0 };
  const column = (lines[index]!.indexOf(':') ?? 0) + 2;
  return { line: index + 1, column: lines[index]!.slice(column - 1).search(/\S/) + column };
}
