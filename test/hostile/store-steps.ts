/**
 * The writes the store crash tests make, shared by the child process that is killed
 * (store-driver.ts) and the test that computes every state the file may be left in.
 */

import type { Clock } from '../../src/cli/deps.js';
import { FileSecretStore } from '../../src/store/file-store.js';
import { ConnectionMetadata } from '../../src/store/metadata.js';

export type StoreKind = 'metadata' | 'secrets';

/** A fixed clock, so the metadata file's timestamps, and with them its bytes, do not vary between runs. */
const clock: Clock = { now: () => Date.UTC(2024, 5, 11, 9, 30) };

/** Lock timeouts shorter than the default 30 s, so a test that trips over a lock fails quickly. */
const lock = { timeoutMs: 5_000 };

export interface StoreWriter {
  /** The file the store writes. */
  path: string;
  /** Makes write number `step`, counting from 1; each one changes the file. */
  write(step: number): Promise<void>;
}

export function storeWriter(kind: StoreKind, folder: string): StoreWriter {
  if (kind === 'metadata') {
    const metadata = new ConnectionMetadata({ folder, clock, lock });
    return {
      path: metadata.path,
      write: async (step) => {
        await metadata.upsert({ connector: 'zylker_files', name: `account-${step}`, authType: 'oauth2', grantType: 'authorizationCode', store: 'keychain', scopes: ['files.read'] });
      },
    };
  }

  const secrets = new FileSecretStore({ folder, source: 'flag', lock });
  return {
    path: secrets.path,
    write: async (step) => {
      await secrets.set('connector:zylker_files', `account-${step}`, `token-${step}-${'x'.repeat(step * 97)}`);
    },
  };
}
