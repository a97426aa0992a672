import { homedir as systemHomedir } from 'node:os';

import { OperationError, UsageError } from '../cli/errors.js';
import type { SecretStore } from '../cli/deps.js';
import { ChunkedSecretStore } from './chunked.js';
import { FileSecretStore } from './file-store.js';
import type { InsecureStorageSource } from './file-store.js';
import { KeychainStore, fileStoreWayOut } from './keychain.js';
import { dataDir } from './paths.js';
import type { StoreKind } from './metadata.js';

export const insecureStorageVariable = 'CONNECTOR_INSECURE_STORAGE';

export interface OpenSecretStoreOptions {
  env: NodeJS.ProcessEnv;
  /** True when `--insecure-storage` was given. */
  insecureStorage?: boolean;
  platform?: NodeJS.Platform;
  homedir?: string;
  /** The keychain to probe; tests pass one with a fake entry factory. */
  keychain?: KeychainStore;
}

export interface OpenedSecretStore {
  store: SecretStore;
  kind: StoreKind;
  /** For the file store: the line to print to stderr on every run that uses it. */
  notice?: string;
}

/**
 * Opens the OS keychain when it can store a secret, or the plain file store when the user opted
 * in with `--insecure-storage` or `CONNECTOR_INSECURE_STORAGE=1`. Without the opt-in, an
 * unreachable keychain is an OperationError that names the cause and both ways out; the file
 * store is never chosen silently. Either store is wrapped in ChunkedSecretStore.
 */
export async function openSecretStore(options: OpenSecretStoreOptions): Promise<OpenedSecretStore> {
  const platform = options.platform ?? process.platform;
  const source = insecureStorageSource(options);

  if (source !== undefined) {
    const folder = dataDir({ env: options.env, platform, homedir: options.homedir ?? systemHomedir() });
    const fileStore = new FileSecretStore({ folder, source });
    return { store: new ChunkedSecretStore(fileStore), kind: 'file', notice: fileStore.notice };
  }

  const keychain = options.keychain ?? new KeychainStore({ platform });
  const probe = await keychain.probe();
  if (!probe.ok) {
    throw new OperationError(`No keychain is available to store secrets: ${probe.error.reason}.`, {
      hint: `${capitalize(probe.error.fix)}. ${fileStoreWayOut}.`,
      cause: probe.error,
    });
  }

  return { store: new ChunkedSecretStore(keychain), kind: 'keychain' };
}

/** Returns the switch that requests the file store, or undefined when neither does. */
function insecureStorageSource(options: OpenSecretStoreOptions): InsecureStorageSource | undefined {
  if (options.insecureStorage === true) return 'flag';

  const value = (options.env[insecureStorageVariable] ?? '').trim().toLowerCase();
  if (value === '1' || value === 'true' || value === 'yes') return 'environment';
  if (value === '' || value === '0' || value === 'false' || value === 'no') return undefined;

  throw new UsageError(`${insecureStorageVariable} must be 1 or 0 (true/false and yes/no also work), got "${options.env[insecureStorageVariable]}".`, {
    hint: `Set ${insecureStorageVariable}=1 to store secrets in a plain file, or unset it to use the keychain.`,
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
