import { dirname } from 'node:path';

import validateSchema from './generated/connector-validator.js';
import type { Diagnostic } from './diagnostics.js';
import type { Position } from './locate.js';
import type { SchemaError } from './schema-check.js';
import { semanticProblems, type SemanticProblem } from './semantic.js';
import { readSimpleYaml } from './simple-yaml.js';
import type { SourceFile } from './source.js';
import type { Connector } from './types.js';
import type { ValidateOptions } from './validate.js';

// The checks of a connector file that need its value but no source positions. This module
// imports neither the `yaml` package nor the modules that place diagnostics, so a command that
// only needs a valid connector loads the YAML parser only when the file has a problem.

/** The findings of validateSource, without the parsed document. */
export interface CheckResult {
  /** The file's value as written; undefined when the YAML cannot be read as a mapping. */
  value: unknown;
  diagnostics: Diagnostic[];
  /** The connector with schema defaults filled in; set only when there are no errors. */
  connector: Connector | undefined;
}

/**
 * Runs the same checks as validateSource and returns the same diagnostics and connector. A file
 * that readSimpleYaml can read and that has no problem is checked without the YAML parser.
 */
export async function checkSource(source: SourceFile, options: ValidateOptions = {}): Promise<CheckResult> {
  const simple = await checkSimpleSource(source, options);
  if (simple !== undefined) return { value: simple.value, diagnostics: [], connector: simple.connector };

  const { validateParsedSource } = await import('./validate.js');
  const result = await validateParsedSource(source, options);
  return { value: result.parsed.value, diagnostics: result.diagnostics, connector: result.connector };
}

/**
 * Returns where the value (or with `atKey`, the key) at `path` sits in the file, as positionOf
 * does, or undefined when the file is not a single YAML document. Loads the YAML parser.
 */
export async function positionInSource(source: SourceFile, path: (string | number)[], atKey = false): Promise<Position | undefined> {
  const [{ parseSource }, { positionOf }] = await Promise.all([import('./parse.js'), import('./locate.js')]);
  const parsed = parseSource(source);
  return parsed.document === undefined ? undefined : positionOf(parsed.document, parsed.lineCounter, path, atKey);
}

/**
 * Checks a file on the fast path. Returns its value and connector when readSimpleYaml reads it
 * and the schema and semantic checks find no problem, not even a warning. Otherwise returns
 * undefined, and the caller parses the file to place the problems.
 */
export async function checkSimpleSource(source: SourceFile, options: ValidateOptions): Promise<{ value: unknown; connector: Connector } | undefined> {
  const value = readSimpleYaml(source.text);
  if (value === undefined) return undefined;

  const checked = await checkValue(value, source, options);
  if (checked.schemaErrors.length > 0 || checked.problems.length > 0) return undefined;
  return { value, connector: toConnector(checked.value, value, options) };
}

export interface CheckedValue {
  /** A copy of the file's value, with schema defaults filled in. */
  value: Record<string, unknown>;
  schemaErrors: SchemaError[];
  problems: SemanticProblem[];
}

/** Runs the schema and the semantic checks on a copy of the file's value. */
export async function checkValue(original: unknown, source: SourceFile, options: ValidateOptions): Promise<CheckedValue> {
  const value = structuredClone(original) as Record<string, unknown>;
  if (options.strict) value.stage = 'ready';

  const schemaErrors = validateSchema(value) ? [] : [...((validateSchema.errors ?? []) as SchemaError[])];

  const baseDir = options.baseDir ?? (source.path ? dirname(source.path) : process.cwd());
  const problems = await semanticProblems(value, baseDir);
  return { value, schemaErrors, problems };
}

/**
 * Returns the checked value as a Connector. The schema guarantees the shape once it passes, and
 * defaults were filled in during validation; strict checks set the stage back to the file's.
 */
export function toConnector(value: Record<string, unknown>, original: unknown, options: ValidateOptions): Connector {
  if (options.strict) value.stage = (original as Record<string, unknown>).stage ?? 'draft';
  return value as unknown as Connector;
}
