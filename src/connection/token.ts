/**
 * A connection opened for use, and a fresh OAuth 2.0 access token for it.
 *
 * Refreshing is serialized across processes by a lock file per connection. Providers that
 * rotate refresh tokens accept each one once, so a second process refreshing with the same
 * token would be rejected as a replay, and some providers then revoke the whole token family.
 * After taking the lock the credential is read again, so a refresh that another process
 * finished meanwhile is used instead of sending a second one.
 */

import { homedir } from 'node:os';
import { join } from 'node:path';

import type { CredentialSecrets } from '../auth/apply.js';
import type { StoredCredential } from '../auth/credential.js';
import type { OAuth2Config, TokenSuccess } from '../auth/oauth2/index.js';
import type { Deps } from '../cli/deps.js';
import { AuthorizationError, UsageError } from '../cli/errors.js';
import { addTraceSecrets } from '../cli/trace.js';
import type { Connector, OAuth2Auth } from '../definition/types.js';
import { withLock } from '../store/lock.js';
import type { ConnectionRecord } from '../store/metadata.js';
import { configDir } from '../store/paths.js';
import { CONNECTION_NAME_PATTERN, DEFAULT_CONNECTION, loadConnection, readCredential, updateCredential } from './credentials.js';
import { withParameters } from './parameters.js';
import { resolveConnectorSecret } from './secrets.js';
import { loadReadyConnector, openServices, type ConnectionServices, type LoadedConnector } from './services.js';

/** A token that expires within this many milliseconds is refreshed before use. */
export const REFRESH_MARGIN_MS = 60_000;

export type OAuth2Credential = Extract<StoredCredential, { type: 'oauth2' }>;

/** A loaded connection with everything needed to use its credential. */
export interface OpenedConnection {
  deps: Deps;
  services: ConnectionServices;
  /** The connector, with the connection's parameter values in its URLs. */
  connector: Connector;
  /** The folder of the connector file, for `file:` secrets. */
  folder: string;
  name: string;
  record: ConnectionRecord;
  /** The credential as last read or refreshed. `freshOAuth2Credential` replaces it. */
  credential: StoredCredential;
}

/**
 * Loads the Ready connector file and the named connection (default: `default`). Raises
 * UsageError for an invalid name, InvalidFileError for a Draft or invalid connector, and
 * AuthorizationError when the connection or its credential is missing.
 */
export async function openConnection(deps: Deps, name: string | undefined): Promise<OpenedConnection> {
  return openConnectionFor(deps, await loadReadyConnector(deps), name);
}

/** Like `openConnection`, for a connector file that the caller has already loaded. */
export async function openConnectionFor(deps: Deps, loaded: LoadedConnector, name: string | undefined): Promise<OpenedConnection> {
  const connectionName = name ?? DEFAULT_CONNECTION;
  if (!CONNECTION_NAME_PATTERN.test(connectionName)) {
    throw new UsageError(`invalid connection name ${JSON.stringify(connectionName)}`, {
      hint: 'a name starts with a letter or digit and has at most 64 letters, digits, dots, dashes and underscores',
    });
  }

  const services = await openServices(deps);
  const { record, credential } = await loadConnection(services, loaded.connector.linkName, connectionName);
  addTraceSecrets(deps.fetch, credentialSecrets(credential));

  return {
    deps,
    services,
    connector: withParameters(loaded.connector, record.parameters ?? {}),
    folder: loaded.folder,
    name: connectionName,
    record,
    credential,
  };
}

/** Returns the hint of every error that a new authorization fixes. */
export function reconnectHint(name: string): string {
  return `run connector connect${name === DEFAULT_CONNECTION ? '' : ` --connection ${name}`} again`;
}

export interface FreshTokenOptions {
  /**
   * An access token that the API has just rejected (HTTP 401). The credential is renewed
   * unless the stored access token is already another one, which a concurrent refresh stored.
   */
  rejectedAccessToken?: string;
  /** Limit for a renewal request, in milliseconds; the HTTP client's 30 s default otherwise. */
  timeoutMs?: number;
}

