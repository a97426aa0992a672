import { homedir } from 'node:os';
import { dirname } from 'node:path';

import type { Deps, SecretStore } from '../cli/deps.js';
import { InvalidFileError } from '../cli/errors.js';
import { hasErrors, formatDiagnostics } from '../definition/diagnostics.js';
import { loadConnectorFile, type LoadedFile } from '../definition/file.js';
import type { Connector } from '../definition/types.js';
import { checkSource } from '../definition/check.js';
import { ConnectionMetadata, type StoreKind } from '../store/metadata.js';
import { configDir } from '../store/paths.js';

/** Stores of a connection: the secret store for credentials, the metadata file for the rest. */
export interface ConnectionServices {
  store: SecretStore;
  storeKind: StoreKind;
  metadata: ConnectionMetadata;
}

export function openMetadata(deps: Deps): ConnectionMetadata {
  return new ConnectionMetadata({ folder: configDir({ env: deps.env, platform: process.platform, homedir: homedir() }), clock: deps.clock });
}

/** Opens the secret store (keychain, or the opt-in file store) and the metadata file. */
export async function openServices(deps: Deps): Promise<ConnectionServices> {
  const store = await deps.secretStore();
  return { store, storeKind: store.kind === 'file' ? 'file' : 'keychain', metadata: openMetadata(deps) };
}

export interface LoadedConnector {
  loaded: LoadedFile;
  connector: Connector;
  /** The folder of the connector file, for relative paths such as `file:` secrets. */
  folder: string;
}

/**
 * Loads and validates the connector file. Connections need a Ready connector: a Draft one is
 * refused with exit 3, because its definition may still be incomplete.
 */
export async function loadReadyConnector(deps: Deps, options: { requireReady?: boolean } = {}): Promise<LoadedConnector> {
  const loaded = await loadConnectorFile(deps.options.file, { cwd: deps.cwd, stdin: deps.io.stdin });
  const result = await checkSource(loaded.source, { strict: options.requireReady !== false });

  if (hasErrors(result.diagnostics) || result.connector === undefined) {
    const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    throw new InvalidFileError(`${loaded.source.label} is invalid:\n${formatDiagnostics(errors, { label: loaded.source.label })}`, {
      hint: 'fix it (connector validate lists the problems), then run the command again',
    });
  }
  if (options.requireReady !== false && result.connector.stage !== 'ready') {
    throw new InvalidFileError(`${loaded.source.label} is a Draft connector, and only a Ready one can have connections`, {
      hint: 'run connector ready first',
    });
  }
  const folder = loaded.source.path ? dirname(loaded.source.path) : deps.cwd;
  return { loaded, connector: result.connector, folder };
}
