/** `connector secret set|delete NAME`: connector secrets that the file references as `keychain`. */
import { createPrivateKey } from 'node:crypto';

import type { Deps } from '../cli/deps.js';
import { OperationError, UsageError } from '../cli/errors.js';
import { changeConnectorFile } from '../definition/change.js';
import { readStdinBytes } from '../definition/source.js';
import type { Connector } from '../definition/types.js';
import { secretAccount, serviceFor } from '../store/accounts.js';
import type { ConnectorSecretField } from './secrets.js';
import { loadReadyConnector, type LoadedConnector } from './services.js';

export const CONNECTOR_SECRET_NAMES: readonly ConnectorSecretField[] = ['clientSecret', 'consumerSecret'];

/** The auth type whose file field each secret fills. */
const AUTH_TYPE_OF: Record<ConnectorSecretField, 'oauth2' | 'oauth1'> = { clientSecret: 'oauth2', consumerSecret: 'oauth1' };

export interface SetSecretResult {
  connector: string;
  name: ConnectorSecretField;
  /** "keychain" or "file". */
  store: string;
  /** True when the file's field was changed to `keychain`. */
  switched: boolean;
}

export interface DeleteSecretResult {
  connector: string;
  name: ConnectorSecretField;
  /** False when the store had no such secret. */
  deleted: boolean;
}

/**
 * Stores a connector secret in the secret store. The value comes from stdin when it is piped
 * (or with `--stdin`), else from a masked prompt. When the file's field is not `keychain`, a
 * terminal user is offered the switch, which is written after the secret is stored. A script
 * gets a UsageError naming `connector set auth.NAME keychain` instead, and nothing is stored.
 */
export async function setConnectorSecret(nameArgument: string, options: { stdin: boolean }, deps: Deps): Promise<SetSecretResult> {
  const name = checkSecretName(nameArgument);
  if (deps.options.file === '-') throw new UsageError('connector secret set reads the secret from stdin or a prompt, so the connector file cannot come from stdin; pass -f FILE');

  const definition = await loadReadyConnector(deps, { requireReady: false });
  const { connector } = definition;
  checkAuthType(connector, name);
  const switched = await confirmKeychainReference(definition, name, deps);

  const value = await readSecretValue(connector, name, options, deps);
  const store = await deps.secretStore();
  await store.set(serviceFor(connector.linkName), secretAccount(name), value);

  // The secret is stored before the file names it, so the file never refers to a missing entry.
  if (switched) await changeConnectorFile(definition.loaded, (editor) => editor.set(['auth', name], 'keychain'));
  return { connector: connector.linkName, name, store: store.kind, switched };
}

/** Deletes a connector secret from the secret store. `warn` receives a note when the file still references it. */
export async function deleteConnectorSecret(nameArgument: string, deps: Deps, warn: (message: string) => void): Promise<DeleteSecretResult> {
  const name = checkSecretName(nameArgument);
  const { connector } = await loadReadyConnector(deps, { requireReady: false });

  const store = await deps.secretStore();
  const deleted = await store.delete(serviceFor(connector.linkName), secretAccount(name));
  if (deleted && referenceOf(connector, name) === 'keychain') {
    warn(`auth.${name} still says keychain, so connector connect fails until you store a new one with connector secret set ${name}`);
  }
  return { connector: connector.linkName, name, deleted };
}

function checkSecretName(name: string): ConnectorSecretField {
  const known = CONNECTOR_SECRET_NAMES.find((candidate) => candidate === name);
  if (known !== undefined) return known;
  throw new UsageError(`unknown connector secret ${JSON.stringify(name)}; the names are clientSecret (OAuth 2.0) and consumerSecret (OAuth 1.0a)`);
}