/**
 * Returns the connection's OAuth 2.0 credential with an access token that is valid for at
 * least REFRESH_MARGIN_MS, renewing it under the connection's lock when needed.
 *
 * A renewal uses the refresh token (RFC 6749 section 6) at `refreshTokenUrl`, else `tokenUrl`.
 * A client credentials connection without a refresh token requests a new token with the
 * client's credentials instead, because that grant needs no user. The new credential is stored
 * before it is returned, and a response without `refresh_token` keeps the old one.
 *
 * Raises AuthorizationError (exit 4) when the token cannot be renewed, because there is no
 * refresh token or the provider returned `invalid_grant`. After `invalid_grant` the connection
 * is kept and marked `needsReconnect`, and later calls fail at once without a request.
 */
export async function freshOAuth2Credential(connection: OpenedConnection, options: FreshTokenOptions = {}): Promise<OAuth2Credential> {
  const initial = requireOAuth2(connection, connection.credential);
  if (!needsRenewal(initial, connection.deps.clock.now(), options, connection.connector)) return initial;

  return withLock(refreshLockPath(connection), async () => {
    const current = await readCredential(connection.services, connection.connector.linkName, connection.name);
    if (current === null) {
      throw new AuthorizationError(`the credential of connection ${connection.name} (${connection.connector.linkName}) was deleted while it was in use`, {
        hint: reconnectHint(connection.name),
      });
    }
    const stored = requireOAuth2(connection, current);
    connection.credential = stored;
    if (!needsRenewal(stored, connection.deps.clock.now(), options, connection.connector)) return stored;

    // A process that held the lock before may have marked the connection, and its refresh
    // token must not be sent again.
    connection.record = (await connection.services.metadata.get(connection.connector.linkName, connection.name)) ?? connection.record;

    const renewed = await renew(connection, stored, options);
    addTraceSecrets(connection.deps.fetch, credentialSecrets(renewed));
    await updateCredential(connection.services, connection.connector.linkName, connection.name, renewed);
    connection.credential = renewed;
    await connection.services.metadata.patch(connection.connector.linkName, connection.name, {
      expiresAt: renewed.expiresAt === undefined ? undefined : new Date(renewed.expiresAt).toISOString(),
      scopes: renewed.scopes,
      needsReconnect: undefined,
    });
    return renewed;
  });
}

/**
 * Resolves the connector secrets that applying the credential needs: for OAuth 1.0a, the
 * consumer secret, or the RSA private key for RSA-SHA1.
 */
export async function credentialSecretsFor(connection: OpenedConnection): Promise<CredentialSecrets> {
  const auth = connection.connector.auth;
  if (auth.type !== 'oauth1') return {};

  const value = await resolveConnectorSecret(connection.connector, 'consumerSecret', secretContext(connection));
  addTraceSecrets(connection.deps.fetch, [value]);
  return auth.signatureMethod === 'RSA-SHA1' ? { rsaPrivateKey: value } : { consumerSecret: value };
}

/** Returns the path of the lock that serializes refreshes of one connection, in the config folder. */
export function refreshLockPath(connection: Pick<OpenedConnection, 'deps' | 'connector' | 'name'>): string {
  const folder = configDir({ env: connection.deps.env, platform: process.platform, homedir: homedir() });
  return join(folder, 'locks', connection.connector.linkName, `${connection.name}.lock`);
}

function needsRenewal(credential: OAuth2Credential, now: number, options: FreshTokenOptions, connector: Connector): boolean {
  if (options.rejectedAccessToken !== undefined) return credential.accessToken === options.rejectedAccessToken;
  // The expiry came from the connector's expiresIn, not from the provider, and nothing can renew
  // the token, so it is handed out until the API rejects it (GitHub OAuth app tokens never expire).
  const renewable = (credential.refreshToken ?? '') !== '' || (connector.auth as OAuth2Auth).grantType === 'clientCredentials';
  if (credential.expiryAssumed === true && !renewable) return false;
  return credential.expiresAt !== undefined && credential.expiresAt - now <= REFRESH_MARGIN_MS;
}

function requireOAuth2(connection: OpenedConnection, credential: StoredCredential): OAuth2Credential {
  if (credential.type === 'oauth2' && connection.connector.auth.type === 'oauth2') return credential;
  throw new AuthorizationError(
    `connection ${connection.name} has ${credential.type} credentials, but ${connection.connector.linkName} uses ${connection.connector.auth.type}`,
    { hint: `${reconnectHint(connection.name)} with --force` },
  );
}

