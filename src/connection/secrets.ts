import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

import type { Deps, SecretStore } from '../cli/deps.js';
import { UsageError } from '../cli/errors.js';
import type { Connector } from '../definition/types.js';
import { secretAccount, serviceFor } from '../store/accounts.js';

export type ConnectorSecretField = 'clientSecret' | 'consumerSecret';

/**
 * Resolves a secret reference from the connector file: `env:NAME` reads the environment,
 * `keychain` the secret store, `file:PATH` a file next to the connector (an RSA private key),
 * and anything else is the literal value. Returns undefined when the field is absent.
 */
export async function resolveConnectorSecret(
  connector: Connector,
  field: ConnectorSecretField,
  context: { deps: Deps; folder: string; store: () => Promise<SecretStore> },
): Promise<string | undefined> {
  const auth = connector.auth as unknown as Record<string, unknown>;
  const reference = auth[field];
  if (typeof reference !== 'string' || reference === '') return undefined;

  if (reference.startsWith('env:')) {
    const name = reference.slice(4);
    const value = context.deps.env[name];
    if (value === undefined || value === '') {
      throw new UsageError(`auth.${field} reads the environment variable ${name}, which is not set`, {
        hint: `set ${name} to the ${describe(field)}, or keep it in the keychain with connector secret set ${field}`,
      });
    }
    return value;
  }

  if (reference === 'keychain') {
    const store = await context.store();
    const value = await store.get(serviceFor(connector.linkName), secretAccount(field));
    if (value === null) {
      throw new UsageError(`the ${describe(field)} of ${connector.linkName} is not in the ${store.kind === 'file' ? 'file store' : 'keychain'}`, {
        hint: `store it with connector secret set ${field}`,
      });
    }
    return value;
  }

  if (reference.startsWith('file:')) {
    const path = reference.slice(5);
    const absolute = isAbsolute(path) ? path : resolve(context.folder, path);
    try {
      return await readFile(absolute, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read auth.${field} from ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
        hint: 'paths are relative to the connector file',
      });
    }
  }
  return reference;
}

function describe(field: ConnectorSecretField): string {
  return field === 'clientSecret' ? 'client secret' : 'consumer secret';
}