function checkAuthType(connector: Connector, name: ConnectorSecretField): void {
  if (connector.auth.type === AUTH_TYPE_OF[name]) return;

  const other = CONNECTOR_SECRET_NAMES.find((candidate) => AUTH_TYPE_OF[candidate] === connector.auth.type);
  throw new UsageError(`${connector.linkName} uses ${connector.auth.type} authentication, which has no ${name}`, {
    hint: other === undefined ? `${connector.auth.type} connectors keep no connector secret; connector connect asks for their values` : `did you mean connector secret set ${other}?`,
  });
}

function referenceOf(connector: Connector, name: ConnectorSecretField): string | undefined {
  const value = (connector.auth as unknown as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Returns true when the file's field must be switched to `keychain`; raises when the user or a script may not switch it. */
async function confirmKeychainReference(definition: LoadedConnector, name: ConnectorSecretField, deps: Deps): Promise<boolean> {
  const reference = referenceOf(definition.connector, name);
  if (reference === 'keychain') return false;

  const label = definition.loaded.source.label;
  const current =
    reference === undefined
      ? 'is not set'
      : reference.startsWith('env:')
        ? `reads the environment variable ${reference.slice(4)}`
        : reference.startsWith('file:')
          ? `reads the file ${reference.slice(5)}`
          : 'holds a literal value';
  const problem = `auth.${name} in ${label} ${current}, so a secret kept in the keychain would not be used`;

  if (!deps.interactive) {
    throw new UsageError(`${problem}; nothing was stored`, {
      hint: `switch it with connector set auth.${name} keychain, then run connector secret set ${name} again`,
    });
  }

  const prompter = await deps.prompter();
  const switchIt = await prompter.confirm({ message: `auth.${name} ${current}. Change it to keychain in ${label}?`, default: true });
  if (!switchIt) throw new OperationError(`${problem}; nothing was stored`);
  return true;
}

async function readSecretValue(connector: Connector, name: ConnectorSecretField, options: { stdin: boolean }, deps: Deps): Promise<string> {
  const isRsaKey = name === 'consumerSecret' && connector.auth.type === 'oauth1' && connector.auth.signatureMethod === 'RSA-SHA1';
  const what = describeSecret(name, isRsaKey);
  const stdinIsTerminal = deps.io.stdin.isTTY === true;

  let value: string;
  if (!stdinIsTerminal) {
    // One trailing line break is what `echo` and most files add; it is not part of the secret.
    value = Buffer.from(await readStdinBytes(deps.io.stdin)).toString('utf8').replace(/\r?\n$/, '');
    if (value === '') throw new UsageError(`stdin was empty; pipe the ${what} into connector secret set ${name}`);
  } else if (options.stdin) {
    throw new UsageError(`--stdin reads a piped value, but stdin is a terminal`, { hint: `pipe it in, e.g. connector secret set ${name} --stdin < secret.txt` });
  } else if (isRsaKey) {
    throw new UsageError('an RSA private key has several lines, which a prompt cannot take', {
      hint: `pipe the PEM file in: connector secret set ${name} < key.pem`,
    });
  } else if (!deps.interactive) {
    throw new UsageError(`prompts are off (--no-input), so there is no way to type the ${what}`, {
      hint: `pipe it in: connector secret set ${name} --stdin < secret.txt`,
    });
  } else {
    const prompter = await deps.prompter();
    value = await prompter.password({ message: capitalize(what), validate: (text) => (text !== '' ? true : `the ${what} must not be empty`) });
  }

  if (isRsaKey) checkPrivateKey(value);
  return value;
}

function describeSecret(name: ConnectorSecretField, isRsaKey: boolean): string {
  if (isRsaKey) return 'RSA private key';
  return name === 'clientSecret' ? 'client secret' : 'consumer secret';
}

function checkPrivateKey(pem: string): void {
  try {
    createPrivateKey(pem);
  } catch {
    // The parser's message may quote the input, which is secret, so only the kind of problem is reported.
    throw new UsageError('stdin does not hold an RSA private key in PEM form (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----); nothing was stored');
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
