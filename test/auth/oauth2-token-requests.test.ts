import { describe, expect, it } from 'vitest';

import { AuthorizationError, OperationError, UsageError } from '../../src/cli/errors.js';
import type { OAuth2Auth } from '../../src/definition/types.js';
import { basicAuthorization } from '../../src/auth/oauth2/client-auth.js';
import { requestClientCredentialsToken } from '../../src/auth/oauth2/client-credentials.js';
import { oauth2ConfigFromConnector, type OAuth2Config } from '../../src/auth/oauth2/config.js';
import { refreshAccessToken } from '../../src/auth/oauth2/refresh.js';
import { revokeToken } from '../../src/auth/oauth2/revoke.js';
import { requestToken } from '../../src/auth/oauth2/token-request.js';

// Reserved .example names: the fake fetch answers for them, so nothing is sent anywhere.
const TOKEN_URL = 'https://accounts.zylker.example/oauth/v2/token';
const REFRESH_URL = 'https://accounts.zylker.example/oauth/v2/refresh';
const REVOKE_URL = 'https://accounts.zylker.example/oauth/v2/revoke';

interface Recorded {
  url: string;
  headers: Headers;
  body: string;
}

function endpoint(reply: () => Response): { fetch: typeof fetch; requests: Recorded[] } {
  const requests: Recorded[] = [];
  const fakeFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    requests.push({ url: request.url, headers: request.headers, body: await request.text() });
    return reply();
  };
  return { fetch: fakeFetch, requests };
}

/** `clientSecret: null` makes a public client. */
function config(overrides: Partial<OAuth2Auth> = {}, clientSecret: string | null = 'SECRET'): OAuth2Config {
  const result: OAuth2Config = {
    auth: {
      type: 'oauth2',
      grantType: 'authorizationCode',
      clientId: 'CLIENT',
      tokenUrl: TOKEN_URL,
      revokeTokenUrl: REVOKE_URL,
      bearerName: 'Bearer',
      expiresIn: 3600,
      pkce: true,
      clientAuthentication: 'body',
      tokenRequestFormat: 'form',
      ...overrides,
    },
    scopes: ['files.read', 'files.write'],
    scopeDelimiter: 'comma',
  };
  if (clientSecret !== null) result.clientSecret = clientSecret;
  return result;
}

const granted = (): Response => Response.json({ access_token: 'AT2', token_type: 'Bearer', expires_in: 60 });

describe('requestToken', () => {
  it('merges tokenParams without letting them replace grant parameters', async () => {
    const server = endpoint(granted);

    await requestToken(
      config({ tokenParams: { audience: 'api', grant_type: 'password' } }),
      { params: { grant_type: 'authorization_code', code: 'C' } },
      { fetch: server.fetch },
    );
    const body = new URLSearchParams(server.requests[0]?.body);

    expect(body.get('audience')).toBe('api');
    expect(body.get('grant_type')).toBe('authorization_code');
    expect(body.get('code')).toBe('C');
  });

  it('sends JSON when tokenRequestFormat is json', async () => {
    const server = endpoint(granted);

    await requestToken(config({ tokenRequestFormat: 'json' }), { params: { grant_type: 'authorization_code', code: 'C' } }, { fetch: server.fetch });

    expect(server.requests[0]?.headers.get('Content-Type')).toBe('application/json');
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({
      grant_type: 'authorization_code',
      code: 'C',
      client_id: 'CLIENT',
      client_secret: 'SECRET',
    });
  });

  it('sends basic client authentication in the header', async () => {
    const server = endpoint(granted);

    await requestToken(config({ clientAuthentication: 'basic' }), { params: { grant_type: 'x' } }, { fetch: server.fetch });
    const body = new URLSearchParams(server.requests[0]?.body);

    expect(server.requests[0]?.headers.get('Authorization')).toBe(basicAuthorization('CLIENT', 'SECRET'));
    expect(body.has('client_secret')).toBe(false);
    expect(body.has('client_id')).toBe(false);
  });

  it('sends client_id alone for a public client', async () => {
    const server = endpoint(granted);

    await requestToken(config({ clientAuthentication: 'basic' }, null), { params: { grant_type: 'x' } }, { fetch: server.fetch });
    const body = new URLSearchParams(server.requests[0]?.body);

    expect(server.requests[0]?.headers.has('Authorization')).toBe(false);
    expect(body.get('client_id')).toBe('CLIENT');
    expect(body.has('client_secret')).toBe(false);
  });
});

