import type { Deps } from '../cli/deps.js';
import { InvalidFileError, UsageError } from '../cli/errors.js';
import { note, printJson, table } from '../cli/output.js';
import { changeConnectorFile } from '../definition/change.js';
import { loadConnectorFile, type LoadedFile } from '../definition/file.js';
import { parseSource } from '../definition/parse.js';
import { closestMatch } from '../definition/similar.js';

interface ScopeRow {
  name: string;
  value: string;
}

async function loadScopes(deps: Deps): Promise<{ loaded: LoadedFile; scopes: ScopeRow[]; authType: unknown }> {
  const loaded = await loadConnectorFile(deps.options.file, { cwd: deps.cwd, stdin: deps.io.stdin });
  const parsed = parseSource(loaded.source);
  if (parsed.value === undefined) throw new InvalidFileError(`cannot read ${loaded.source.label}; run connector validate to see why`);
  const value = parsed.value as { auth?: { type?: unknown }; scopes?: { items?: unknown } };
  const items = Array.isArray(value.scopes?.items) ? (value.scopes.items as unknown[]) : [];
  const scopes = items.map((item) => {
    const scope = (item ?? {}) as Record<string, unknown>;
    return { name: String(scope.name ?? ''), value: String(scope.value ?? '') };
  });
  return { loaded, scopes, authType: value.auth?.type };
}

function requireOAuth2(authType: unknown): void {
  if (authType !== 'oauth2') {
    throw new UsageError(`scopes apply only to OAuth 2.0 connectors, and this one has auth.type ${String(authType)}`);
  }
}

function indexOfScope(scopes: ScopeRow[], value: string): number {
  const index = scopes.findIndex((scope) => scope.value === value);
  if (index === -1) {
    const guess = closestMatch(value, scopes.map((scope) => scope.value));
    throw new UsageError(`no scope has the value ${JSON.stringify(value)}${guess ? `; did you mean ${guess}?` : ''}`, {
      hint: 'connector scopes list shows the scopes',
    });
  }
  return index;
}

/** `connector scopes list [--search TEXT]`: matches name or value, case-insensitively. */
export async function runList(_args: unknown[], options: Record<string, unknown>, deps: Deps): Promise<void> {
  const { scopes, authType } = await loadScopes(deps);
  requireOAuth2(authType);
  const search = typeof options.search === 'string' ? options.search.toLowerCase() : undefined;
  const shown = search === undefined ? scopes : scopes.filter((scope) => scope.name.toLowerCase().includes(search) || scope.value.toLowerCase().includes(search));

  if (deps.options.json) {
    printJson(deps.io, shown);
    return;
  }
  if (shown.length === 0) {
    note(deps.io, search === undefined ? 'no scopes; add one with connector scopes add --value VALUE --name NAME' : `no scope matches ${JSON.stringify(options.search)}`);
    return;
  }
  deps.io.stdout.write(`${table(['NAME', 'VALUE'], shown.map((scope) => [scope.name, scope.value]))}\n`);
}

/** `connector scopes add --value VALUE [--name NAME]` */
export async function runAdd(_args: unknown[], options: Record<string, unknown>, deps: Deps): Promise<void> {
  const value = String(options.value ?? '').trim();
  const name = typeof options.name === 'string' ? options.name.trim() : value;
  if (value === '') throw new UsageError('--value must not be empty');
  if (name === '') throw new UsageError('--name must not be empty');

  const { loaded, scopes, authType } = await loadScopes(deps);
  requireOAuth2(authType);
  if (scopes.some((scope) => scope.value === value)) throw new UsageError(`the scope ${JSON.stringify(value)} is already there`);

  await changeConnectorFile(loaded, (editor) => editor.append(['scopes', 'items'], { name, value }));
  report(deps, loaded.source.label, 'added', [value]);
}

/** `connector scopes edit VALUE [--name NAME] [--value NEW]` */
export async function runEdit(args: unknown[], options: Record<string, unknown>, deps: Deps): Promise<void> {
  const current = String(args[0]);
  if (options.name === undefined && options.value === undefined) throw new UsageError('pass --name, --value or both');
  if (options.value !== undefined && String(options.value).trim() === '') throw new UsageError('--value must not be empty');
  if (options.name !== undefined && String(options.name).trim() === '') throw new UsageError('--name must not be empty');

  const { loaded, scopes, authType } = await loadScopes(deps);
  requireOAuth2(authType);
  const index = indexOfScope(scopes, current);
  const newValue = options.value === undefined ? undefined : String(options.value).trim();
  if (newValue !== undefined && newValue !== current && scopes.some((scope) => scope.value === newValue)) {
    throw new UsageError(`the scope ${JSON.stringify(newValue)} is already there`);
  }

  await changeConnectorFile(loaded, (editor) => {
    if (options.name !== undefined) editor.set(['scopes', 'items', index, 'name'], String(options.name).trim());
    if (newValue !== undefined) editor.set(['scopes', 'items', index, 'value'], newValue);
  });
  report(deps, loaded.source.label, 'changed', [current]);
}

/** `connector scopes remove VALUE...`: all values must exist, or nothing is removed. */
export async function runRemove(args: unknown[], _options: Record<string, unknown>, deps: Deps): Promise<void> {
  const values = (args[0] as string[]).map(String);
  const { loaded, scopes, authType } = await loadScopes(deps);
  requireOAuth2(authType);
  const indexes = [...new Set(values.map((value) => indexOfScope(scopes, value)))].sort((a, b) => b - a);

  await changeConnectorFile(loaded, (editor) => {
    // From the last to the first, so earlier indexes stay valid.
    for (const index of indexes) editor.delete(['scopes', 'items', index]);
  });
  report(deps, loaded.source.label, 'removed', values);
}

function report(deps: Deps, file: string, action: string, values: string[]): void {
  if (deps.options.json) {
    printJson(deps.io, { file, [action]: values });
    return;
  }
  note(deps.io, `${file}: ${action} ${values.join(', ')}`);
}
