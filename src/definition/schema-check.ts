import { isScalar, type Document, type LineCounter } from 'yaml';

import { formatPath, type Diagnostic } from './diagnostics.js';
import { locate, positionOf } from './locate.js';
import { closestMatch } from './similar.js';

/** The subset of an Ajv error this module reads; Ajv runs with `allErrors` and `verbose`. */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  data?: unknown;
  parentSchema?: { properties?: Record<string, unknown>; examples?: unknown[]; description?: string } & Record<string, unknown>;
}

/** Turns schema errors into diagnostics in plain words, each placed on its YAML node. */
export function schemaDiagnostics(errors: readonly SchemaError[], document: Document.Parsed, lineCounter: LineCounter): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();

  for (const error of errors) {
    // `if` only reports that a `then` failed; the failure itself is reported separately.
    if (error.keyword === 'if') continue;

    const path = splitPointer(error.instancePath);
    const described = describe(error, path, document);
    if (!described) continue;

    const key = `${described.path.join('.')}\u0000${described.message}`;
    if (seen.has(key)) continue;
    seen.add(key);

    diagnostics.push({
      ...positionOf(document, lineCounter, described.path, described.atKey ?? false),
      path: formatPath(described.path),
      message: described.message,
      severity: 'error',
    });
  }
  return diagnostics;
}

function describe(
  error: SchemaError,
  path: (string | number)[],
  document: Document.Parsed,
): { path: (string | number)[]; message: string; atKey?: boolean } | undefined {
  const field = formatPath(path) || 'the file';
  const params = error.params;

  switch (error.keyword) {
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const name = String(params.additionalProperty ?? params.unevaluatedProperty ?? '');
      const allowed = Object.keys(error.parentSchema?.properties ?? {});
      const guess = closestMatch(name, allowed);
      const where = path.length === 0 ? 'at the top level' : `in ${field}`;
      const hint = guess ? `; did you mean \`${guess}\`?` : allowed.length > 0 ? `; allowed here: ${allowed.join(', ')}` : '';
      return { path: [...path, name], message: `unknown key \`${name}\` ${where}${hint}`, atKey: true };
    }
    case 'required': {
      const name = String(params.missingProperty ?? '');
      const childPath = [...path, name];
      const example = exampleFor(error.parentSchema, name);
      return {
        path: childPath,
        message: `${formatPath(childPath)} is missing${example ? `, e.g. ${name}: ${example}` : ''}`,
      };
    }
    case 'type': {
      const expected = String(params.type ?? '');
      if (expected.includes('string') && (typeof error.data === 'number' || typeof error.data === 'boolean')) {
        const text = sourceText(document, path) ?? String(error.data);
        const key = path[path.length - 1];
        return {
          path,
          message: `${field} must be a string, but YAML reads ${text} as a ${typeof error.data}; quote it: ${String(key)}: "${text}"`,
        };
      }
      return { path, message: `${field} must be ${article(expected)}, not ${kindOf(error.data)}` };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[] | undefined)?.map(String) ?? [];
      const guess = typeof error.data === 'string' ? closestMatch(error.data, allowed) : undefined;
      return {
        path,
        message: `${field} must be one of ${allowed.join(', ')}, not ${JSON.stringify(error.data)}${guess ? `; did you mean ${guess}?` : ''}`,
      };
    }
    case 'const':
      return { path, message: `${field} must be ${JSON.stringify(params.allowedValue)}, not ${JSON.stringify(error.data)}` };
    case 'pattern':
      return { path, message: patternMessage(field, path, error) };
    case 'minLength':
      return Number(params.limit) <= 1
        ? { path, message: `${field} must not be empty` }
        : { path, message: `${field} must be at least ${String(params.limit)} characters` };
    case 'maxLength':
      return {
        path,
        message: `${field} must be at most ${String(params.limit)} characters (it has ${typeof error.data === 'string' ? [...error.data].length : '?'})`,
      };
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum':
      return { path, message: `${field} ${error.message ?? 'is out of range'} (it is ${String(error.data)})` };
    case 'minItems':
      return { path, message: `${field} needs at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}` };
    case 'maxItems':
      return { path, message: `${field} may have at most ${String(params.limit)} items` };
    case 'multipleOf':
    case 'format':
    default:
      return { path, message: `${field} ${error.message ?? 'is invalid'}` };
  }
}

function patternMessage(field: string, path: (string | number)[], error: SchemaError): string {
  const last = path[path.length - 1];
  if (last === 'name' || last === 'description') {
    return /\S/.test(String(error.data))
      ? `${field} must not contain line breaks, control characters or text-direction overrides, because terminals would act on them; remove them`
      : `${field} must not be only spaces`;
  }
  if (last === 'linkName') {
    return `${field} must start with a lower-case letter and use only a-z, 0-9 and _, e.g. zylker_files (got ${JSON.stringify(error.data)})`;
  }
  const example = error.parentSchema?.examples?.[0];
  return `${field} has an invalid form (${JSON.stringify(error.data)})${example !== undefined ? `, e.g. ${JSON.stringify(example)}` : ''}`;
}

function exampleFor(parentSchema: SchemaError['parentSchema'], name: string): string | undefined {
  const property = parentSchema?.properties?.[name] as { examples?: unknown[] } | undefined;
  const example = property?.examples?.[0];
  if (example === undefined || typeof example === 'object') return undefined;
  return typeof example === 'string' ? example : JSON.stringify(example);
}

function article(type: string): string {
  const words: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
  };
  return type
    .split(',')
    .map((part) => words[part] ?? part)
    .join(' or ');
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

function splitPointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/** Returns the value as written in the file, so an unquoted 1000.10 is shown as typed, not as 1000.1. */
function sourceText(document: Document.Parsed, path: (string | number)[]): string | undefined {
  const { node } = locate(document, path);
  if (!isScalar(node)) return undefined;
  const token = node.srcToken as { source?: string } | undefined;
  return token?.source;
}
