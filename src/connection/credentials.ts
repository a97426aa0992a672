import type { StoredCredential } from '../auth/credential.js';
import { AuthorizationError, OperationError, UsageError } from '../cli/errors.js';
import { connectionAccount, serviceFor } from '../store/accounts.js';
import type { ConnectionInput, ConnectionRecord, StoreKind } from '../store/metadata.js';
import type { ConnectionServices } from './services.js';

export const DEFAULT_CONNECTION = 'default';

/** Connection names appear in keychain account names and file names, so they stay simple. */
export const CONNECTION_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Raises UsageError for a connection name that CONNECTION_NAME_PATTERN rejects. */
export function checkConnectionName(name: string): void {
  if (CONNECTION_NAME_PATTERN.test(name)) return;
  throw new UsageError(`invalid connection name ${JSON.stringify(name)}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`, {
    hint: `for example --connection work, or leave it out for ${DEFAULT_CONNECTION}`,
  });
}

/**
 * Raises UsageError when the connection's credential is in another store than the one this
 * run opened, because reading would find nothing and deleting would leave the secret behind.
 */
export function checkStoreKind(record: ConnectionRecord, opened: StoreKind): void {
  if (record.store === opened) return;
  if (record.store === 'file') {
    throw new UsageError(`the credential of connection ${record.name} (${record.connector}) is in the plain file store, and this run uses the keychain`, {
      hint: 'pass --insecure-storage or set CONNECTOR_INSECURE_STORAGE=1 to use the file store',
    });
  }
  throw new UsageError(`the credential of connection ${record.name} (${record.connector}) is in the keychain, and this run uses the plain file store`, {
    hint: 'run without --insecure-storage and with CONNECTOR_INSECURE_STORAGE unset to use the keychain',
  });
}

export interface LoadedConnection {
  record: ConnectionRecord;
  credential: StoredCredential;
}

/**
 * Stores a connection: the credential in the secret store first, then the metadata, so the
 * metadata never names a credential that was not saved.
 */
export async function saveConnection(
  services: ConnectionServices,
  credential: StoredCredential,
  record: Omit<ConnectionInput, 'store'>,
): Promise<ConnectionRecord> {
  await services.store.set(serviceFor(record.connector), connectionAccount(record.name), JSON.stringify(credential));
  return services.metadata.upsert({ ...record, store: services.storeKind });
}

/** Replaces only the credential, as a token refresh does. */
export async function updateCredential(services: ConnectionServices, linkName: string, name: string, credential: StoredCredential): Promise<void> {
  await services.store.set(serviceFor(linkName), connectionAccount(name), JSON.stringify(credential));
}

/**
 * Loads a connection. A missing connection, or metadata whose credential is gone from the
 * store, is an authorization error (exit 4) whose hint is to connect again. A credential kept in
 * the other store (keychain or file) is a UsageError that names the switch to use.
 */
export async function loadConnection(services: ConnectionServices, linkName: string, name: string): Promise<LoadedConnection> {
  const record = await services.metadata.get(linkName, name);
  if (!record) {
    throw new AuthorizationError(`${linkName} has no connection named ${name}`, {
      hint: `run connector connect${name === DEFAULT_CONNECTION ? '' : ` --connection ${name}`}`,
    });
  }
  checkStoreKind(record, services.storeKind);
  const credential = await readCredential(services, linkName, name);
  if (!credential) {
    throw new AuthorizationError(`the credential of connection ${name} (${linkName}) is missing from the ${record.store === 'file' ? 'file store' : 'keychain'}`, {
      hint: `run connector connect${name === DEFAULT_CONNECTION ? '' : ` --connection ${name}`} --force to authorize it again`,
    });
  }
  return { record, credential };
}

/** A stored credential that is not valid JSON: exit 1, with the command that replaces it. */
export class DamagedCredentialError extends OperationError {
  constructor(linkName: string, name: string) {
    super(`the stored credential of connection ${name} (${linkName}) is damaged`, {
      hint: `run connector connect${name === DEFAULT_CONNECTION ? '' : ` --connection ${name}`} --force to replace it`,
    });
  }
}

/**
 * Reads and parses the stored credential; null when the store has no entry. Raises
 * DamagedCredentialError for a value that does not parse, and the store's own errors as they are.
 */
export async function readCredential(services: Pick<ConnectionServices, 'store'>, linkName: string, name: string): Promise<StoredCredential | null> {
  const text = await services.store.get(serviceFor(linkName), connectionAccount(name));
  if (text === null) return null;
  try {
    return JSON.parse(text) as StoredCredential;
  } catch {
    // The parser's message quotes the text, which is secret, so it is not kept as the cause.
    throw new DamagedCredentialError(linkName, name);
  }
}

/** Deletes the credential, then the metadata; a store failure leaves both in place. */
export async function deleteConnection(services: ConnectionServices, linkName: string, name: string): Promise<void> {
  await services.store.delete(serviceFor(linkName), connectionAccount(name));
  await services.metadata.remove(linkName, name);
}
