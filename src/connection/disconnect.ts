/** `connector disconnect`: revoke where the connector can, then forget the connection. */
import type { StoredCredential } from '../auth/credential.js';
import type { Deps } from '../cli/deps.js';
import { CliError, InterruptedError, OperationError, UsageError } from '../cli/errors.js';
import type { ConnectionRecord } from '../store/metadata.js';
import { checkConnectionName, checkStoreKind, deleteConnection, readCredential } from './credentials.js';
import { withParameters } from './parameters.js';
import { revokeCredential } from './revoke.js';
import { loadReadyConnector, openServices, type ConnectionServices, type LoadedConnector } from './services.js';

export interface DisconnectOptions {
  connection: string;
  /** Delete even when revocation fails or cannot be tried. */
  force: boolean;
  /** `--connector LINKNAME`: find the connection by link name instead of by the connector file. */
  connector?: string;
}

export interface DisconnectResult {
  connection: string;
  connector: string;
  /** True when tokens were revoked at the provider. */
  revoked: boolean;
  deleted: boolean;
}

/** Reports a problem that --force lets the command skip; the command prints it as a warning. */
export type Warn = (message: string) => void;

/**
 * Revokes the connection's tokens through the connector's `revokeTokenUrl`, then deletes the
 * credential and the metadata. When revocation fails, or the connector file that names the
 * revocation endpoint cannot be read, nothing is deleted unless `force` is set.
 */
export async function disconnect(options: DisconnectOptions, deps: Deps, warn: Warn): Promise<DisconnectResult> {
  checkConnectionName(options.connection);
  const definition = await loadDefinition(options, deps);
  const linkName = options.connector ?? definition?.connector.linkName ?? '';

  const services = await openServices(deps);
  const record = await services.metadata.get(linkName, options.connection);
  if (record === undefined) {
    throw new OperationError(`${linkName} has no connection named ${options.connection}`, { hint: 'connector connections lists the connections' });
  }
  checkStoreKind(record, services.storeKind);

  const revoked = await tryRevoke(record, async () => definition ?? definitionFromRecord(record, deps), { deps, services, options, warn });
  await deleteConnection(services, linkName, options.connection);
  return { connection: options.connection, connector: linkName, revoked, deleted: true };
}

/** Loads the connector file, unless `--connector` is given without `-f`: then the file named in the connection's record is used later. */
async function loadDefinition(options: DisconnectOptions, deps: Deps): Promise<LoadedConnector | undefined> {
  if (options.connector !== undefined && deps.options.file === undefined) return undefined;

  const definition = await loadReadyConnector(deps, { requireReady: false });
  if (options.connector !== undefined && options.connector !== definition.connector.linkName) {
    throw new UsageError(`--connector ${options.connector} does not match ${definition.loaded.source.label}, whose link name is ${definition.connector.linkName}`);
  }
  return definition;
}

/** Reads the connector file the connection was made with; undefined when it is gone, changed to another connector, or invalid. */
async function definitionFromRecord(record: ConnectionRecord, deps: Deps): Promise<LoadedConnector | undefined> {
  if (record.connectorFile === undefined) return undefined;
  try {
    const definition = await loadReadyConnector({ ...deps, options: { ...deps.options, file: record.connectorFile } }, { requireReady: false });
    return definition.connector.linkName === record.connector ? definition : undefined;
  } catch (error) {
    if (error instanceof CliError) return undefined;
    throw error;
  }
}

async function tryRevoke(
  record: ConnectionRecord,
  loadConnector: () => Promise<LoadedConnector | undefined>,
  context: { deps: Deps; services: ConnectionServices; options: DisconnectOptions; warn: Warn },
): Promise<boolean> {
  const { services, options, warn } = context;
  // Basic and API key credentials have nothing to revoke.
  if (record.authType === 'basic' || record.authType === 'apiKey') return false;

  const definition = await loadConnector();

  if (definition === undefined) {
    const problem = `cannot revoke connection ${record.name} of ${record.connector}: its connector file${record.connectorFile === undefined ? ' is not known' : ` ${record.connectorFile} cannot be read`}`;
    if (options.force) {
      warn(`${problem}; forgetting it without revoking, because of --force`);
      return false;
    }
    throw new OperationError(`${problem}, so nothing was deleted`, {
      hint: 'pass -f FILE to name the connector file, or --force to forget the connection without revoking its tokens',
    });
  }

  let credential: StoredCredential | null;
  try {
    credential = await readCredential(services, record.connector, record.name);
    if (credential === null) return false;
    return await revokeCredential(withParameters(definition.connector, record.parameters ?? {}), credential, {
      deps: context.deps,
      folder: definition.folder,
      store: async () => services.store,
    });
  } catch (error) {
    if (!(error instanceof CliError) || error instanceof InterruptedError) throw error;
    if (options.force) {
      warn(`revoking connection ${record.name} of ${record.connector} failed: ${error.message}; forgetting it anyway, because of --force`);
      return false;
    }
    throw new CliError(`revoking connection ${record.name} of ${record.connector} failed, so nothing was deleted: ${error.message}`, error.exitCode, {
      hint: `${error.hint === undefined ? '' : `${error.hint} `}To forget the connection without revoking its tokens, pass --force.`,
      cause: error,
    });
  }
}
