import { resolve } from 'node:path';

import type { Deps } from '../cli/deps.js';
import { SilentExit, ExitCode } from '../cli/errors.js';
import { printJson, styleFor } from '../cli/output.js';
import { formatDiagnostics, hasErrors, sortDiagnostics, type Diagnostic } from '../definition/diagnostics.js';
import { loadConnectorFile } from '../definition/file.js';
import { findConnectorFiles } from '../definition/discover.js';
import { duplicateLinkNames, type LinkNameOwner } from '../definition/link-name.js';
import { checkSource, positionInSource } from '../definition/check.js';
import type { SourceFile } from '../definition/source.js';

export interface FileReport extends LinkNameOwner {
  diagnostics: Diagnostic[];
  sourceText: string | undefined;
  /** Kept to place a duplicate link name, which needs the YAML parser; only such files pay for it. */
  source: SourceFile | undefined;
}

/** `connector validate [FILE|DIR|-]...`: every YAML, schema and semantic problem of each file at once. */
export async function run(args: unknown[], options: Record<string, unknown>, deps: Deps): Promise<void> {
  const given = (args[0] as string[] | undefined) ?? [];
  const targets = given.length > 0 ? await expandTargets(given, deps.cwd) : [options.file as string | undefined];

  const reports: FileReport[] = [];
  for (const target of targets) reports.push(await validateOne(target, targets.length === 1, deps));
  await placeSharedLinkNames(reports);
  for (const duplicate of duplicateLinkNames(reports)) {
    const report = reports[duplicate.index]!;
    report.diagnostics.push(duplicate.diagnostic);
    sortDiagnostics(report.diagnostics);
  }

  const invalid = reports.filter((report) => hasErrors(report.diagnostics)).length;
  if (deps.options.json) {
    const rows = reports.flatMap((report) =>
      report.diagnostics.map((diagnostic) => ({
        ...(reports.length > 1 ? { file: report.file } : {}),
        line: diagnostic.line,
        column: diagnostic.column,
        path: diagnostic.path,
        message: diagnostic.message,
        severity: diagnostic.severity,
      })),
    );
    printJson(deps.io, rows);
  } else {
    printText(reports, invalid, deps);
  }
  if (invalid > 0) throw new SilentExit(ExitCode.invalidFile);
}

async function validateOne(target: string | undefined, single: boolean, deps: Deps): Promise<FileReport> {
  try {
    const loaded = await loadConnectorFile(target, { cwd: deps.cwd, stdin: deps.io.stdin });
    const result = await checkSource(loaded.source);
    const linkName = (result.value as { linkName?: unknown } | undefined)?.linkName;
    return {
      file: loaded.source.label,
      linkName: typeof linkName === 'string' ? linkName : undefined,
      linkNameAt: undefined,
      diagnostics: result.diagnostics,
      sourceText: loaded.source.text,
      source: loaded.source,
    };
  } catch (error) {
    // A file that cannot be read or decoded is one more report, so the other files are still checked.
    if (!(error instanceof Error) || !('exitCode' in error)) throw error;
    const message = error.message;
    const position = /^(.*?):(\d+):(\d+): (.*)$/s.exec(message);
    const file = target ?? 'connector.yaml';
    if (position) {
      return { file: position[1]!, linkName: undefined, linkNameAt: undefined, sourceText: undefined, source: undefined, diagnostics: [{ line: Number(position[2]), column: Number(position[3]), path: '', message: position[4]!, severity: 'error' }] };
    }
    const exitCode = (error as { exitCode: number }).exitCode;
    if (exitCode === ExitCode.usage && single) throw error;
    return { file, linkName: undefined, linkNameAt: undefined, sourceText: undefined, source: undefined, diagnostics: [{ line: 0, column: 0, path: '', message: message.replace(`${file}: `, ''), severity: 'error' }] };
  }
}

/** Finds the position of each link name that more than one file uses, for the duplicate messages. */
async function placeSharedLinkNames(reports: FileReport[]): Promise<void> {
  const counts = new Map<string, number>();
  for (const report of reports) if (report.linkName !== undefined) counts.set(report.linkName, (counts.get(report.linkName) ?? 0) + 1);
  for (const report of reports) {
    if (report.linkName === undefined || report.source === undefined || (counts.get(report.linkName) ?? 0) < 2) continue;
    report.linkNameAt = await positionInSource(report.source, ['linkName']);
  }
}

function printText(reports: FileReport[], invalid: number, deps: Deps): void {
  const onTerminal = deps.io.stdout.isTTY === true;
  // These lines go to stdout, so they are styled only when stdout itself is a terminal (or FORCE_COLOR).
  const styled = deps.io.color && (onTerminal || (deps.env.FORCE_COLOR !== undefined && deps.env.FORCE_COLOR !== '0'));
  const style = styleFor({ color: styled });
  for (const report of reports) {
    if (report.diagnostics.length === 0) {
      deps.io.stdout.write(`${report.file}: ${style.success('valid')}\n`);
      continue;
    }
    const text = formatDiagnostics(report.diagnostics, {
      label: report.file,
      sourceText: onTerminal ? report.sourceText : undefined,
      style: styled ? style : undefined,
    });
    deps.io.stdout.write(`${text}\n`);
    if (!hasErrors(report.diagnostics)) deps.io.stdout.write(`${report.file}: ${style.success('valid')}, with warnings\n`);
  }
  if (reports.length > 1) {
    const problems = reports.reduce((sum, report) => sum + report.diagnostics.filter((d) => d.severity === 'error').length, 0);
    deps.io.stdout.write(`${reports.length} files checked: ${reports.length - invalid} valid, ${invalid} invalid, ${problems} error${problems === 1 ? '' : 's'}\n`);
  }
}

async function expandTargets(given: string[], cwd: string): Promise<(string | undefined)[]> {
  const targets: string[] = [];
  // A file named twice (`a/connector.yaml` and `./a`) is checked once, or it would be its own duplicate.
  const seen = new Set<string>();
  for (const item of given) {
    if (item === '-') {
      targets.push(item);
      continue;
    }
    for (const file of await findConnectorFiles(item, cwd)) {
      const absolute = resolve(cwd, file);
      if (seen.has(absolute)) continue;
      seen.add(absolute);
      targets.push(file);
    }
  }
  return targets;
}
