import { dirname } from 'node:path';

import validateSchema from './generated/connector-validator.js';
import { hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { parseSource, type ParsedSource } from './parse.js';
import { schemaDiagnostics } from './schema-check.js';
import { semanticProblems } from './semantic.js';
import type { SourceFile } from './source.js';
import type { Connector } from './types.js';
import { locateProblem } from './locate.js';

export interface ValidationResult {
  parsed: ParsedSource;
  diagnostics: Diagnostic[];
  /** The connector with schema defaults filled in; set only when there are no errors. */
  connector: Connector | undefined;
}

export interface ValidateOptions {
  /** Folder that relative paths (the logo) resolve against; defaults to the file's folder. */
  baseDir?: string;
  /**
   * Checks the file as if it were Ready: everything its auth type and grant type need to
   * connect must be present. `connector ready` uses this.
   */
  strict?: boolean;
}

/** Runs every check on a connector file: YAML, schema and semantics, and reports all problems at once. */
export async function validateSource(source: SourceFile, options: ValidateOptions = {}): Promise<ValidationResult> {
  const parsed = parseSource(source);
  const result: ValidationResult = { parsed, diagnostics: [...parsed.diagnostics], connector: undefined };
  if (parsed.document === undefined || parsed.value === undefined || hasErrors(parsed.diagnostics)) return result;

  const value = structuredClone(parsed.value) as Record<string, unknown>;
  if (options.strict) value.stage = 'ready';

  const valid = validateSchema(value);
  if (!valid) {
    result.diagnostics.push(...schemaDiagnostics(validateSchema.errors ?? [], parsed.document, parsed.lineCounter));
  }

  const baseDir = options.baseDir ?? (source.path ? dirname(source.path) : process.cwd());
  for (const problem of await semanticProblems(value, baseDir)) {
    result.diagnostics.push(locateProblem(parsed, problem));
  }

  sortDiagnostics(result.diagnostics);
  if (!hasErrors(result.diagnostics)) {
    // The schema guarantees the shape once it passes; defaults were filled in during validation.
    if (options.strict) value.stage = (parsed.value as Record<string, unknown>).stage ?? 'draft';
    result.connector = value as unknown as Connector;
  }
  return result;
}
