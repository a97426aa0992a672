import { mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

import { parse } from 'yaml';

import type { Deps } from '../cli/deps.js';
import { InvalidFileError, OperationError, UsageError } from '../cli/errors.js';
import { note, printJson, table } from '../cli/output.js';
import { applyToTemplate, renderNewFile, schemaHeader, type FieldValue } from '../definition/create.js';
import { formatDiagnostics, hasErrors } from '../definition/diagnostics.js';
import { DEFAULT_FILE_NAME } from '../definition/file.js';
import { readFieldValue } from '../definition/field-value.js';
import { deriveLinkName, LINK_NAME_PATTERN } from '../definition/link-name.js';
import { parseDottedPath } from '../definition/path.js';
import { findLinkNameConflict, linkNamesInRepository, MAX_SCANNED_ENTRIES, type LinkNamesInUse } from '../definition/repository.js';
import { readStdinBytes } from '../definition/source.js';
import { listTemplates, readTemplate } from '../definition/templates.js';
import { validateSource } from '../definition/validate.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { secretAccount, serviceFor } from '../store/accounts.js';
import { refuseLiteralSecret } from './field.js';
import { askGeneral, askScopes, askSecurity, validateLinkName, validateLogo, validateName, type Answers } from './init-questions.js';

type Flags = Record<string, unknown>;

/** `connector init [DIR]`: the builder's three steps as prompts, or flags and templates for scripts. */
export async function run(args: unknown[], flags: Flags, deps: Deps): Promise<void> {
  if (flags.listTemplates === true) return printTemplates(deps);

  const folder = resolveFolder(String(args[0] ?? '.'), deps.cwd);
  await requireFolderOrNothing(folder, String(args[0] ?? '.'));
  const file = join(folder, DEFAULT_FILE_NAME);
  const label = join(String(args[0] ?? '.'), DEFAULT_FILE_NAME);
  if (flags.force !== true && (await exists(file))) {
    throw new UsageError(`${label} already exists; nothing was written`, { hint: 'pass --force to overwrite it, or choose another folder' });
  }

  const template = typeof flags.template === 'string' ? await loadTemplate(flags.template) : undefined;
  const answers = answersFromFlags(flags, template?.value);
  await readSecretsFromStdin(flags, answers, deps);
  checkFlagValues(answers, folder);
  const linkNamesInUse = await checkLinkNameIsFree(answers, flags, { folder, file, deps });

  if (deps.interactive) {
    const prompter = await deps.prompter();
    deps.io.stderr.write('General\n');
    await askGeneral(prompter, answers, folder, linkNamesInUse.names);
    deps.io.stderr.write('Security\n');
    await askSecurity(prompter, answers);
    if (answers.auth.type === 'oauth2') {
      deps.io.stderr.write('Scopes\n');
      await askScopes(prompter, answers);
    }
  } else {
    requireScriptedValues(answers);
  }

  const sets = parseSetFlags(flags.set);
  let text = buildText(answers, template, sets, folder);
  let result = await validateSource({ path: file, label, text, bom: false, eol: '\n' }, { baseDir: folder });
  if (hasErrors(result.diagnostics)) {
    const details = formatDiagnostics(result.diagnostics.filter((d) => d.severity === 'error'), { label });
    throw new InvalidFileError(`the values given would make an invalid connector, so nothing was written:\n${details}`);
  }

  // Secrets go to the keychain before the file is written, so the file never refers to a missing entry.
  if (Object.keys(answers.secrets).length > 0) {
    await storeSecrets(answers, deps);
    text = buildText(answers, template, sets, folder);
    result = await validateSource({ path: file, label, text, bom: false, eol: '\n' }, { baseDir: folder });
  }

  await mkdir(folder, { recursive: true });
  await writeFileAtomic(file, text);

  const strict = await validateSource({ path: file, label, text, bom: false, eol: '\n' }, { baseDir: folder, strict: true });
  const missing = strict.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  if (deps.options.json) {
    printJson(deps.io, { file: label, linkName: answers.linkName, authType: answers.auth.type, stage: 'draft', missingForReady: missing });
    return;
  }
  note(deps.io, `Created ${label} (Draft).`);
  if (missing.length > 0) {
    note(deps.io, `Before connector ready, fill in:\n${missing.map((message) => `  - ${message}`).join('\n')}`);
  } else {
    note(deps.io, 'Next: connector ready, then connector connect.');
  }
}

async function printTemplates(deps: Deps): Promise<void> {
  const templates = await listTemplates();
  if (deps.options.json) {
    printJson(deps.io, templates.map(({ name, authType, description }) => ({ name, authType, description })));
    return;
  }
  deps.io.stdout.write(`${table(['NAME', 'AUTH', 'DESCRIPTION'], templates.map((t) => [t.name, t.authType, t.description]))}\n`);
}

async function loadTemplate(name: string): Promise<{ name: string; text: string; value: Record<string, unknown> }> {
  const text = await readTemplate(name);
  return { name, text, value: (parse(text) ?? {}) as Record<string, unknown> };
}

function answersFromFlags(flags: Flags, template: Record<string, unknown> | undefined): Answers {
  const string = (key: string) => (typeof flags[key] === 'string' ? (flags[key] as string) : undefined);
  const templateAuth = (template?.auth ?? {}) as Record<string, unknown>;
  const auth: Record<string, unknown> = { ...templateAuth };
  const setAuth = (key: string, value: unknown) => {
    if (value !== undefined) auth[key] = value;
  };

  const authType = string('auth');
  if (authType !== undefined && templateAuth.type !== undefined && authType !== templateAuth.type) {
    throw new UsageError(`--auth ${authType} does not match the template, which uses ${String(templateAuth.type)}`);
  }
  setAuth('type', authType);
  setAuth('grantType', string('grantType'));
  setAuth('clientId', string('clientId'));
  setAuth('authorizationUrl', string('authorizationUrl'));
  setAuth('deviceAuthorizationUrl', string('deviceAuthorizationUrl'));
  setAuth('tokenUrl', string('tokenUrl'));
  setAuth('refreshTokenUrl', string('refreshTokenUrl'));
  setAuth('revokeTokenUrl', string('revokeTokenUrl'));
  setAuth('redirectUri', string('redirectUri'));
  setAuth('bearerName', string('bearerName'));
  setAuth('clientAuthentication', string('clientAuthentication'));
  setAuth('consumerKey', string('consumerKey'));
  setAuth('requestTokenUrl', string('requestTokenUrl'));
  setAuth('accessTokenUrl', string('accessTokenUrl'));
  setAuth('signatureMethod', string('signatureMethod'));
  setAuth('location', string('location'));
  if (flags.pkce === false) auth.pkce = false;

  const expiresIn = string('expiresIn');
  if (expiresIn !== undefined) {
    if (!/^[1-9]\d*$/.test(expiresIn)) throw new UsageError(`--expires-in takes a whole number of seconds, not ${JSON.stringify(expiresIn)}`);
    auth.expiresIn = Number(expiresIn);
  }
  const secretEnv = string('clientSecretEnv');
  if (secretEnv !== undefined) auth.clientSecret = envReference('--client-secret-env', secretEnv);
  if (flags.clientSecret === false) auth.clientSecret = null;
  const consumerSecretEnv = string('consumerSecretEnv');
  if (consumerSecretEnv !== undefined) auth.consumerSecret = envReference('--consumer-secret-env', consumerSecretEnv);

  const apiKeys = flags.apiKey as string[] | undefined;
  if (apiKeys) {
    auth.parameters = apiKeys.map((item) => {
      const [key, name] = splitPair(item);
      if (key === '') throw new UsageError(`--api-key needs a key, e.g. --api-key X-Api-Key="API key"`);
      return { name: name ?? 'API key', key };
    });
  }
  if (auth.type === 'basic') {
    auth.username ??= { name: 'User name', key: 'username' };
    auth.password ??= { name: 'Password', key: 'password' };
  }

  const scopeFlags = flags.scope as string[] | undefined;
  const scopes = scopeFlags?.map((item) => {
    const [value, name] = splitPair(item);
    if (value === '') throw new UsageError('--scope needs a value, e.g. --scope files.read="Read files"');
    return { name: name ?? value, value };
  });

  const name = string('name') ?? (typeof template?.name === 'string' ? template.name : undefined);
  const linkName = string('linkName') ?? (string('name') === undefined && typeof template?.linkName === 'string' ? template.linkName : undefined);
  return {
    name,
    linkName: linkName ?? (name !== undefined ? deriveLinkName(name) : undefined),
    description: string('description') ?? (typeof template?.description === 'string' ? template.description : undefined),
    logo: string('logo'),
    baseUrl: string('baseUrl'),
    auth,
    scopes,
    scopeDelimiter: string('scopeDelimiter'),
    secrets: {},
  };
}

/** `key=name` splits at the first `=`; a plain `key` has no name. */
function splitPair(text: string): [string, string | undefined] {
  const index = text.indexOf('=');
  return index === -1 ? [text.trim(), undefined] : [text.slice(0, index).trim(), text.slice(index + 1).trim()];
}

function envReference(flag: string, name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new UsageError(`${flag} takes an environment variable name (letters, digits and _), not ${JSON.stringify(name)}`);
  }
  return `env:${name}`;
}