async function renew(connection: OpenedConnection, credential: OAuth2Credential, options: FreshTokenOptions): Promise<OAuth2Credential> {
  const { connector, name } = connection;
  const auth = connector.auth as OAuth2Auth;
  const context = { fetch: connection.deps.fetch, signal: connection.deps.signal, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) };
  const now = connection.deps.clock.now();
  // The OAuth client is loaded only when a token must be renewed, so a valid token prints fast.
  const { requestClientCredentialsToken, requestToken, tokenError } = await import('../auth/oauth2/index.js');

  if (credential.refreshToken === undefined || credential.refreshToken === '') {
    if (auth.grantType === 'clientCredentials') {
      return toCredential(await requestClientCredentialsToken(await oauth2Config(connection), context), credential, now);
    }
    const state = options.rejectedAccessToken === undefined ? expiryPhrase(credential, now) : 'was rejected by the API (HTTP 401)';
    throw new AuthorizationError(`the access token of connection ${name} (${connector.linkName}) ${state}, and there is no refresh token to renew it`, {
      hint: reconnectHint(name),
    });
  }

  // No retry loop: once a refresh token was rejected, only a new authorization helps.
  if (connection.record.needsReconnect === true) {
    throw new AuthorizationError(`connection ${name} (${connector.linkName}) needs a new authorization: its refresh token was rejected before`, {
      hint: reconnectHint(name),
    });
  }

  // requestToken rather than refreshAccessToken, because only the response tells
  // invalid_grant (a dead refresh token) from other refusals such as invalid_client.
  const config = await oauth2Config(connection);
  const response = await requestToken(
    config,
    {
      params: { grant_type: 'refresh_token', refresh_token: credential.refreshToken },
      url: auth.refreshTokenUrl ?? auth.tokenUrl,
      requestedScopes: credential.scopes ?? config.scopes,
    },
    context,
  );

  if (!response.ok && response.error === 'invalid_grant') {
    await connection.services.metadata.patch(connector.linkName, name, { needsReconnect: true });
    throw new AuthorizationError(`the provider rejected the refresh token of connection ${name} (${connector.linkName}): invalid_grant`, {
      hint: `the grant is expired or revoked; ${reconnectHint(name)}`,
    });
  }
  if (!response.ok) throw tokenError(response);
  return toCredential(response, credential, now);
}

async function oauth2Config(connection: OpenedConnection): Promise<OAuth2Config> {
  const clientSecret = await resolveConnectorSecret(connection.connector, 'clientSecret', secretContext(connection));
  addTraceSecrets(connection.deps.fetch, [clientSecret]);
  const { oauth2ConfigFromConnector } = await import('../auth/oauth2/index.js');
  return oauth2ConfigFromConnector(connection.connector, clientSecret);
}

/** Builds the stored credential from a token response; a missing refresh or ID token keeps the old one (RFC 6749 section 6). */
function toCredential(response: TokenSuccess, previous: OAuth2Credential, now: number): OAuth2Credential {
  const credential: OAuth2Credential = {
    type: 'oauth2',
    accessToken: response.accessToken,
    tokenType: response.tokenType,
    scopes: response.grantedScopes,
  };
  const refreshToken = response.refreshToken ?? previous.refreshToken;
  if (refreshToken !== undefined) credential.refreshToken = refreshToken;
  if (response.expiresInSeconds !== null) credential.expiresAt = now + response.expiresInSeconds * 1000;
  if (response.expiresInSeconds !== null && response.expiryAssumed) credential.expiryAssumed = true;
  const idToken = response.idToken ?? previous.idToken;
  if (idToken !== undefined) credential.idToken = idToken;
  return credential;
}

function expiryPhrase(credential: OAuth2Credential, now: number): string {
  const at = new Date(credential.expiresAt ?? now).toISOString();
  return (credential.expiresAt ?? now) <= now ? `expired at ${at}` : `expires at ${at}`;
}

function secretContext(connection: OpenedConnection) {
  return { deps: connection.deps, folder: connection.folder, store: async () => connection.services.store };
}

/** The values in a stored credential that the trace must hide. */
/** Returns the secret values of a credential, to hide them in traces and echoed response text. */
export function credentialSecrets(credential: StoredCredential): string[] {
  switch (credential.type) {
    case 'basic':
      return [credential.password, Buffer.from(`${credential.username}:${credential.password}`).toString('base64')];
    case 'apiKey':
      return Object.values(credential.values);
    case 'oauth1':
      return [credential.token, credential.tokenSecret];
    case 'oauth2':
      return [credential.accessToken, credential.refreshToken, credential.idToken].filter((value): value is string => value !== undefined);
  }
}
