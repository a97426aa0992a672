/** The authorization request URL (RFC 6749 section 4.1.1) and the loopback redirect URI it names. */
import { UsageError } from '../../cli/errors.js';
import type { ScopeDelimiter } from '../../definition/types.js';
import { LOOPBACK_HOST } from '../redirect-server.js';
import { joinScopes } from './config.js';
import type { PkcePair } from './pkce.js';

export interface AuthorizationRequest {
  authorizationUrl: string;
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  scopeDelimiter: ScopeDelimiter;
  state: string;
  /** Absent when the connector turns PKCE off. */
  pkce?: PkcePair;
  /** The connector's `authorizationParams`. */
  extraParams?: Record<string, string>;
}

/**
 * Builds the authorization URL. Parameters already in `authorizationUrl` are kept, then
 * `extraParams` are added, then the protocol parameters are set, so that neither can replace
 * `state`, `redirect_uri` or the PKCE challenge.
 */
export function buildAuthorizationUrl(request: AuthorizationRequest): string {
  let url: URL;
  try {
    url = new URL(request.authorizationUrl);
  } catch {
    throw new UsageError(`Invalid auth.authorizationUrl "${request.authorizationUrl}": expected an absolute URL such as https://provider.example/oauth/authorize.`);
  }

  const query = url.searchParams;
  for (const [name, value] of Object.entries(request.extraParams ?? {})) query.set(name, value);

  query.set('response_type', 'code');
  query.set('client_id', request.clientId);
  query.set('redirect_uri', request.redirectUri);
  if (request.scopes.length > 0) query.set('scope', joinScopes(request.scopes, request.scopeDelimiter, 'form'));
  query.set('state', request.state);
  if (request.pkce !== undefined) {
    query.set('code_challenge', request.pkce.codeChallenge);
    query.set('code_challenge_method', request.pkce.codeChallengeMethod);
  }

  // URLSearchParams writes a space as `+`. Every `+` in its output is a space (a literal `+`
  // becomes `%2B`), so `%20` is equivalent and also safe with servers that decode queries by
  // RFC 3986 rules. The `plus` delimiter is the exception, because it needs the literal `+`.
  const search = url.search;
  if (request.scopeDelimiter !== 'plus') url.search = search.replace(/\+/g, '%20');
  return url.toString();
}

export interface LoopbackRedirect {
  /** 0 for an ephemeral port. */
  port: number;
  path: string;
  /** The connector's pinned redirect URI, sent exactly as written; absent when not pinned. */
  pinnedUri?: string;
}

/**
 * Decides where the redirect server listens: the connector's pinned `redirectUri`, or an
 * ephemeral port with the path `/callback/<linkName>`. A pinned URI must be plain `http` on
 * 127.0.0.1, because the redirect server binds that address only (RFC 8252 section 8.3
 * advises against `localhost`, which may resolve elsewhere).
 */
export function loopbackRedirect(redirectUri: string | undefined, linkName: string): LoopbackRedirect {
  if (redirectUri === undefined || redirectUri.trim() === '') {
    return { port: 0, path: `/callback/${linkName}` };
  }

  const pinnedUri = redirectUri.trim();
  let url: URL;
  try {
    url = new URL(pinnedUri);
  } catch {
    throw new UsageError(`Invalid auth.redirectUri "${pinnedUri}": expected a URL such as http://127.0.0.1:8765/callback.`);
  }

  if (url.hostname === 'localhost') {
    throw new UsageError(`Invalid auth.redirectUri "${pinnedUri}": use 127.0.0.1 instead of localhost.`, {
      hint: `The redirect server listens on 127.0.0.1 only. Set auth.redirectUri to ${pinnedUri.replace('localhost', '127.0.0.1')} and register that URI with the provider.`,
    });
  }
  if (url.protocol !== 'http:' || url.hostname !== LOOPBACK_HOST) {
    throw new UsageError(`Invalid auth.redirectUri "${pinnedUri}": expected http://127.0.0.1:PORT/PATH.`, {
      hint: 'The redirect server listens on 127.0.0.1 over plain HTTP, which is how native apps receive OAuth redirects.',
    });
  }
  if (url.search !== '' || url.hash !== '' || pinnedUri.includes('#')) {
    throw new UsageError(`Invalid auth.redirectUri "${pinnedUri}": remove the query and fragment.`);
  }

  return { port: url.port === '' ? 80 : Number(url.port), path: url.pathname, pinnedUri };
}
