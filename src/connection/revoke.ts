/** Revoking a connection's tokens at the provider, for `connector disconnect`. */
import type { StoredCredential } from '../auth/credential.js';
import { httpPost, snippet } from '../auth/http.js';
import { freshTimestampAndNonce, signRequest } from '../auth/oauth1/signature.js';
import { oauth2ConfigFromConnector, revokeToken } from '../auth/oauth2/index.js';
import type { Deps } from '../cli/deps.js';
import { OperationError } from '../cli/errors.js';
import type { Connector, OAuth1Auth } from '../definition/types.js';
import { resolveConnectorSecret } from './secrets.js';

export interface RevokeContext {
  deps: Deps;
  /** The connector file's folder, for `file:` references. */
  folder: string;
  store: () => ReturnType<Deps['secretStore']>;
}

/**
 * Revokes the credential's tokens at the connector's `revokeTokenUrl`. Returns false when there
 * is nothing to revoke: Basic and API key connections, and connectors without the URL. Raises
 * the error of the first request that fails; nothing is retried.
 *
 * For OAuth 2.0 (RFC 7009) the refresh token goes first, because revoking it ends the grant
 * at most providers, then the access token, each with its `token_type_hint` and the client
 * authentication of the token request.
 */
export async function revokeCredential(connector: Connector, credential: StoredCredential, context: RevokeContext): Promise<boolean> {
  const { auth } = connector;
  if (auth.type === 'oauth2' && credential.type === 'oauth2') {
    if (auth.revokeTokenUrl === undefined) return false;

    const secret = await resolveConnectorSecret(connector, 'clientSecret', context);
    const config = oauth2ConfigFromConnector(connector, secret);
    const http = { fetch: context.deps.fetch, signal: context.deps.signal };
    if (credential.refreshToken !== undefined) await revokeToken(config, { token: credential.refreshToken, tokenTypeHint: 'refresh_token' }, http);
    await revokeToken(config, { token: credential.accessToken, tokenTypeHint: 'access_token' }, http);
    return true;
  }

  if (auth.type === 'oauth1' && credential.type === 'oauth1') {
    if (auth.revokeTokenUrl === undefined) return false;

    const secret = await resolveConnectorSecret(connector, 'consumerSecret', context);
    await revokeOAuth1Token(auth, auth.revokeTokenUrl, credential, secret, context.deps);
    return true;
  }
  return false;
}

/**
 * OAuth 1.0a defines no revocation, so this follows what providers that offer it document:
 * an empty POST to the URL, signed with the token credentials being revoked. Any 2xx status
 * counts as success.
 */
async function revokeOAuth1Token(
  auth: OAuth1Auth,
  url: string,
  credential: Extract<StoredCredential, { type: 'oauth1' }>,
  secret: string | undefined,
  deps: Deps,
): Promise<void> {
  const keys = {
    signatureMethod: auth.signatureMethod,
    consumerKey: auth.consumerKey,
    token: credential.token,
    tokenSecret: credential.tokenSecret,
    ...(auth.signatureMethod === 'RSA-SHA1' ? { rsaPrivateKey: secret } : { consumerSecret: secret }),
  };
  // Signed for each attempt, because a retry after HTTP 429 or 503 needs a fresh nonce.
  const sign = (): string => signRequest({ method: 'POST', url: new URL(url), formBody: '' }, keys, freshTimestampAndNonce(deps.clock)).authorization;

  const response = await httpPost({
    fetch: deps.fetch,
    url,
    body: { form: {} },
    headers: () => ({ Authorization: sign() }),
    signal: deps.signal,
  });
  if (response.status >= 200 && response.status < 300) return;

  const excerpt = snippet(response.text, 80);
  throw new OperationError(`The revocation endpoint ${response.url} rejected the request (HTTP ${response.status})${excerpt === '' ? '' : `: "${excerpt}"`}.`);
}
