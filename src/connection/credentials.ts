import type { StoredCredential } from '../auth/credential.js';
import { AuthorizationError, OperationError } from '../cli/errors.js';
import { connectionAccount, serviceFor } from '../store/accounts.js';
import type { ConnectionInput, ConnectionRecord } from '../store/metadata.js';
import type { ConnectionServices } from './services.js';

export const DEFAULT_CONNECTION = 'default';

/** Connection names appear in keychain account names and file names, so they stay simple. */
export const CONNECTION_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

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
 * store, is an authorization error (exit 4) that says to connect again.
 */
export async function loadConnection(services: ConnectionServices, linkName: string, name: string): Promise<LoadedConnection> {
  const record = await services.metadata.get(linkName, name);
  if (!record) {
    throw new AuthorizationError(`${linkName} has no connection named ${name}`, {
      hint: `run connector connect${name === DEFAULT_CONNECTION ? '' : ` --connection ${name}`}`,
    });
  }
  const credential = await readCredential(services, linkName, name);
  if (!credential) {
    throw new AuthorizationError(`the credential of connection ${name} (${linkName}) is missing from the ${record.store === 'file' ? 'file store' : 'keychain'}`, {
      hint: `run connector connect${name === DEFAULT_CONNECTION ? '' : ` --connection ${name}`} --force to authorize it again`,
    });
  }
  return { record, credential };
}

/** Reads and parses the stored credential; null when the store has no entry. */
export async function readCredential(services: ConnectionServices, linkName: string, name: string): Promise<StoredCredential | null> {
  const text = await services.store.get(serviceFor(linkName), connectionAccount(name));
  if (text === null) return null;
  try {
    return JSON.parse(text) as StoredCredential;
  } catch {
    throw new OperationError(`the stored credential of connection ${name} (${linkName}) is damaged`, {
      hint: `run connector connect${name === DEFAULT_CONNECTION ? '' : ` --connection ${name}`} --force to replace it`,
    });
  }
}

/** Deletes the credential, then the metadata; a store failure leaves both in place. */
export async function deleteConnection(services: ConnectionServices, linkName: string, name: string): Promise<void> {
  await services.store.delete(serviceFor(linkName), connectionAccount(name));
  await services.metadata.remove(linkName, name);
}
