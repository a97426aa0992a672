/** The shape of `connector.yaml` after validation. The JSON Schema in `schemas/` is the source of truth. */

export type Stage = 'draft' | 'ready';
export type AuthType = 'basic' | 'apiKey' | 'oauth1' | 'oauth2';
export type GrantType = 'authorizationCode' | 'clientCredentials' | 'deviceCode';
export type ScopeDelimiter = 'comma' | 'space' | 'plus';
export type SignatureMethod = 'HMAC-SHA1' | 'HMAC-SHA256' | 'PLAINTEXT' | 'RSA-SHA1';

/** A value asked for at connect time: `name` is the prompt, `key` its id. */
export interface ParameterField {
  name: string;
  key: string;
}

export interface ConnectionParameter extends ParameterField {
  default?: string;
}

export interface BasicAuth {
  type: 'basic';
  username: ParameterField;
  password: ParameterField;
}

export interface ApiKeyParameter extends ParameterField {
  prefix?: string;
}

export interface ApiKeyAuth {
  type: 'apiKey';
  location: 'header' | 'query' | 'form';
  parameters: ApiKeyParameter[];
}

export interface OAuth1Auth {
  type: 'oauth1';
  consumerKey: string;
  /** `env:NAME`, `keychain`, `file:PATH` (RSA-SHA1 private key), or a literal (warned about). */
  consumerSecret: string;
  requestTokenUrl: string;
  authorizationUrl: string;
  accessTokenUrl: string;
  revokeTokenUrl?: string;
  signatureMethod: SignatureMethod;
}

export interface OAuth2Auth {
  type: 'oauth2';
  grantType: GrantType;
  clientId: string;
  clientSecret?: string;
  authorizationUrl?: string;
  deviceAuthorizationUrl?: string;
  tokenUrl: string;
  refreshTokenUrl?: string;
  revokeTokenUrl?: string;
  bearerName: string;
  expiresIn: number;
  pkce: boolean;
  clientAuthentication: 'body' | 'basic';
  tokenRequestFormat: 'form' | 'json';
  redirectUri?: string;
  authorizationParams?: Record<string, string>;
  tokenParams?: Record<string, string>;
}

export type Auth = BasicAuth | ApiKeyAuth | OAuth1Auth | OAuth2Auth;

export interface Scope {
  name: string;
  value: string;
}

export interface Connector {
  schemaVersion: 1;
  name: string;
  linkName: string;
  description?: string;
  logo?: string;
  stage: Stage;
  baseUrl?: string;
  connectionParameters?: ConnectionParameter[];
  auth: Auth;
  scopes?: { delimiter: ScopeDelimiter; items: Scope[] };
  test?: { method: string; url: string };
}

export const SCOPE_DELIMITERS: Record<ScopeDelimiter, string> = { comma: ',', space: ' ', plus: '+' };
