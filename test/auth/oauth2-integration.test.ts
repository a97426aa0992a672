import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuthorizationError } from '../../src/cli/errors.js';
import type { OAuth2Auth } from '../../src/definition/types.js';
import { authorizeWithCode } from '../../src/auth/oauth2/authorization-code.js';
import { requestClientCredentialsToken } from '../../src/auth/oauth2/client-credentials.js';
import type { OAuth2Config } from '../../src/auth/oauth2/config.js';
import { authorizeWithDeviceCode } from '../../src/auth/oauth2/device.js';
import { refreshAccessToken } from '../../src/auth/oauth2/refresh.js';
import { revokeToken } from '../../src/auth/oauth2/revoke.js';
import type { TokenSuccess } from '../../src/auth/oauth2/token-response.js';
import { SERVICE_SCOPES, TEST_SCOPES, startOidcProvider, type OidcTestProvider, type TestClient } from '../support/oidc-provider.js';
import { completeAuthorization, completeDeviceAuthorization, type AuthorizationScript, type CallbackResponse } from '../support/user-agent.js';

let provider: OidcTestProvider;

beforeAll(async () => {
  provider = await startOidcProvider();
});

afterAll(async () => {
  await provider.close();
});

function configFor(client: TestClient, overrides: Partial<OAuth2Auth> = {}, scopes = TEST_SCOPES): OAuth2Config {
  const config: OAuth2Config = {
    auth: {
      type: 'oauth2',
      grantType: 'authorizationCode',
      clientId: client.clientId,
      authorizationUrl: provider.endpoints.authorization,
      deviceAuthorizationUrl: provider.endpoints.deviceAuthorization,
      tokenUrl: provider.endpoints.token,
      revokeTokenUrl: provider.endpoints.revocation,
      bearerName: 'Bearer',
      expiresIn: 3600,
      pkce: true,
      clientAuthentication: 'body',
      tokenRequestFormat: 'form',
      ...overrides,
    },
    scopes,
    scopeDelimiter: 'space',
  };
  if (client.clientSecret !== undefined) config.clientSecret = client.clientSecret;
  return config;
}

/** Wraps fetch to record the URLs requested, so a test can prove a request was never sent. */
function recordingFetch(): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  const wrapped: typeof fetch = (input, init) => {
    urls.push(input instanceof Request ? input.url : input.toString());
    return fetch(input, init);
  };
  return { fetch: wrapped, urls };
}

/** Runs the authorization code grant with the scripted browser in place of the system browser. */
async function runCodeFlow(
  config: OAuth2Config,
  script: AuthorizationScript = {},
): Promise<{ tokens: Promise<TokenSuccess>; callback: Promise<CallbackResponse>; lines: string[]; urls: string[] }> {
  const lines: string[] = [];
  const recording = recordingFetch();
  let resolveCallback!: (response: CallbackResponse) => void;
  const callback = new Promise<CallbackResponse>((resolve) => {
    resolveCallback = resolve;
  });

  const tokens = authorizeWithCode({
    config,
    linkName: 'zylker_files',
    fetch: recording.fetch,
    log: (line) => lines.push(line),
    openBrowser: async (url) => {
      void completeAuthorization(url, script).then(resolveCallback);
    },
  });
  tokens.catch(() => undefined);
  return { tokens, callback, lines, urls: recording.urls };
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const { clientId, clientSecret = '' } = provider.clients.service;
  const response = await fetch(provider.endpoints.introspection, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: clientId, client_secret: clientSecret }),
  });
  return (await response.json()) as Record<string, unknown>;
}

