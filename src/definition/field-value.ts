import { parse } from 'yaml';

import { UsageError } from '../cli/errors.js';
import { formatPath } from './diagnostics.js';
import { propertyNamesAt, typesAt } from './schema-lookup.js';
import { closestMatch } from './similar.js';

/**
 * Reads a command-line value as the type the schema gives the field, so `set auth.clientId 123`
 * stores the string "123" and `set auth.expiresIn 600` stores a number. Mappings and lists are
 * given as JSON or YAML flow text.
 */
export function readFieldValue(path: (string | number)[], raw: string): unknown {
  const types = typesAt(path);
  const field = formatPath(path);
  if (types.length === 0) {
    const parentPath = path.slice(0, -1);
    const allowed = propertyNamesAt(parentPath);
    const last = String(path[path.length - 1]);
    const guess = closestMatch(last, allowed);
    const where = parentPath.length > 0 ? ` in ${formatPath(parentPath)}` : '';
    throw new UsageError(
      `unknown key ${field}${guess ? `; did you mean ${formatPath([...parentPath, guess])}?` : ''}`,
      allowed.length > 0 ? { hint: `keys allowed${where}: ${allowed.join(', ')}` } : {},
    );
  }

  if (types.includes('string')) return raw;
  if (types.includes('integer') || types.includes('number')) {
    const number = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(number) || (types.includes('integer') && !types.includes('number') && !Number.isInteger(number))) {
      throw new UsageError(`${field} takes ${types.includes('integer') ? 'a whole number' : 'a number'}, not ${JSON.stringify(raw)}`);
    }
    return number;
  }
  if (types.includes('boolean')) {
    const lower = raw.toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(lower)) return true;
    if (['false', 'no', 'off', '0'].includes(lower)) return false;
    throw new UsageError(`${field} takes true or false, not ${JSON.stringify(raw)}`);
  }

  let value: unknown;
  try {
    value = parse(raw);
  } catch (error) {
    throw new UsageError(`${field} takes ${types.includes('array') ? 'a list' : 'a mapping'} as JSON or YAML flow text, e.g. '{"audience": "api"}': ${(error as Error).message.split('\n')[0]}`);
  }
  const isList = Array.isArray(value);
  const isMapping = typeof value === 'object' && value !== null && !isList;
  if ((types.includes('array') && isList) || (types.includes('object') && isMapping)) return value;
  throw new UsageError(`${field} takes ${types.includes('array') ? 'a list, e.g. \'["a", "b"]\'' : 'a mapping, e.g. \'{"audience": "api"}\''}`);
}
