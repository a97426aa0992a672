/**
 * `connector connect`: turns a Ready connector into a stored connection. The steps run in an
 * order that fails before the user does any work that would be lost: the connector file, the
 * secret store, an existing connection of the same name, the values to collect, and only then
 * the authorization. Nothing is saved unless the authorization succeeds.
 */
import type { Deps } from '../cli/deps.js';
import { OperationError, UsageError } from '../cli/errors.js';
import { readStdinBytes } from '../definition/source.js';
import type { Connector } from '../definition/types.js';
import type { ConnectionRecord } from '../store/metadata.js';
import { authorizeOAuth1 } from './authorize-oauth1.js';
import { authorizeOAuth2 } from './authorize-oauth2.js';
import type { Authorized, AuthorizeContext } from './authorized.js';
import { checkConnectionName, checkStoreKind, DEFAULT_CONNECTION, saveConnection } from './credentials.js';
import { withParameters, URL_FIELDS } from './parameters.js';
import { checkKnownKeys, collectInputs, type InputField } from './parameters-input.js';
import { loadReadyConnector, openServices, type ConnectionServices } from './services.js';

export interface ConnectOptions {
  /** The connection's name; `default` unless `--connection` names another. */
  connection: string;
  /** Replace an existing connection of the same name without asking. */
  force: boolean;
  /** `--param KEY=VALUE` values by key. */
  params: ReadonlyMap<string, string>;
  /** `--param-stdin KEY`: the key whose value is read from stdin. */
  paramStdin?: string;
  /** False with `--no-browser`: the authorization URL is only printed. */
  openBrowser: boolean;
  /** `--paste`: read the URL the browser ended on from stdin. */
  paste: boolean;
  /** `--timeout`: seconds to wait for the browser or the device approval. */
  timeoutSeconds?: number;
}

export interface ConnectResult {
  record: ConnectionRecord;
  /** True when a connection of the same name existed and was replaced. */
  replaced: boolean;
}

/**
 * Authorizes a connection and stores it: the credential in the secret store, the rest in the
 * metadata file. Raises InvalidFileError (exit 3) for a Draft or invalid connector, UsageError
 * for bad flags or missing values, the grant's AuthorizationError when access is refused,
 * OperationError when no keychain is reachable, and InterruptedError on Ctrl-C.
 */
export async function connect(options: ConnectOptions, deps: Deps): Promise<ConnectResult> {
  checkConnectionName(options.connection);
  checkStdinUse(options, deps);

  const { connector, folder, loaded } = await loadReadyConnector(deps);
  const fields = inputFields(connector);
  checkKnownKeys([...fields.parameters, ...fields.auth], options.params, options.paramStdin);

  const services = await openServices(deps);
  const replaced = await confirmReplacement(services, connector.linkName, options, deps);

  const stdin = options.paramStdin === undefined ? undefined : { key: options.paramStdin, value: await readParamFromStdin(options.paramStdin, deps) };
  const sources = { flags: options.params, stdin, env: deps.env };
  const prompts = { interactive: deps.interactive, prompter: deps.prompter };
  const values = await collectInputs([...fields.parameters, ...fields.auth], sources, prompts);
  const parameters = pick(values, fields.parameters);
  const resolved = withParameters(connector, parameters);
  checkResolvedUrls(resolved, fields.parameters);

  const context: AuthorizeContext = {
    deps,
    store: services.store,
    folder,
    browser: { openBrowser: options.openBrowser, paste: options.paste },
    timeoutSeconds: options.timeoutSeconds,
  };
  const authorized = await authorize(resolved, values, context);

  // A Ctrl-C that lands after the provider responded still means "do not keep this".
  deps.signal.throwIfAborted();
  const record = await save(services, authorized, {
    connector,
    name: options.connection,
    parameters,
    connectorFile: loaded.source.path,
  });
  return { record, replaced };
}

/** Stdin can serve one purpose per run. */
function checkStdinUse(options: ConnectOptions, deps: Deps): void {
  const users = [
    deps.options.file === '-' ? '-f -' : undefined,
    options.paramStdin === undefined ? undefined : '--param-stdin',
    options.paste ? '--paste' : undefined,
  ].filter((user): user is string => user !== undefined);
  if (users.length > 1) throw new UsageError(`${users.join(' and ')} both read stdin; use one of them`);
}

/** Lists the values to collect: the connection parameters, then the Basic fields or API keys. */
function inputFields(connector: Connector): { parameters: InputField[]; auth: InputField[] } {
  const parameters = (connector.connectionParameters ?? []).map((parameter) => ({ ...parameter, secret: false }));
  const { auth } = connector;
  if (auth.type === 'basic') {
    return { parameters, auth: [{ ...auth.username, secret: false }, { ...auth.password, secret: true }] };
  }
  if (auth.type === 'apiKey') {
    return { parameters, auth: auth.parameters.map(({ name, key }) => ({ name, key, secret: true })) };
  }
  return { parameters, auth: [] };
}