async function readSecretsFromStdin(flags: Flags, answers: Answers, deps: Deps): Promise<void> {
  const wanted = [flags.clientSecretStdin === true ? 'clientSecret' : undefined, flags.consumerSecretStdin === true ? 'consumerSecret' : undefined].filter(
    (name): name is string => name !== undefined,
  );
  if (wanted.length === 0) return;
  if (wanted.length > 1) throw new UsageError('stdin carries one secret; pass --client-secret-stdin or --consumer-secret-stdin, not both');
  if (deps.io.stdin.isTTY) throw new UsageError(`--${wanted[0] === 'clientSecret' ? 'client' : 'consumer'}-secret-stdin reads a piped value, but stdin is a terminal`);
  const secret = Buffer.from(await readStdinBytes(deps.io.stdin)).toString('utf8').replace(/\r?\n$/, '');
  if (secret === '') throw new UsageError('stdin was empty; pipe the secret into connector init');
  answers.secrets[wanted[0]!] = secret;
}

function checkFlagValues(answers: Answers, folder: string): void {
  const fail = (flag: string, problem: true | string) => {
    if (problem !== true) throw new UsageError(`${flag}: ${problem}`);
  };
  if (answers.name !== undefined) fail('--name', validateName(answers.name));
  if (answers.linkName !== undefined) fail('--link-name', validateLinkName(answers.linkName));
  if (answers.description !== undefined && answers.description.length > 255) fail('--description', 'at most 255 characters');
  if (answers.logo !== undefined) fail('--logo', validateLogo(answers.logo, folder));
}

