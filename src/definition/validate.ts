import { checkSimpleSource, checkValue, toConnector } from './check.js';
import { hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { parseSource, type ParsedSource } from './parse.js';
import { schemaDiagnostics } from './schema-check.js';
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

/**
 * Runs every check on a connector file: YAML, schema and semantics, and reports all problems at
 * once. A file without any problem that readSimpleYaml can read is checked without building
 * the YAML document; `parsed.document` and `parsed.lineCounter` then parse it on first access.
 * checkSource in check.ts returns the same diagnostics and connector without `parsed`.
 */
export async function validateSource(source: SourceFile, options: ValidateOptions = {}): Promise<ValidationResult> {
  const simple = await checkSimpleSource(source, options);
  if (simple !== undefined) return { parsed: parseOnAccess(source, simple.value), diagnostics: [], connector: simple.connector };

  return validateParsedSource(source, options);
}

/** validateSource without the fast path: parses the document first, so every problem has its position. */
export async function validateParsedSource(source: SourceFile, options: ValidateOptions): Promise<ValidationResult> {
  const parsed = parseSource(source);
  const result: ValidationResult = { parsed, diagnostics: [...parsed.diagnostics], connector: undefined };
  if (parsed.document === undefined || parsed.value === undefined || hasErrors(parsed.diagnostics)) return result;

  const checked = await checkValue(parsed.value, source, options);
  // Loops rather than push(...list): a file with many thousand problems would pass more
  // arguments than the call stack holds.
  for (const diagnostic of schemaDiagnostics(checked.schemaErrors, parsed.document, parsed.lineCounter)) result.diagnostics.push(diagnostic);
  for (const problem of checked.problems) result.diagnostics.push(locateProblem(parsed, problem));

  sortDiagnostics(result.diagnostics);
  if (!hasErrors(result.diagnostics)) result.connector = toConnector(checked.value, parsed.value, options);
  return result;
}

/**
 * Returns the parse result of a file that readSimpleYaml read and that has no problem: the same
 * value and no diagnostics, with the document and its line counter built on first access.
 */
function parseOnAccess(source: SourceFile, value: unknown): ParsedSource {
  let full: ParsedSource | undefined;
  const parse = (): ParsedSource => (full ??= parseSource(source));
  return {
    source,
    value,
    diagnostics: [],
    get document() {
      return parse().document;
    },
    get lineCounter() {
      return parse().lineCounter;
    },
  };
}
