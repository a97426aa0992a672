/** Refreshing an access token (RFC 6749 section 6). */
import type { HttpContext, OAuth2Config } from './config.js';
import { requestToken } from './token-request.js';
import { tokenError, type TokenSuccess } from './token-response.js';

export interface RefreshOptions {
  refreshToken: string;
  /** The scopes granted before, to compare the refreshed grant with; default: the config's scopes. */
  scopes?: readonly string[];
}

/**
 * Exchanges a refresh token for a new access token at `auth.refreshTokenUrl`, else
 * `auth.tokenUrl`, with the same client authentication as the token request. When the
 * provider does not rotate the refresh token, the result carries the old one.
 * Raises AuthorizationError (exit 4) when the refresh token is rejected (`invalid_grant`).
 */
export async function refreshAccessToken(config: OAuth2Config, options: RefreshOptions, context: HttpContext): Promise<TokenSuccess> {
  const response = await requestToken(
    config,
    {
      params: { grant_type: 'refresh_token', refresh_token: options.refreshToken },
      url: config.auth.refreshTokenUrl ?? config.auth.tokenUrl,
      requestedScopes: options.scopes ?? config.scopes,
    },
    context,
  );

  if (!response.ok) {
    const hint = response.error === 'invalid_grant' ? 'The refresh token is expired or revoked: run connector connect again.' : undefined;
    throw tokenError(response, hint === undefined ? {} : { hint });
  }

  return { ...response, refreshToken: response.refreshToken ?? options.refreshToken };
}
