/** Requests to the token endpoint, shared by every grant (RFC 6749 sections 4.1.3, 4.4.2 and 6). */
import { httpPost } from '../http.js';
import { applyClientAuthentication, type ClientCredentials } from './client-auth.js';
import type { HttpContext, OAuth2Config } from './config.js';
import { parseTokenResponse, type TokenFailure, type TokenResponse } from './token-response.js';

export interface TokenRequest {
  /** The grant's parameters, such as `grant_type` and `code`; they take precedence over `auth.tokenParams`. */
  params: Record<string, string>;
  /** Default: `auth.tokenUrl`. */
  url?: string;
  /** The scopes to compare the granted ones with; default: the config's scopes. */
  requestedScopes?: readonly string[];
}

/**
 * Sends a token request and parses the response. The request is a POST with `Accept:
 * application/json`, a body encoded as `auth.tokenRequestFormat` selects with the connector's
 * `tokenParams` merged in, and client authentication as `auth.clientAuthentication` selects.
 * A provider's error is returned as a TokenFailure, and a network failure raises OperationError.
 */
export async function requestToken(config: OAuth2Config, request: TokenRequest, context: HttpContext): Promise<TokenResponse> {
  const { auth } = config;
  const params: Record<string, string> = { ...auth.tokenParams, ...request.params };
  const headers: Record<string, string> = { Accept: 'application/json' };
  applyClientAuthentication(clientOf(config), { params, headers });

  const response = await httpPost({
    fetch: context.fetch,
    url: request.url ?? auth.tokenUrl,
    body: auth.tokenRequestFormat === 'json' ? { json: params } : { form: params },
    headers,
    ...(context.timeoutMs === undefined ? {} : { timeoutMs: context.timeoutMs }),
    ...(context.signal === undefined ? {} : { signal: context.signal }),
  });

  const result = parseTokenResponse(response, {
    requestedScopes: request.requestedScopes ?? config.scopes,
    scopeDelimiter: config.scopeDelimiter,
    defaultExpiresIn: auth.expiresIn,
  });
  return result.ok ? result : withoutEchoedSecrets(result, sentSecrets(params, headers, config.clientSecret));
}

/** Parameters whose values are credentials or one-time codes. */
const SECRET_PARAMS = ['client_secret', 'code', 'code_verifier', 'refresh_token', 'password', 'device_code', 'assertion', 'client_assertion'];

function sentSecrets(params: Record<string, string>, headers: Record<string, string>, clientSecret: string | undefined): string[] {
  const values = SECRET_PARAMS.map((name) => params[name]);
  const basic = /^Basic\s+(.+)$/i.exec(headers.Authorization ?? '')?.[1];
  values.push(clientSecret, basic);
  // Short values would hide ordinary words in the message.
  return values.filter((value): value is string => value !== undefined && value.length >= 4);
}

/**
 * Removes values this request sent from a provider's error, because some token endpoints echo
 * the request (client secret included) in `error_description`, and the error is printed.
 * Only failures are scrubbed: a success may rightly return the same refresh token.
 */
function withoutEchoedSecrets(failure: TokenFailure, secrets: readonly string[]): TokenFailure {
  const scrub = (text: string) => secrets.reduce((result, secret) => result.split(secret).join('[redacted]').split(encodeURIComponent(secret)).join('[redacted]'), text);
  return {
    ...failure,
    error: scrub(failure.error),
    errorDescription: failure.errorDescription === null ? null : scrub(failure.errorDescription),
    message: scrub(failure.message),
  };
}

/** Returns the client's credentials and authentication method from the config. */
export function clientOf(config: OAuth2Config): ClientCredentials {
  const client: ClientCredentials = {
    clientId: config.auth.clientId,
    method: config.auth.clientAuthentication,
  };
  if (config.clientSecret !== undefined) client.clientSecret = config.clientSecret;
  return client;
}