describe('authorization code grant against oidc-provider', () => {
  it('obtains tokens that work at the userinfo endpoint', async () => {
    const flow = await runCodeFlow(configFor(provider.clients.nativeApp));

    const tokens = await flow.tokens;
    const callback = await flow.callback;
    const userinfo = await fetch(provider.endpoints.userinfo, { headers: { Authorization: `Bearer ${tokens.accessToken}` } });

    expect(callback.status).toBe(200);
    expect(callback.body).toContain('Authorization complete');
    expect(flow.lines.some((line) => line.startsWith(`${provider.endpoints.authorization}?`))).toBe(true);
    expect(new URL(callback.url).searchParams.get('code')).not.toBeNull();
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.refreshToken).not.toBeNull();
    expect(tokens.idToken).toBeDefined();
    expect(tokens.expiresInSeconds).toBeGreaterThan(0);
    // oidc-provider grants offline_access only with prompt=consent, so the grant reports it missing.
    expect(tokens.grantedScopes).toEqual(['openid', 'profile', 'email']);
    expect(tokens.missingScopes).toEqual(['offline_access']);
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toMatchObject({ sub: 'alice', email: 'alice@example.test' });
  });

  it('sends a PKCE challenge and redirect URI on 127.0.0.1', async () => {
    const flow = await runCodeFlow(configFor(provider.clients.nativeApp));

    await flow.tokens;
    const authorizationUrl = new URL(flow.lines.find((line) => line.startsWith('http')) ?? '');

    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorizationUrl.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\/zylker_files$/);
    expect(authorizationUrl.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
  });

  it('passes authorizationParams to the provider', async () => {
    const flow = await runCodeFlow(configFor(provider.clients.nativeApp, { authorizationParams: { prompt: 'consent' } }));

    const tokens = await flow.tokens;

    expect(tokens.grantedScopes).toContain('offline_access');
    expect(tokens.missingScopes).toEqual([]);
  });

  it('authenticates a confidential client with basic', async () => {
    const flow = await runCodeFlow(configFor(provider.clients.confidentialApp, { clientAuthentication: 'basic' }));

    const tokens = await flow.tokens;

    expect(tokens.accessToken).not.toBe('');
    expect((await flow.callback).status).toBe(200);
  });

  it('rejects a state mismatch without a token request', async () => {
    const flow = await runCodeFlow(configFor(provider.clients.nativeApp), {
      rewriteCallback: (url) => {
        url.searchParams.set('state', 'forged-state');
        return url;
      },
    });

    await expect(flow.tokens).rejects.toBeInstanceOf(AuthorizationError);
    await expect(flow.tokens).rejects.toThrow('state mismatch');
    const callback = await flow.callback;
    expect(callback.status).toBe(400);
    expect(callback.body).toContain('Authorization rejected');
    expect(flow.urls.filter((url) => url === provider.endpoints.token)).toEqual([]);
  });

  it('ends with access_denied when the user cancels', async () => {
    const flow = await runCodeFlow(configFor(provider.clients.nativeApp), { consent: 'deny' });

    await expect(flow.tokens).rejects.toBeInstanceOf(AuthorizationError);
    await expect(flow.tokens).rejects.toThrow('access_denied');
    const callback = await flow.callback;
    expect(callback.status).toBe(400);
    expect(callback.body).toContain('error: access_denied');
    expect(flow.urls).toEqual([]);
  });
});

describe('refresh and revocation against oidc-provider', () => {
  it('rotates the refresh token', async () => {
    const config = configFor(provider.clients.nativeApp);
    const first = await (await runCodeFlow(config)).tokens;
    const refreshToken = first.refreshToken ?? '';

    const refreshed = await refreshAccessToken(config, { refreshToken, scopes: first.grantedScopes }, { fetch });
    const userinfo = await fetch(provider.endpoints.userinfo, { headers: { Authorization: `Bearer ${refreshed.accessToken}` } });

    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(refreshed.refreshToken).not.toBe(refreshToken);
    expect(userinfo.status).toBe(200);
  });

  it('rejects a used refresh token with AuthorizationError', async () => {
    const config = configFor(provider.clients.nativeApp);
    const first = await (await runCodeFlow(config)).tokens;
    const refreshToken = first.refreshToken ?? '';
    await refreshAccessToken(config, { refreshToken }, { fetch });

    const reuse = refreshAccessToken(config, { refreshToken }, { fetch });

    await expect(reuse).rejects.toBeInstanceOf(AuthorizationError);
    await expect(reuse).rejects.toMatchObject({ hint: expect.stringContaining('run connector connect again') });
  });

  it('revokes an access token and a refresh token', async () => {
    const config = configFor(provider.clients.confidentialApp, { clientAuthentication: 'basic' });
    const tokens = await (await runCodeFlow(config)).tokens;

    await revokeToken(config, { token: tokens.accessToken, tokenTypeHint: 'access_token' }, { fetch });
    await revokeToken(config, { token: tokens.refreshToken ?? '', tokenTypeHint: 'refresh_token' }, { fetch });
    const userinfo = await fetch(provider.endpoints.userinfo, { headers: { Authorization: `Bearer ${tokens.accessToken}` } });
    const refresh = refreshAccessToken(config, { refreshToken: tokens.refreshToken ?? '' }, { fetch });

    expect(userinfo.status).toBe(401);
    await expect(refresh).rejects.toBeInstanceOf(AuthorizationError);
  });
});

