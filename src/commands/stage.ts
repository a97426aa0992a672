import type { Deps } from '../cli/deps.js';
import { InvalidFileError } from '../cli/errors.js';
import { note, printJson } from '../cli/output.js';
import { changeConnectorFile } from '../definition/change.js';
import { formatDiagnostics, hasErrors } from '../definition/diagnostics.js';
import { loadConnectorFile } from '../definition/file.js';
import { requireFreeLinkName } from '../definition/repository.js';
import { validateSource } from '../definition/validate.js';
import { homedir } from 'node:os';

/** `connector ready`: strict validation, then `stage: ready`. Running it twice changes nothing. */
export async function runReady(_args: unknown[], _options: Record<string, unknown>, deps: Deps): Promise<void> {
  const loaded = await loadConnectorFile(deps.options.file, { cwd: deps.cwd, stdin: deps.io.stdin });
  const result = await validateSource(loaded.source, { strict: true });

  if (hasErrors(result.diagnostics)) {
    const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    const details = formatDiagnostics(errors, { label: loaded.source.label });
    throw new InvalidFileError(
      `${loaded.source.label} is not ready: ${errors.length} problem${errors.length === 1 ? '' : 's'} to fix first:\n${details}`,
      { hint: 'fix each one (connector set KEY VALUE edits a field), then run connector ready again' },
    );
  }

  const linkName = (result.parsed.value as { linkName?: unknown } | undefined)?.linkName;
  if (typeof linkName === 'string' && loaded.source.path) {
    await requireFreeLinkName(linkName, loaded.source.path, { home: homedir(), cwd: deps.cwd });
  }
  for (const warning of result.diagnostics.filter((diagnostic) => diagnostic.severity === 'warning')) {
    note(deps.io, `${loaded.source.label}:${warning.line}:${warning.column}: warning: ${warning.message}`);
  }

  const { changed } = await changeConnectorFile(loaded, (editor) => editor.set(['stage'], 'ready'), { strict: true });
  report(deps, loaded.source.label, 'ready', changed);
}

/** `connector draft`: back to Draft, so the definition can change freely. */
export async function runDraft(_args: unknown[], _options: Record<string, unknown>, deps: Deps): Promise<void> {
  const loaded = await loadConnectorFile(deps.options.file, { cwd: deps.cwd, stdin: deps.io.stdin });
  const { changed } = await changeConnectorFile(loaded, (editor) => editor.set(['stage'], 'draft'));
  report(deps, loaded.source.label, 'draft', changed);
}

function report(deps: Deps, file: string, stage: 'ready' | 'draft', changed: boolean): void {
  if (deps.options.json) {
    printJson(deps.io, { file, stage, changed });
    return;
  }
  const label = stage === 'ready' ? 'Ready' : 'Draft';
  note(deps.io, changed ? `${file}: the connector is now ${label}` : `${file}: the connector is already ${label}`);
}