function pick(values: Record<string, string>, fields: readonly InputField[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const field of fields) if (values[field.key] !== undefined) picked[field.key] = values[field.key]!;
  return picked;
}

/** Returns true when an existing connection may be replaced; raises when it may not. */
async function confirmReplacement(services: ConnectionServices, linkName: string, options: ConnectOptions, deps: Deps): Promise<boolean> {
  const existing = await services.metadata.get(linkName, options.connection);
  if (existing === undefined) return false;
  checkStoreKind(existing, services.storeKind);
  // NOTE: replacing overwrites the stored credential without revoking its tokens at the
  // provider; `connector disconnect` first revokes them.
  if (options.force) return true;

  const flag = options.connection === DEFAULT_CONNECTION ? '' : ` --connection ${options.connection}`;
  if (!deps.interactive) {
    throw new UsageError(`${linkName} already has a connection named ${options.connection}, so nothing was changed`, {
      hint: `pass --force to replace it (connector connect${flag} --force), or name a new one with --connection NAME`,
    });
  }

  const prompter = await deps.prompter();
  const replace = await prompter.confirm({ message: `${linkName} already has a connection named ${options.connection}. Replace it?`, default: false });
  if (!replace) {
    throw new OperationError(`kept the existing connection ${options.connection} of ${linkName}; nothing was changed`, {
      hint: 'name a new connection with --connection NAME',
    });
  }
  return true;
}

async function readParamFromStdin(key: string, deps: Deps): Promise<string> {
  if (deps.io.stdin.isTTY === true) {
    throw new UsageError(`--param-stdin ${key} reads a piped value, but stdin is a terminal`, {
      hint: `pipe the value in, e.g. printf %s "$VALUE" | connector connect --param-stdin ${key}`,
    });
  }
  // One trailing line break is what `echo` and most files add; it is not part of the value.
  const value = Buffer.from(await readStdinBytes(deps.io.stdin)).toString('utf8').replace(/\r?\n$/, '');
  if (value === '') throw new UsageError(`stdin was empty, so --param-stdin ${key} has no value`);
  return value;
}

/** Raises UsageError when a parameter value makes a URL invalid, so the error names the parameters instead of a failed request. */
function checkResolvedUrls(connector: Connector, parameters: readonly InputField[]): void {
  if (parameters.length === 0) return;

  const auth = connector.auth as unknown as Record<string, unknown>;
  const urls: [string, unknown][] = [['baseUrl', connector.baseUrl], ...URL_FIELDS.map((field): [string, unknown] => [`auth.${field}`, auth[field]])];
  for (const [field, url] of urls) {
    if (typeof url !== 'string') continue;
    try {
      new URL(url);
    } catch {
      const names = parameters.map((parameter) => parameter.name).join(', ');
      throw new UsageError(`with the connection parameters given, ${field} is not a valid URL: ${url}`, {
        hint: `check the values of ${names}`,
      });
    }
  }
}

async function authorize(connector: Connector, values: Record<string, string>, context: AuthorizeContext): Promise<Authorized> {
  const { auth } = connector;
  switch (auth.type) {
    case 'basic':
      return { credential: { type: 'basic', username: values[auth.username.key] ?? '', password: values[auth.password.key] ?? '' } };
    case 'apiKey': {
      const keys: Record<string, string> = {};
      for (const parameter of auth.parameters) keys[parameter.key] = values[parameter.key] ?? '';
      return { credential: { type: 'apiKey', values: keys } };
    }
    case 'oauth1':
      return authorizeOAuth1(connector, context);
    case 'oauth2':
      return authorizeOAuth2(connector, context);
  }
}

async function save(
  services: ConnectionServices,
  authorized: Authorized,
  facts: { connector: Connector; name: string; parameters: Record<string, string>; connectorFile: string | undefined },
): Promise<ConnectionRecord> {
  const record: Parameters<typeof saveConnection>[2] = {
    connector: facts.connector.linkName,
    name: facts.name,
    authType: facts.connector.auth.type,
  };
  if (authorized.grantType !== undefined) record.grantType = authorized.grantType;
  if (authorized.expiresAt !== undefined) record.expiresAt = authorized.expiresAt;
  if (authorized.scopes !== undefined) record.scopes = authorized.scopes;
  if (authorized.missingScopes !== undefined && authorized.missingScopes.length > 0) record.missingScopes = authorized.missingScopes;
  if (facts.connectorFile !== undefined) record.connectorFile = facts.connectorFile;
  if (Object.keys(facts.parameters).length > 0) record.parameters = facts.parameters;
  return saveConnection(services, authorized.credential, record);
}