describe('client credentials grant against oidc-provider', () => {
  it('obtains an active token with the scopes', async () => {
    const config = configFor(provider.clients.service, { grantType: 'clientCredentials' }, SERVICE_SCOPES);

    const tokens = await requestClientCredentialsToken(config, { fetch });
    const introspection = await introspect(tokens.accessToken);

    expect(tokens.grantedScopes).toEqual(SERVICE_SCOPES);
    expect(tokens.missingScopes).toEqual([]);
    expect(tokens.refreshToken).toBeNull();
    expect(introspection.active).toBe(true);
    expect(introspection.scope).toBe('files.read files.write');
  });

  it('rejects a wrong client secret with AuthorizationError', async () => {
    const config = configFor(provider.clients.service, { grantType: 'clientCredentials' }, SERVICE_SCOPES);
    config.clientSecret = 'wrong-secret';

    const request = requestClientCredentialsToken(config, { fetch });

    await expect(request).rejects.toBeInstanceOf(AuthorizationError);
    await expect(request).rejects.toThrow('invalid_client');
    await expect(request).rejects.not.toThrow('wrong-secret');
  });
});

describe('device authorization grant against oidc-provider', () => {
  async function runDeviceFlow(consent: 'approve' | 'deny'): Promise<{ tokens: Promise<TokenSuccess>; lines: string[]; pages: string[] }> {
    const lines: string[] = [];
    const pages: string[] = [];
    let sleeps = 0;
    let now = 1_000_000;

    const tokens = authorizeWithDeviceCode({
      config: configFor(provider.clients.device, { grantType: 'deviceCode' }),
      fetch,
      log: (line) => lines.push(line),
      clock: { now: () => now },
      // The first wait passes with the request still pending; during the second the user approves.
      sleep: async (ms) => {
        now += ms;
        sleeps += 1;
        if (sleeps !== 2) return;
        const instruction = lines.find((line) => line.includes('enter the code')) ?? '';
        const [, uri = '', code = ''] = /open (\S+) and enter the code: (\S+)/.exec(instruction) ?? [];
        pages.push(await completeDeviceAuthorization(uri, code, { consent }));
      },
    });
    tokens.catch(() => undefined);
    return { tokens, lines, pages };
  }

  it('polls until the user approves', async () => {
    const flow = await runDeviceFlow('approve');

    const tokens = await flow.tokens;
    const userinfo = await fetch(provider.endpoints.userinfo, { headers: { Authorization: `Bearer ${tokens.accessToken}` } });

    expect(flow.lines[0]).toMatch(new RegExp(`^To authorize the connection, open ${provider.issuer}/device and enter the code: \\S+$`));
    expect(flow.lines.some((line) => line.startsWith(`Or open this URL, which includes the code: ${provider.issuer}/device?user_code=`))).toBe(true);
    expect(tokens.refreshToken).not.toBeNull();
    expect(userinfo.status).toBe(200);
  });

  it('stops with access_denied when the user cancels', async () => {
    const flow = await runDeviceFlow('deny');

    await expect(flow.tokens).rejects.toBeInstanceOf(AuthorizationError);
    await expect(flow.tokens).rejects.toThrow('Access was denied');
  });
});