/**
 * Rejects a link name that another connector file in the same git repository uses, and
 * proposes a free one. A derived link name that is taken is asked for again when prompting.
 */
async function checkLinkNameIsFree(answers: Answers, flags: Flags, target: { folder: string; file: string; deps: Deps }): Promise<LinkNamesInUse> {
  const { folder, file, deps } = target;
  const inUse = await linkNamesInRepository(folder, { home: homedir(), cwd: deps.cwd, exclude: file });
  if (!inUse.complete) {
    note(deps.io, `warning: stopped looking for link names in use after ${MAX_SCANNED_ENTRIES} entries below ${inUse.root}; a connector further down may use the same link name`);
  }

  const conflict = answers.linkName === undefined ? undefined : findLinkNameConflict(answers.linkName, inUse);
  if (conflict === undefined) return inUse;
  if (deps.interactive && typeof flags.linkName !== 'string') {
    answers.linkName = undefined;
    return inUse;
  }
  throw new UsageError(`link name "${answers.linkName}" is already used by ${conflict.owner}; link names must be unique within a repository`, {
    hint: `pass --link-name ${conflict.proposal}, or another free link name`,
  });
}

/** Under --no-input (or without a terminal) nothing is asked: name the flags that are missing. */
function requireScriptedValues(answers: Answers): void {
  const missing: string[] = [];
  if (answers.name === undefined) missing.push('--name NAME');
  if (answers.auth.type === undefined) missing.push('--auth basic|apiKey|oauth1|oauth2 (or --template NAME)');
  if (missing.length > 0) {
    throw new UsageError(`missing ${missing.join(' and ')}; prompts are off because of --no-input or because stdin is not a terminal`, {
      hint: 'for example: connector init --no-input --name "Zylker Files" --auth oauth2 --client-id ID --authorization-url URL --token-url URL',
    });
  }
  if (answers.linkName !== undefined && !LINK_NAME_PATTERN.test(answers.linkName)) throw new UsageError(`--link-name: ${String(validateLinkName(answers.linkName))}`);
}

function parseSetFlags(value: unknown): FieldValue[] {
  const items = (value as string[] | undefined) ?? [];
  return items.map((item) => {
    const index = item.indexOf('=');
    if (index <= 0) throw new UsageError(`--set takes KEY=VALUE, e.g. --set auth.tokenParams.audience=api (got ${JSON.stringify(item)})`);
    const path = parseDottedPath(item.slice(0, index));
    if (path[0] === 'stage') throw new UsageError('a new connector starts as Draft; promote it with connector ready');
    const value = readFieldValue(path, item.slice(index + 1));
    refuseLiteralSecret(path, value);
    return [path, value];
  });
}

/** The auth fields in the order DESIGN.md lists them, so new files read the same way. */
const AUTH_ORDER = [
  'type', 'grantType', 'location', 'username', 'password', 'parameters', 'consumerKey', 'consumerSecret', 'clientId', 'clientSecret',
  'requestTokenUrl', 'authorizationUrl', 'deviceAuthorizationUrl', 'accessTokenUrl', 'tokenUrl', 'refreshTokenUrl', 'revokeTokenUrl',
  'signatureMethod', 'bearerName', 'expiresIn', 'pkce', 'clientAuthentication', 'tokenRequestFormat', 'redirectUri', 'authorizationParams', 'tokenParams',
];

