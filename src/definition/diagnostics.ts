import { printable } from '../printable.js';

/** A problem found in a connector file, positioned for `FILE:LINE:COL: message` output. */
export interface Diagnostic {
  /** 1-based; 0 when the problem has no place in the file (an empty file, a missing file). */
  line: number;
  column: number;
  /** End of the span to underline, on the same line when known. */
  endLine?: number;
  endColumn?: number;
  /** Dotted path of the field, such as `auth.tokenUrl`; empty for file-level problems. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((diagnostic) => diagnostic.severity === 'error');
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.line - b.line || a.column - b.column || a.message.localeCompare(b.message));
}

/** Formats a path array from the YAML or JSON Schema world as `auth.parameters[1].key`. */
export function formatPath(path: readonly (string | number)[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text;
}

export interface FormatOptions {
  /** The file name shown before each position, or `-` for stdin. */
  label: string;
  /** The file text, to quote the line and underline the span (terminal output only). */
  sourceText?: string;
  style?: { error(text: string): string; warning(text: string): string; dim(text: string): string };
}

/** Renders diagnostics as `FILE:LINE:COL: message`, optionally with the source line and a caret underline. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], options: FormatOptions): string {
  const lines = options.sourceText?.split(/\r?\n/);
  const out: string[] = [];

  for (const diagnostic of diagnostics) {
    const where = diagnostic.line > 0 ? `${options.label}:${diagnostic.line}:${diagnostic.column}` : options.label;
    const severity = diagnostic.severity === 'warning' ? 'warning: ' : '';
    const message = printable(diagnostic.message);
    const styled = options.style
      ? (diagnostic.severity === 'warning' ? options.style.warning : options.style.error)(severity + message)
      : severity + message;
    out.push(`${where}: ${styled}`);

    const sourceLine = lines && diagnostic.line > 0 ? lines[diagnostic.line - 1] : undefined;
    if (sourceLine === undefined) continue;
    const shown = printable(sourceLine.length > 200 ? sourceLine.slice(0, 200) + '…' : sourceLine);
    const start = Math.max(1, diagnostic.column);
    const end =
      diagnostic.endLine === diagnostic.line && diagnostic.endColumn !== undefined && diagnostic.endColumn > start
        ? diagnostic.endColumn
        : start + 1;
    const width = Math.max(1, Math.min(end, shown.length + 1) - start);
    // Tabs before the span keep their width so the carets line up in a terminal.
    const padding = shown.slice(0, start - 1).replace(/[^\t]/g, ' ');
    out.push(`  ${shown}`);
    const carets = `  ${padding}${'^'.repeat(width)}`;
    out.push(options.style ? options.style.dim(carets) : carets);
  }
  return out.join('\n');
}
