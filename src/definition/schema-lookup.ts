import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../package-root.js';

type Schema = Record<string, unknown>;

let cached: Schema | undefined;

/** Reads schemas/connector.schema.json; only `set`, `schema` and `init` need it, so it is read on demand. */
export function loadSchema(): Schema {
  cached ??= JSON.parse(readFileSync(join(packageRoot(), 'schemas', 'connector.schema.json'), 'utf8')) as Schema;
  return cached;
}

export function schemaText(): string {
  return readFileSync(join(packageRoot(), 'schemas', 'connector.schema.json'), 'utf8');
}

/**
 * Finds every subschema that can describe the value at `path`, looking through `$ref`,
 * `allOf`/`anyOf`/`oneOf` and `if`/`then`/`else`, so a field that only one auth type has is found.
 */
export function subschemasAt(path: readonly (string | number)[], root: Schema = loadSchema()): Schema[] {
  let current = expand([root], root);
  for (const segment of path) {
    const next: Schema[] = [];
    for (const schema of current) {
      if (typeof segment === 'number' || /^\d+$/.test(String(segment))) {
        if (isSchema(schema.items)) next.push(schema.items);
        continue;
      }
      const properties = schema.properties as Record<string, unknown> | undefined;
      const property = properties?.[segment];
      if (isSchema(property)) next.push(property);
      else if (isSchema(schema.additionalProperties)) next.push(schema.additionalProperties);
    }
    current = expand(next, root);
  }
  return current;
}

/** The JSON types a field accepts, such as ['string'] or ['integer']; empty for an unknown field. */
export function typesAt(path: readonly (string | number)[]): string[] {
  const types = new Set<string>();
  for (const schema of subschemasAt(path)) {
    const type = schema.type;
    if (typeof type === 'string') types.add(type);
    else if (Array.isArray(type)) for (const item of type) types.add(String(item));
    else if (Array.isArray(schema.enum)) for (const item of schema.enum) types.add(typeof item === 'number' ? 'number' : typeof item);
    else if (schema.const !== undefined) types.add(typeof schema.const);
  }
  return [...types];
}

/** Property names allowed at `path`, for did-you-mean suggestions. */
export function propertyNamesAt(path: readonly (string | number)[]): string[] {
  const names = new Set<string>();
  for (const schema of subschemasAt(path)) {
    for (const name of Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {})) names.add(name);
  }
  return [...names];
}

function expand(schemas: Schema[], root: Schema): Schema[] {
  const result: Schema[] = [];
  const queue = [...schemas];
  const seen = new Set<Schema>();
  while (queue.length > 0) {
    const schema = queue.shift()!;
    if (seen.has(schema)) continue;
    seen.add(schema);
    result.push(schema);
    if (typeof schema.$ref === 'string') {
      const target = resolveRef(schema.$ref, root);
      if (target) queue.push(target);
    }
    for (const key of ['allOf', 'anyOf', 'oneOf']) {
      const list = schema[key];
      if (Array.isArray(list)) for (const item of list) if (isSchema(item)) queue.push(item);
    }
    for (const key of ['then', 'else']) if (isSchema(schema[key])) queue.push(schema[key] as Schema);
  }
  return result;
}

function resolveRef(ref: string, root: Schema): Schema | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return isSchema(node) ? node : undefined;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
