/** Settings shared by the OAuth 2.0 grants: the connector's auth section, the client secret and the scopes. */
import type { Fetch } from '../../cli/deps.js';
import { UsageError } from '../../cli/errors.js';
import type { Connector, OAuth2Auth, ScopeDelimiter } from '../../definition/types.js';
import { SCOPE_DELIMITERS } from '../../definition/types.js';

export interface OAuth2Config {
  /** The connector's `auth` section, with `{key}` placeholders in its URLs already replaced. */
  auth: OAuth2Auth;
  /** The client secret itself, not its `env:` or `keychain` reference; absent for a public client. */
  clientSecret?: string;
  /** Scope values to request, in the connector's order. */
  scopes: string[];
  scopeDelimiter: ScopeDelimiter;
}

/** Dependencies of the HTTP requests an OAuth 2.0 operation sends. */
export interface HttpContext {
  fetch: Fetch;
  /** Aborting (Ctrl-C) stops the request with InterruptedError. */
  signal?: AbortSignal;
  /** Timeout of each HTTP request in milliseconds; default 30 s. */
  timeoutMs?: number;
}

/**
 * Builds an OAuth2Config from a connector whose `auth` is OAuth 2.0 and whose URLs are already
 * resolved. The scopes requested are all of the connector's scopes.
 */
export function oauth2ConfigFromConnector(connector: Connector, clientSecret: string | undefined): OAuth2Config {
  if (connector.auth.type !== 'oauth2') {
    throw new UsageError(`Connector "${connector.linkName}" uses ${connector.auth.type} authentication, not OAuth 2.0.`);
  }

  const config: OAuth2Config = {
    auth: connector.auth,
    scopes: (connector.scopes?.items ?? []).map((scope) => scope.value),
    scopeDelimiter: connector.scopes?.delimiter ?? 'comma',
  };
  if (clientSecret !== undefined) config.clientSecret = clientSecret;
  return config;
}

/**
 * Joins scope values for the `scope` parameter.
 *
 * With the `plus` delimiter in a form-encoded query or body, the values are joined with a
 * space, which form encoding writes as a literal `+`. Providers that document plus-separated
 * scopes show that literal `+` in their URLs, and joining with `+` would send `%2B` instead.
 */
export function joinScopes(scopes: readonly string[], delimiter: ScopeDelimiter, encoding: 'form' | 'json'): string {
  const separator = delimiter === 'plus' && encoding === 'form' ? ' ' : SCOPE_DELIMITERS[delimiter];
  return scopes.join(separator);
}

/**
 * Splits a granted `scope` value. Whitespace always separates too, because some providers
 * return space-separated scopes to clients that request comma-separated ones, and form
 * decoding turns a `+` into a space.
 */
export function splitScopes(value: string, delimiter: ScopeDelimiter): string[] {
  const separator = delimiter === 'comma' ? /[,\s]+/ : delimiter === 'plus' ? /[+\s]+/ : /\s+/;
  const scopes = value.split(separator).filter((scope) => scope !== '');
  return [...new Set(scopes)];
}

/** Raises UsageError when the connector lacks a URL that the grant needs. */
export function requireUrl(config: OAuth2Config, field: 'authorizationUrl' | 'deviceAuthorizationUrl' | 'revokeTokenUrl'): string {
  const url = config.auth[field];
  if (url === undefined || url === '') {
    throw new UsageError(`The connector has no auth.${field}, which this OAuth 2.0 operation needs.`, {
      hint: `Add auth.${field} to connector.yaml with "connector set auth.${field} URL".`,
    });
  }
  return url;
}
