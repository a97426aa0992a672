/**
 * Values that `connector connect` collects: connection parameters, the Basic user name and
 * password, and API keys. Each comes from the first source that has it, in this order:
 * `--param KEY=VALUE`, `--param-stdin KEY`, the `CONNECTOR_PARAM_<KEY>` environment variable,
 * a prompt (only with a terminal), and the field's default.
 */
import type { Prompter } from '../cli/deps.js';
import { UsageError } from '../cli/errors.js';

/** One value to collect, as the connector file declares it. */
export interface InputField {
  key: string;
  /** The prompt text, from the connector file. */
  name: string;
  default?: string;
  /** Asked with a masked prompt. */
  secret: boolean;
}

export interface InputSources {
  /** `--param KEY=VALUE` values by key. */
  flags: ReadonlyMap<string, string>;
  /** The value piped in with `--param-stdin KEY`. */
  stdin?: { key: string; value: string };
  env: NodeJS.ProcessEnv;
}

export interface PromptAccess {
  interactive: boolean;
  prompter: () => Promise<Prompter>;
}

/** Returns the environment variable that supplies `key`: upper case, with every character other than A-Z and 0-9 turned into `_`. */
export function parameterVariable(key: string): string {
  return `CONNECTOR_PARAM_${key.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Parses repeated `--param KEY=VALUE` flags; the value may contain `=`. */
export function parseParamFlags(items: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const item of items) {
    const index = item.indexOf('=');
    if (index <= 0) throw new UsageError(`--param takes KEY=VALUE, e.g. --param subdomain=acme (got ${JSON.stringify(item)})`);

    const key = item.slice(0, index);
    const value = item.slice(index + 1);
    if (value === '') throw new UsageError(`--param ${key}= has an empty value; give the value after the =`);
    if (values.has(key)) throw new UsageError(`--param ${key} is given more than once; pass each key once`);
    values.set(key, value);
  }
  return values;
}

/** Raises UsageError when a flag names a key the connector does not ask for, listing the keys it does. */
export function checkKnownKeys(fields: readonly InputField[], flags: ReadonlyMap<string, string>, stdinKey: string | undefined): void {
  const known = new Set(fields.map((field) => field.key));
  const unknown = [...flags.keys(), ...(stdinKey === undefined ? [] : [stdinKey])].filter((key) => !known.has(key));
  if (unknown.length === 0) return;

  const list = known.size === 0 ? 'it asks for none' : `it asks for: ${[...known].join(', ')}`;
  throw new UsageError(`this connector has no parameter ${unknown.map((key) => JSON.stringify(key)).join(' or ')}; ${list}`);
}

/**
 * Collects a value for every field, in order, and returns them by key. Without a terminal,
 * fields that no source supplies are reported together in one UsageError that names the flag
 * and the environment variable for each.
 */
export async function collectInputs(fields: readonly InputField[], sources: InputSources, prompts: PromptAccess): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  const missing: InputField[] = [];

  for (const field of fields) {
    const given = givenValue(field.key, sources);
    if (given !== undefined) {
      values[field.key] = given;
      continue;
    }

    if (prompts.interactive) {
      values[field.key] = await ask(field, await prompts.prompter());
      continue;
    }
    if (field.default !== undefined) {
      values[field.key] = field.default;
      continue;
    }
    missing.push(field);
  }

  if (missing.length > 0) throw missingError(missing);
  return values;
}

function givenValue(key: string, sources: InputSources): string | undefined {
  const flag = sources.flags.get(key);
  if (flag !== undefined) return flag;
  if (sources.stdin?.key === key) return sources.stdin.value;

  // An empty variable counts as unset, as a shell's `VAR= command` usually means "no value".
  const variable = sources.env[parameterVariable(key)];
  return variable === undefined || variable === '' ? undefined : variable;
}

async function ask(field: InputField, prompter: Prompter): Promise<string> {
  const validate = (value: string) => (value !== '' ? true : `${field.name} must not be empty`);
  if (field.secret) return prompter.password({ message: field.name, validate });

  return prompter.input({
    message: field.name,
    ...(field.default === undefined ? {} : { default: field.default }),
    validate,
  });
}

function missingError(missing: readonly InputField[]): UsageError {
  const lines = missing.map(
    (field) =>
      field.secret
        ? `  ${field.name} (${field.key}): pipe it in with --param-stdin ${field.key}, pass --param ${field.key}=VALUE, or set ${parameterVariable(field.key)}`
        : `  ${field.name} (${field.key}): pass --param ${field.key}=VALUE, or set ${parameterVariable(field.key)}`,
  );
  return new UsageError(`missing ${missing.length === 1 ? 'a value' : `${missing.length} values`} for connector connect:\n${lines.join('\n')}`, {
    hint: 'prompts are off because of --no-input or because stdin is not a terminal',
  });
}
