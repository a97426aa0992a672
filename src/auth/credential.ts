/**
 * The secret part of a connection, stored as one JSON value per connection in the secret
 * store. Non-secret facts (created, expiry, scopes, store kind) also go to the metadata file.
 */
export type StoredCredential =
  | { type: 'basic'; username: string; password: string }
  | { type: 'apiKey'; values: Record<string, string> }
  | { type: 'oauth1'; token: string; tokenSecret: string; extra?: Record<string, string> }
  | {
      type: 'oauth2';
      accessToken: string;
      tokenType: string;
      refreshToken?: string;
      /** Milliseconds since the epoch; absent when the provider gave no expiry and none applies. */
      expiresAt?: number;
      /**
       * Set when `expiresAt` comes from the connector's `expiresIn` because the provider sent no
       * `expires_in`. Some providers (GitHub OAuth apps, for one) issue tokens that never expire.
       */
      expiryAssumed?: true;
      scopes?: string[];
      idToken?: string;
    };
