import { UsageError } from '../cli/errors.js';

/** Parses a dotted path such as `auth.clientId` or `scopes.items[0].name` (also `scopes.items.0.name`). */
export function parseDottedPath(text: string): (string | number)[] {
  if (text.trim() === '') throw new UsageError('the key is empty; pass a dotted path such as auth.clientId');
  const path: (string | number)[] = [];
  for (const part of text.split('.')) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!match || (match[1] === '' && match[2] === '')) {
      throw new UsageError(`invalid key ${JSON.stringify(text)}; pass a dotted path such as auth.clientId or scopes.items[0].value`);
    }
    if (match[1] !== '') path.push(/^\d+$/.test(match[1]!) ? Number(match[1]) : match[1]!);
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) path.push(Number(index[1]));
  }
  return path;
}
