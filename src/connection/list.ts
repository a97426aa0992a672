/** `connector connections`: the stored connections, each checked against the secret store. */
import type { Deps, SecretStore } from '../cli/deps.js';
import { CliError } from '../cli/errors.js';
import { IncompleteEntryError } from '../store/chunked.js';
import type { ConnectionRecord, StoreKind } from '../store/metadata.js';
import { insecureStorageVariable } from '../store/select.js';
import { DamagedCredentialError, DEFAULT_CONNECTION, readCredential } from './credentials.js';
import { openMetadata } from './services.js';

/**
 * - `ok`: the credential is in the store.
 * - `broken`: the credential is missing from the store or damaged.
 * - `needsReconnect`: the provider refused to refresh the token.
 * - `unchecked`: the store that contains the credential could not be read in this run.
 */
export type ConnectionStatus = 'ok' | 'broken' | 'needsReconnect' | 'unchecked';

export interface ConnectionListing {
  record: ConnectionRecord;
  status: ConnectionStatus;
  /** The reason the status is not `ok`. */
  problem?: string;
  /** The command that repairs a `broken` or `needsReconnect` connection. */
  fix?: string;
}

/**
 * Lists the connections in the metadata, of every connector or of one, and checks each
 * credential with `readCredential`. A store that fails marks the rows it affects as
 * `unchecked` instead of failing the whole list.
 */
export async function listConnections(deps: Deps, filter: { connector?: string }): Promise<ConnectionListing[]> {
  const records = await openMetadata(deps).list(filter);
  const wanted = storeKindOfRun(deps);

  let store: SecretStore | undefined;
  let storeProblem: string | undefined;
  if (records.some((record) => record.store === wanted)) {
    try {
      store = await deps.secretStore();
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      storeProblem = error.message;
    }
  }

  const listings: ConnectionListing[] = [];
  for (const record of records) {
    if (record.store !== wanted) listings.push({ record, status: 'unchecked', problem: otherStoreProblem(record.store) });
    else if (store === undefined) listings.push({ record, status: 'unchecked', problem: storeProblem ?? 'the secret store could not be opened' });
    else listings.push(await check(record, store));
  }
  return listings;
}

/**
 * Returns the kind of store this run opens. It repeats the opt-in rule of openSecretStore, so that rows in the
 * other store are reported without opening a store that may be unreachable.
 */
function storeKindOfRun(deps: Deps): StoreKind {
  const variable = (deps.env[insecureStorageVariable] ?? '').trim().toLowerCase();
  return deps.options.insecureStorage === true || ['1', 'true', 'yes'].includes(variable) ? 'file' : 'keychain';
}

function otherStoreProblem(store: StoreKind): string {
  return store === 'file'
    ? 'the credential is in the plain file store; run with --insecure-storage to check it'
    : 'the credential is in the keychain; run without --insecure-storage to check it';
}

async function check(record: ConnectionRecord, store: SecretStore): Promise<ConnectionListing> {
  let credential;
  try {
    credential = await readCredential({ store }, record.connector, record.name);
  } catch (error) {
    // A value that does not parse, or a long value with a part deleted from the store, is
    // broken for good: reading again does not help, connecting again does.
    if (error instanceof DamagedCredentialError || error instanceof IncompleteEntryError) {
      return { record, status: 'broken', problem: error.message, fix: reconnectCommand(record) };
    }
    if (error instanceof CliError) return { record, status: 'unchecked', problem: error.message };
    throw error;
  }

  if (credential === null) {
    const where = record.store === 'file' ? 'the plain file store' : 'the keychain';
    return { record, status: 'broken', problem: `the credential is missing from ${where}`, fix: reconnectCommand(record) };
  }
  if (record.needsReconnect === true) {
    return { record, status: 'needsReconnect', problem: 'the provider refused to refresh the token', fix: reconnectCommand(record) };
  }
  return { record, status: 'ok' };
}

function reconnectCommand(record: ConnectionRecord): string {
  const file = record.connectorFile === undefined ? '' : ` -f ${quoteForShell(record.connectorFile)}`;
  const connection = record.name === DEFAULT_CONNECTION ? '' : ` --connection ${record.name}`;
  const storage = record.store === 'file' ? ' --insecure-storage' : '';
  return `connector connect${file}${connection} --force${storage}`;
}

function quoteForShell(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
