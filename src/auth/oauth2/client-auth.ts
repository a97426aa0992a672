/**
 * Client authentication at the token, device authorization and revocation endpoints
 * (RFC 6749 section 2.3.1): `basic` is client_secret_basic, `body` is client_secret_post,
 * and a public client without a secret identifies itself with `client_id` in the body.
 */

export interface ClientCredentials {
  clientId: string;
  clientSecret?: string;
  method: 'body' | 'basic';
}

/**
 * Returns the `Authorization` header value for client_secret_basic. RFC 6749 section 2.3.1
 * form-encodes the client ID and secret before base64, so a space becomes `+` and `:` becomes
 * `%3A`. Many servers skip that step, which matters only for IDs or secrets with such characters.
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const credentials = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

/**
 * Adds client authentication to a request: body parameters for `body` and for public
 * clients, an `Authorization` header for `basic` with a secret.
 */
export function applyClientAuthentication(
  client: ClientCredentials,
  request: { params: Record<string, string>; headers: Record<string, string> },
): void {
  const secret = client.clientSecret;
  if (secret === undefined || secret === '') {
    request.params.client_id = client.clientId;
    return;
  }

  if (client.method === 'basic') {
    request.headers.Authorization = basicAuthorization(client.clientId, secret);
    return;
  }

  request.params.client_id = client.clientId;
  request.params.client_secret = secret;
}

function formEncode(value: string): string {
  return new URLSearchParams({ value }).toString().slice('value='.length);
}