describe('requestClientCredentialsToken', () => {
  it('requests the scopes with the client credentials', async () => {
    const server = endpoint(() => Response.json({ access_token: 'AT', token_type: 'Bearer', scope: 'files.read' }));

    const tokens = await requestClientCredentialsToken(config({ grantType: 'clientCredentials' }), { fetch: server.fetch });
    const body = new URLSearchParams(server.requests[0]?.body);

    expect(body.get('grant_type')).toBe('client_credentials');
    expect(body.get('scope')).toBe('files.read,files.write');
    expect(body.get('client_secret')).toBe('SECRET');
    expect(tokens.missingScopes).toEqual(['files.write']);
  });

  it('requires a client secret', async () => {
    const request = requestClientCredentialsToken(config({ grantType: 'clientCredentials' }, null), { fetch: endpoint(granted).fetch });

    await expect(request).rejects.toBeInstanceOf(UsageError);
    await expect(request).rejects.toThrow('needs a client secret');
  });

  it('raises the provider error', async () => {
    const server = endpoint(() => Response.json({ error: 'invalid_scope' }, { status: 400 }));

    const request = requestClientCredentialsToken(config(), { fetch: server.fetch });

    await expect(request).rejects.toBeInstanceOf(AuthorizationError);
    await expect(request).rejects.toMatchObject({ hint: expect.stringContaining('scopes') });
  });
});

describe('refreshAccessToken', () => {
  it('uses refreshTokenUrl and keeps the old refresh token', async () => {
    const server = endpoint(granted);

    const tokens = await refreshAccessToken(config({ refreshTokenUrl: REFRESH_URL }), { refreshToken: 'RT1' }, { fetch: server.fetch });
    const body = new URLSearchParams(server.requests[0]?.body);

    expect(server.requests[0]?.url).toBe(REFRESH_URL);
    expect(body.get('grant_type')).toBe('refresh_token');
    expect(body.get('refresh_token')).toBe('RT1');
    expect(body.get('client_secret')).toBe('SECRET');
    expect(tokens.accessToken).toBe('AT2');
    expect(tokens.refreshToken).toBe('RT1');
    expect(tokens.expiresInSeconds).toBe(60);
  });

  it('falls back to tokenUrl and takes a rotated refresh token', async () => {
    const server = endpoint(() => Response.json({ access_token: 'AT2', refresh_token: 'RT2' }));

    const tokens = await refreshAccessToken(config(), { refreshToken: 'RT1' }, { fetch: server.fetch });

    expect(server.requests[0]?.url).toBe(TOKEN_URL);
    expect(tokens.refreshToken).toBe('RT2');
  });

  it('compares granted scopes with the previous grant', async () => {
    const server = endpoint(granted);

    const tokens = await refreshAccessToken(config(), { refreshToken: 'RT1', scopes: ['files.read'] }, { fetch: server.fetch });

    expect(tokens.grantedScopes).toEqual(['files.read']);
    expect(tokens.missingScopes).toEqual([]);
  });

  it('raises AuthorizationError with a hint on invalid_grant', async () => {
    const server = endpoint(() => Response.json({ error: 'invalid_grant', error_description: 'Token revoked' }, { status: 400 }));

    const request = refreshAccessToken(config(), { refreshToken: 'RT1' }, { fetch: server.fetch });

    await expect(request).rejects.toBeInstanceOf(AuthorizationError);
    await expect(request).rejects.toThrow('Token revoked');
    await expect(request).rejects.not.toThrow('RT1');
    await expect(request).rejects.toMatchObject({ hint: 'The refresh token is expired or revoked: run connector connect again.' });
  });

  it('raises OperationError on a server error page', async () => {
    const server = endpoint(() => new Response('<h1>Internal error</h1>', { status: 500, headers: { 'Content-Type': 'text/html' } }));

    await expect(refreshAccessToken(config(), { refreshToken: 'RT1' }, { fetch: server.fetch })).rejects.toBeInstanceOf(OperationError);
  });
});