function orderedAuth(auth: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const key of AUTH_ORDER) if (auth[key] !== undefined && auth[key] !== null) result[key] = auth[key];
  for (const [key, value] of Object.entries(auth)) if (!(key in result) && value !== undefined && value !== null) result[key] = value;
  return result;
}

function buildText(
  answers: Answers,
  template: { name: string; text: string; value: Record<string, unknown> } | undefined,
  sets: FieldValue[],
  folder: string,
): string {
  const header = schemaHeader(folder);
  const auth = orderedAuth(answers.auth);
  const top: [string, unknown][] = [
    ['name', answers.name],
    ['linkName', answers.linkName],
    ['description', answers.description || undefined],
    ['logo', answers.logo || undefined],
    ['baseUrl', answers.baseUrl],
  ];

  if (template) {
    const fields: FieldValue[] = [];
    for (const [key, value] of top) if (value !== undefined && value !== template.value[key]) fields.push([[key], value]);
    const templateAuth = (template.value.auth ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(auth)) {
      if (JSON.stringify(value) !== JSON.stringify(templateAuth[key])) fields.push([['auth', key], value]);
    }
    if (answers.scopes && answers.scopes.length > 0) fields.push([['scopes', 'items'], answers.scopes]);
    if (answers.scopeDelimiter) fields.push([['scopes', 'delimiter'], answers.scopeDelimiter]);
    return applyToTemplate(template.text, [...fields, ...sets], header, template.name);
  }

  const value: Record<string, unknown> = { schemaVersion: 1 };
  for (const [key, item] of top) if (item !== undefined) value[key] = item;
  value.stage = 'draft';
  value.auth = auth;
  if (answers.scopes && answers.scopes.length > 0) {
    value.scopes = { delimiter: answers.scopeDelimiter ?? 'comma', items: answers.scopes };
  }
  for (const [path, item] of sets) setPath(value, path, item);
  return renderNewFile(value, header);
}

function setPath(target: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let node: Record<string | number, unknown> = target;
  for (const segment of path.slice(0, -1)) {
    if (typeof node[segment] !== 'object' || node[segment] === null) node[segment] = typeof segment === 'number' ? [] : {};
    node = node[segment] as Record<string | number, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

async function storeSecrets(answers: Answers, deps: Deps): Promise<void> {
  const linkName = answers.linkName!;
  let store;
  try {
    store = await deps.secretStore();
  } catch (error) {
    if (!(error instanceof OperationError) || !deps.interactive) {
      throw new OperationError(`cannot keep the secret, so nothing was written: ${(error as Error).message.replace(/\.$/, '')}`, {
        hint: `pass --${answers.auth.type === 'oauth1' ? 'consumer' : 'client'}-secret-env NAME to read it from an environment variable instead, or --insecure-storage`,
        cause: error,
      });
    }
    // Offer the env: reference instead; the secret itself is never written to the file.
    deps.io.stderr.write(`${error.message}\n${error.hint ? `${error.hint}\n` : ''}`);
    const prompter = await deps.prompter();
    for (const field of Object.keys(answers.secrets)) {
      const name = await prompter.input({
        message: `Environment variable to read ${field} from`,
        default: `${linkName.toUpperCase()}_${field === 'clientSecret' ? 'CLIENT_SECRET' : 'CONSUMER_SECRET'}`,
        validate: (value) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(value) ? true : 'letters, digits and _ only'),
      });
      answers.auth[field] = `env:${name}`;
      deps.io.stderr.write(`Set ${name} in the environment before connecting; the typed secret was not saved.\n`);
    }
    answers.secrets = {};
    return;
  }

  for (const [field, secret] of Object.entries(answers.secrets)) {
    await store.set(serviceFor(linkName), secretAccount(field), secret);
    answers.auth[field] = 'keychain';
  }
  answers.secrets = {};
}

/** DIR must be a folder, or not exist yet; a file there is a mistake in the argument. */
async function requireFolderOrNothing(folder: string, given: string): Promise<void> {
  let info;
  try {
    info = await stat(folder);
  } catch {
    return;
  }
  if (!info.isDirectory()) {
    throw new UsageError(`${given} is a file, but connector init takes the folder to create connector.yaml in`, {
      hint: 'pass its folder, or a new folder name',
    });
  }
}

function resolveFolder(dir: string, cwd: string): string {
  return isAbsolute(dir) ? dir : resolve(cwd, dir);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
