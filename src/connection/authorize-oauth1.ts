/** The OAuth 1.0a authorization as `connector connect` runs it. */
import { authorizeOAuth1 as runOAuth1Flow } from '../auth/oauth1/flow.js';
import { UsageError } from '../cli/errors.js';
import type { Connector } from '../definition/types.js';
import type { Authorized, AuthorizeContext } from './authorized.js';
import { resolveConnectorSecret } from './secrets.js';
import { startBrowserWait } from './waiting.js';

/**
 * Runs the three OAuth 1.0a steps and returns the token credentials as a credential.
 * `connector` has its placeholders filled in. With RSA-SHA1, `consumerSecret` contains the
 * consumer's RSA private key (PEM), usually as `file:key.pem` or `keychain`.
 */
export async function authorizeOAuth1(connector: Connector, context: AuthorizeContext): Promise<Authorized> {
  const { deps } = context;
  if (connector.auth.type !== 'oauth1') throw new UsageError(`${connector.linkName} uses ${connector.auth.type} authentication, not OAuth 1.0a`);
  const auth = connector.auth;

  const secret = await resolveConnectorSecret(connector, 'consumerSecret', { deps, folder: context.folder, store: async () => context.store });
  const keys = auth.signatureMethod === 'RSA-SHA1' ? { rsaPrivateKey: secret } : { consumerSecret: secret };

  const wait = startBrowserWait(deps, context.browser);
  try {
    const tokens = await runOAuth1Flow({
      auth,
      ...keys,
      fetch: deps.fetch,
      clock: deps.clock,
      signal: deps.signal,
      log: wait.log,
      onTick: wait.onTick,
      callbackPath: `/callback/${connector.linkName}`,
      ...(wait.openBrowser === undefined ? {} : { openBrowser: wait.openBrowser }),
      ...(wait.readPastedUrl === undefined ? {} : { readPastedUrl: wait.readPastedUrl }),
      ...(context.timeoutSeconds === undefined ? {} : { timeoutSeconds: context.timeoutSeconds }),
    });
    return { credential: { type: 'oauth1', token: tokens.token, tokenSecret: tokens.tokenSecret, extra: tokens.extra } };
  } finally {
    wait.end();
  }
}
