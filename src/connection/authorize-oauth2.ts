/** The OAuth 2.0 grants as `connector connect` runs them: authorization code, client credentials and device code. */
import type { StoredCredential } from '../auth/credential.js';
import {
  authorizeWithCode,
  authorizeWithDeviceCode,
  oauth2ConfigFromConnector,
  requestClientCredentialsToken,
  type OAuth2Config,
  type TokenSuccess,
} from '../auth/oauth2/index.js';
import { OperationError } from '../cli/errors.js';
import type { Connector } from '../definition/types.js';
import type { Authorized, AuthorizeContext } from './authorized.js';
import { resolveConnectorSecret } from './secrets.js';
import { startBrowserWait } from './waiting.js';

/** Runs the connector's grant and returns the tokens as a credential. `connector` has its placeholders filled in. */
export async function authorizeOAuth2(connector: Connector, context: AuthorizeContext): Promise<Authorized> {
  const { deps } = context;
  const clientSecret = await resolveConnectorSecret(connector, 'clientSecret', { deps, folder: context.folder, store: async () => context.store });
  const config = oauth2ConfigFromConnector(connector, clientSecret);

  const tokens = await runGrant(config, connector.linkName, context);
  return authorizedFrom(tokens, config, deps.clock.now());
}

async function runGrant(config: OAuth2Config, linkName: string, context: AuthorizeContext): Promise<TokenSuccess> {
  const { deps } = context;
  switch (config.auth.grantType) {
    case 'authorizationCode':
      return runAuthorizationCode(config, linkName, context);
    case 'clientCredentials':
      return requestClientCredentialsToken(config, { fetch: deps.fetch, signal: deps.signal });
    case 'deviceCode':
      return runDeviceCode(config, context);
  }
}

async function runAuthorizationCode(config: OAuth2Config, linkName: string, context: AuthorizeContext): Promise<TokenSuccess> {
  const { deps } = context;
  const wait = startBrowserWait(deps, context.browser);
  const readPastedUrl = wait.readPastedUrl;

  try {
    return await authorizeWithCode({
      config,
      linkName,
      fetch: deps.fetch,
      signal: deps.signal,
      clock: deps.clock,
      log: wait.log,
      onTick: wait.onTick,
      ...(wait.openBrowser === undefined ? {} : { openBrowser: wait.openBrowser }),
      ...(context.timeoutSeconds === undefined ? {} : { timeoutSeconds: context.timeoutSeconds }),
      // This grant wants a URL from every read, so an ended stdin waits for the redirect instead.
      ...(readPastedUrl === undefined ? {} : { readPastedUrl: async (signal: AbortSignal) => (await readPastedUrl(signal)) ?? untilAborted(signal) }),
    });
  } finally {
    wait.end();
  }
}

/**
 * Runs the device grant. The provider's `expires_in` for the device code bounds the wait;
 * `--timeout` shortens it.
 */
async function runDeviceCode(config: OAuth2Config, context: AuthorizeContext): Promise<TokenSuccess> {
  const { deps } = context;
  const deadline = new AbortController();
  const timer =
    context.timeoutSeconds === undefined
      ? undefined
      : setTimeout(() => {
          deadline.abort(
            new OperationError(`No approval arrived within ${context.timeoutSeconds} seconds.`, {
              hint: 'Run connector connect again and approve the request sooner, or raise --timeout.',
            }),
          );
        }, context.timeoutSeconds * 1000);

  try {
    return await authorizeWithDeviceCode({
      config,
      fetch: deps.fetch,
      signal: AbortSignal.any([deps.signal, deadline.signal]),
      clock: deps.clock,
      log: (line) => deps.io.stderr.write(`${line}\n`),
      ...(context.browser.openBrowser && !context.browser.paste ? { openBrowser: deps.openBrowser } : {}),
    });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function authorizedFrom(tokens: TokenSuccess, config: OAuth2Config, now: number): Authorized {
  const credential: Extract<StoredCredential, { type: 'oauth2' }> = {
    type: 'oauth2',
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
    scopes: tokens.grantedScopes,
  };
  if (tokens.refreshToken !== null) credential.refreshToken = tokens.refreshToken;
  if (tokens.expiresInSeconds !== null) credential.expiresAt = now + tokens.expiresInSeconds * 1000;
  if (tokens.expiresInSeconds !== null && tokens.expiryAssumed) credential.expiryAssumed = true;
  if (tokens.idToken !== undefined) credential.idToken = tokens.idToken;

  const authorized: Authorized = {
    credential,
    grantType: config.auth.grantType,
    scopes: tokens.grantedScopes,
    missingScopes: tokens.missingScopes,
  };
  if (credential.expiresAt !== undefined) authorized.expiresAt = new Date(credential.expiresAt).toISOString();
  return authorized;
}
