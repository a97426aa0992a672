import type { Deps } from '../cli/deps.js';
import { OperationError, UsageError } from '../cli/errors.js';
import { note, printJson } from '../cli/output.js';
import { changeConnectorFile } from '../definition/change.js';
import { loadConnectorFile } from '../definition/file.js';
import { parseDottedPath } from '../definition/path.js';
import { parseSource } from '../definition/parse.js';
import { readFieldValue } from '../definition/field-value.js';
import { InvalidFileError } from '../cli/errors.js';
import { requireFreeLinkName } from '../definition/repository.js';
import { homedir } from 'node:os';

/** `connector get KEY`: prints one field; a mapping or list prints as JSON. */
export async function runGet(args: unknown[], _options: Record<string, unknown>, deps: Deps): Promise<void> {
  const key = String(args[0]);
  const path = parseDottedPath(key);
  const loaded = await loadConnectorFile(deps.options.file, { cwd: deps.cwd, stdin: deps.io.stdin });
  const parsed = parseSource(loaded.source);
  if (parsed.value === undefined) {
    throw new InvalidFileError(`cannot read ${loaded.source.label}; run connector validate to see why`);
  }

  let value: unknown = parsed.value;
  for (const segment of path) {
    value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[segment] : undefined;
  }
  if (value === undefined) throw new OperationError(`${key} is not set in ${loaded.source.label}`);

  if (deps.options.json) {
    printJson(deps.io, value);
    return;
  }
  deps.io.stdout.write(typeof value === 'object' && value !== null ? `${JSON.stringify(value, null, 2)}\n` : `${String(value)}\n`);
}

/** `connector set KEY VALUE` (or `--unset`): edits one field, keeping the rest of the file byte for byte. */
export async function runSet(args: unknown[], options: Record<string, unknown>, deps: Deps): Promise<void> {
  const key = String(args[0]);
  const raw = args[1] as string | undefined;
  const path = parseDottedPath(key);
  if (options.unset === true && raw !== undefined) throw new UsageError('pass either a value or --unset, not both');
  if (options.unset !== true && raw === undefined) {
    throw new UsageError(`missing the value for ${key}`, { hint: `connector set ${key} VALUE, or connector set ${key} --unset` });
  }
  if (path[0] === 'stage') {
    throw new UsageError('the stage is changed with connector ready and connector draft, which check the file first');
  }

  const loaded = await loadConnectorFile(deps.options.file, { cwd: deps.cwd, stdin: deps.io.stdin });
  let changed: boolean;
  if (options.unset === true) {
    ({ changed } = await changeConnectorFile(loaded, (editor) => {
      editor.delete(path);
    }));
  } else {
    const value = readFieldValue(path, raw!);
    refuseLiteralSecret(path, value);
    if (path.length === 1 && path[0] === 'linkName' && typeof value === 'string' && loaded.source.path) {
      await requireFreeLinkName(value, loaded.source.path, { home: homedir(), cwd: deps.cwd });
    }
    ({ changed } = await changeConnectorFile(loaded, (editor) => editor.set(path, value)));
  }

  if (deps.options.json) {
    printJson(deps.io, { file: loaded.source.label, key, changed });
    return;
  }
  note(deps.io, changed ? `${loaded.source.label}: ${options.unset === true ? 'removed' : 'set'} ${key}` : `${loaded.source.label}: ${key} already had that value`);
}

/**
 * Raises UsageError when a secret field would get a literal value, because connector.yaml is
 * meant to be committed. A secret field takes a reference, and the value goes to the keychain
 * with `connector secret set`. A mapping set at a parent key (`set auth '{...}'`) is checked
 * field by field.
 */
export function refuseLiteralSecret(path: (string | number)[], value: unknown): void {
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) refuseLiteralSecret([...path, key], item);
    return;
  }
  const field = path.length === 2 && path[0] === 'auth' ? path[1] : undefined;
  if (field !== 'clientSecret' && field !== 'consumerSecret') return;
  if (typeof value !== 'string' || value === 'keychain' || value.startsWith('env:')) return;
  // file: names the RSA-SHA1 private key of an OAuth 1.0a connector, never a shared secret.
  if (value.startsWith('file:') && field === 'consumerSecret') return;
  throw new UsageError(`auth.${field} takes a reference, not the secret itself, because connector.yaml is meant to be committed; nothing was written`, {
    hint: `keep it in the keychain with connector secret set ${field} (the file then says keychain), or write env:NAME to read it from an environment variable${field === 'consumerSecret' ? '; an RSA-SHA1 private key may be file:PATH' : ''}`,
  });
}
