/** The client credentials grant (RFC 6749 section 4.4): the client acts for itself, with no user. */
import { UsageError } from '../../cli/errors.js';
import { joinScopes, type HttpContext, type OAuth2Config } from './config.js';
import { requestToken } from './token-request.js';
import { tokenError, type TokenSuccess } from './token-response.js';

/**
 * Requests a token with the client's own credentials and the config's scopes. Raises
 * UsageError without a client secret, AuthorizationError when the provider rejects the
 * client, and OperationError for network failures and unreadable responses.
 */
export async function requestClientCredentialsToken(config: OAuth2Config, context: HttpContext): Promise<TokenSuccess> {
  if (config.clientSecret === undefined || config.clientSecret === '') {
    throw new UsageError('The client credentials grant needs a client secret, and none was given.', {
      hint: 'Set auth.clientSecret in connector.yaml (env:NAME or keychain).',
    });
  }

  const params: Record<string, string> = { grant_type: 'client_credentials' };
  if (config.scopes.length > 0) {
    params.scope = joinScopes(config.scopes, config.scopeDelimiter, config.auth.tokenRequestFormat);
  }

  const response = await requestToken(config, { params }, context);
  if (!response.ok) throw tokenError(response);
  return response;
}