describe('revokeToken', () => {
  it('posts the token and hint with client authentication', async () => {
    const server = endpoint(() => new Response(null, { status: 200 }));

    await revokeToken(config({ clientAuthentication: 'basic' }), { token: 'RT1', tokenTypeHint: 'refresh_token' }, { fetch: server.fetch });
    const body = new URLSearchParams(server.requests[0]?.body);

    expect(server.requests[0]?.url).toBe(REVOKE_URL);
    expect(server.requests[0]?.headers.get('Authorization')).toBe(basicAuthorization('CLIENT', 'SECRET'));
    expect(server.requests[0]?.headers.get('Content-Type')).toBe('application/x-www-form-urlencoded');
    expect(body.get('token')).toBe('RT1');
    expect(body.get('token_type_hint')).toBe('refresh_token');
  });

  it('accepts 204', async () => {
    const server = endpoint(() => new Response(null, { status: 204 }));

    await expect(revokeToken(config(), { token: 'AT' }, { fetch: server.fetch })).resolves.toBeUndefined();
  });

  it('reports a provider error', async () => {
    const server = endpoint(() => Response.json({ error: 'unsupported_token_type' }, { status: 400 }));

    const request = revokeToken(config(), { token: 'AT', tokenTypeHint: 'access_token' }, { fetch: server.fetch });

    await expect(request).rejects.toBeInstanceOf(OperationError);
    await expect(request).rejects.toThrow(`The revocation endpoint ${REVOKE_URL} rejected the request (HTTP 400): unsupported_token_type.`);
  });

  it('names Retry-After on 503', async () => {
    const server = endpoint(() => new Response('busy', { status: 503, headers: { 'Retry-After': '30' } }));

    const request = revokeToken(config(), { token: 'AT' }, { fetch: server.fetch });

    await expect(request).rejects.toThrow('(HTTP 503): "busy"');
    await expect(request).rejects.toMatchObject({ hint: 'The provider is unavailable (Retry-After: 30); try again later.' });
  });

  it('requires revokeTokenUrl', async () => {
    const request = revokeToken(config({ revokeTokenUrl: undefined }), { token: 'AT' }, { fetch: endpoint(granted).fetch });

    await expect(request).rejects.toBeInstanceOf(UsageError);
    await expect(request).rejects.toThrow('auth.revokeTokenUrl');
  });
});

describe('oauth2ConfigFromConnector', () => {
  it('takes the scopes and delimiter from the connector', () => {
    const auth = config().auth;

    const result = oauth2ConfigFromConnector(
      {
        schemaVersion: 1,
        name: 'Zylker Files',
        linkName: 'zylker_files',
        stage: 'ready',
        auth,
        scopes: { delimiter: 'space', items: [{ name: 'Read', value: 'files.read' }] },
      },
      'SECRET',
    );

    expect(result).toEqual({ auth, clientSecret: 'SECRET', scopes: ['files.read'], scopeDelimiter: 'space' });
  });

  it('rejects a connector without OAuth 2.0', () => {
    const attempt = (): unknown =>
      oauth2ConfigFromConnector(
        {
          schemaVersion: 1,
          name: 'Zylker Files',
          linkName: 'zylker_files',
          stage: 'ready',
          auth: { type: 'basic', username: { name: 'User', key: 'u' }, password: { name: 'Password', key: 'p' } },
        },
        undefined,
      );

    expect(attempt).toThrow(UsageError);
  });
});
