import type { StoredCredential } from '../auth/credential.js';
import type { Deps, SecretStore } from '../cli/deps.js';
import type { GrantType } from '../definition/types.js';
import type { BrowserWaitOptions } from './waiting.js';

/** The result of an authorization: the credential for the secret store, and the facts for the metadata. */
export interface Authorized {
  credential: StoredCredential;
  grantType?: GrantType;
  /** The scopes the provider granted (OAuth 2.0). */
  scopes?: string[];
  /** Requested scopes that the provider did not grant (OAuth 2.0). */
  missingScopes?: string[];
  /** The access token's expiry as an ISO 8601 time, when known. */
  expiresAt?: string;
}

/** The dependencies and settings of an authorization, besides the connector. */
export interface AuthorizeContext {
  deps: Deps;
  /** The secret store, for connector secrets referenced as `keychain`. */
  store: SecretStore;
  /** The connector file's folder, for `file:` references. */
  folder: string;
  browser: BrowserWaitOptions;
  /** Seconds to wait for the browser or the device approval; absent means the flow's default. */
  timeoutSeconds?: number;
}
