/** Token revocation (RFC 7009). */
import { OperationError } from '../../cli/errors.js';
import { httpPost, snippet } from '../http.js';
import { applyClientAuthentication } from './client-auth.js';
import { requireUrl, type HttpContext, type OAuth2Config } from './config.js';
import { clientOf } from './token-request.js';
import { cleanProviderText } from './token-response.js';

export interface RevokeOptions {
  token: string;
  tokenTypeHint?: 'access_token' | 'refresh_token';
}

/**
 * Revokes a token at `auth.revokeTokenUrl`, authenticating the client as the token request
 * does. RFC 7009 returns 200 both when the token was revoked and when it was already invalid.
 * Any 2xx counts as success, because some providers return 204. Raises UsageError when the
 * connector has no revocation endpoint and OperationError when the provider reports a failure.
 */
export async function revokeToken(config: OAuth2Config, options: RevokeOptions, context: HttpContext): Promise<void> {
  const url = requireUrl(config, 'revokeTokenUrl');
  const params: Record<string, string> = { token: options.token };
  if (options.tokenTypeHint !== undefined) params.token_type_hint = options.tokenTypeHint;
  const headers: Record<string, string> = { Accept: 'application/json' };
  applyClientAuthentication(clientOf(config), { params, headers });

  // NOTE: RFC 7009 defines a form-encoded request only, so `tokenRequestFormat: json` does not
  // apply here. A provider that expects JSON at its revocation endpoint is not supported.
  const response = await httpPost({
    fetch: context.fetch,
    url,
    body: { form: params },
    headers,
    ...(context.timeoutMs === undefined ? {} : { timeoutMs: context.timeoutMs }),
    ...(context.signal === undefined ? {} : { signal: context.signal }),
  });
  if (response.status >= 200 && response.status < 300) return;

  const retryAfter = response.headers.get('Retry-After');
  const hint =
    response.status === 503
      ? `The provider is unavailable${retryAfter === null ? '' : ` (Retry-After: ${cleanProviderText(retryAfter, 40)})`}; try again later.`
      : undefined;
  throw new OperationError(
    `The revocation endpoint ${response.url} rejected the request (HTTP ${response.status})${revocationDetail(response.text)}.`,
    hint === undefined ? {} : { hint },
  );
}

function revocationDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    if (typeof body.error === 'string') {
      const description = typeof body.error_description === 'string' ? `: ${cleanProviderText(body.error_description)}` : '';
      return `: ${cleanProviderText(body.error, 100)}${description}`;
    }
  } catch {
    // Not JSON: fall through to a short excerpt.
  }
  const excerpt = snippet(text, 80);
  return excerpt === '' ? '' : `: "${excerpt}"`;
}
