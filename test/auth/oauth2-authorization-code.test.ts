import { createServer } from 'node:http';
import { once } from 'node:events';

import { describe, expect, it } from 'vitest';

import { AuthorizationError, InterruptedError, OperationError, UsageError } from '../../src/cli/errors.js';
import type { OAuth2Auth } from '../../src/definition/types.js';
import { authorizeWithCode, type AuthorizationCodeOptions } from '../../src/auth/oauth2/authorization-code.js';
import { buildAuthorizationUrl, loopbackRedirect } from '../../src/auth/oauth2/authorization-url.js';
import type { OAuth2Config } from '../../src/auth/oauth2/config.js';
import { codeChallengeS256 } from '../../src/auth/oauth2/pkce.js';
import type { TokenSuccess } from '../../src/auth/oauth2/token-response.js';
import { unusedPort } from '../support/ports.js';

// Example URLs on reserved .example names; the fake fetch below answers for them, so nothing
// is ever sent to them. Only the loopback redirect server is contacted for real.
const TOKEN_URL = 'https://accounts.zylker.example/oauth/v2/token';
const AUTHORIZATION_URL = 'https://accounts.zylker.example/oauth/v2/auth';

interface RecordedRequest {
  url: string;
  headers: Headers;
  body: string;
}

function fakeTokenEndpoint(respond: () => Response | Promise<Response> = tokenResponse): { fetch: typeof fetch; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fakeFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    requests.push({ url: request.url, headers: request.headers, body: await request.text() });
    return respond();
  };
  return { fetch: fakeFetch, requests };
}

function tokenResponse(): Response {
  return Response.json({ access_token: 'AT', token_type: 'Bearer', expires_in: 3600, refresh_token: 'RT', scope: 'files.read' });
}

function config(overrides: Partial<OAuth2Auth> = {}): OAuth2Config {
  return {
    auth: {
      type: 'oauth2',
      grantType: 'authorizationCode',
      clientId: '1000.ABC',
      authorizationUrl: AUTHORIZATION_URL,
      tokenUrl: TOKEN_URL,
      bearerName: 'Bearer',
      expiresIn: 3600,
      pkce: true,
      clientAuthentication: 'body',
      tokenRequestFormat: 'form',
      ...overrides,
    },
    clientSecret: 'client-secret-value',
    scopes: ['files.read'],
    scopeDelimiter: 'comma',
  };
}

interface RunningFlow {
  tokens: Promise<TokenSuccess>;
  /** The authorization URL the browser was sent to. */
  authorizationUrl: Promise<URL>;
  lines: string[];
  requests: RecordedRequest[];
}

function startFlow(options: Partial<AuthorizationCodeOptions> & { respond?: () => Response | Promise<Response> } = {}): RunningFlow {
  const lines: string[] = [];
  const endpoint = fakeTokenEndpoint(options.respond);
  let resolveUrl!: (url: URL) => void;
  const authorizationUrl = new Promise<URL>((resolve) => {
    resolveUrl = resolve;
  });

  const tokens = authorizeWithCode({
    config: config(),
    linkName: 'zylker_files',
    fetch: endpoint.fetch,
    log: (line) => lines.push(line),
    openBrowser: async (url) => resolveUrl(new URL(url)),
    ...options,
  });
  tokens.catch(() => undefined);
  return { tokens, authorizationUrl, lines, requests: endpoint.requests };
}

/** Sends the browser's redirect to the loopback server with the given query. */
async function redirect(authorizationUrl: URL, query: string | ((state: string) => string)): Promise<{ status: number; body: string }> {
  const state = authorizationUrl.searchParams.get('state') ?? '';
  const redirectUri = authorizationUrl.searchParams.get('redirect_uri') ?? '';
  const search = typeof query === 'string' ? query : query(state);
  const response = await fetch(`${redirectUri}?${search}`);
  return { status: response.status, body: await response.text() };
}

describe('authorizeWithCode', () => {
  it('exchanges the code with PKCE and returns the tokens', async () => {
    const flow = startFlow();
    const url = await flow.authorizationUrl;

    const page = await redirect(url, (state) => `code=CODE&state=${state}`);
    const tokens = await flow.tokens;
    const body = new URLSearchParams(flow.requests[0]?.body);

    expect(page.status).toBe(200);
    expect(page.body).toContain('Authorization complete');
    expect(tokens.accessToken).toBe('AT');
    expect(tokens.refreshToken).toBe('RT');
    expect(tokens.grantedScopes).toEqual(['files.read']);
    expect(flow.requests).toHaveLength(1);
    expect(flow.requests[0]?.url).toBe(TOKEN_URL);
    expect(flow.requests[0]?.headers.get('Accept')).toBe('application/json');
    expect(body.get('grant_type')).toBe('authorization_code');
    expect(body.get('code')).toBe('CODE');
    expect(body.get('redirect_uri')).toBe(url.searchParams.get('redirect_uri'));
    expect(body.get('client_id')).toBe('1000.ABC');
    expect(body.get('client_secret')).toBe('client-secret-value');
    expect(codeChallengeS256(body.get('code_verifier') ?? '')).toBe(url.searchParams.get('code_challenge'));
  });

  it('builds the authorization request', async () => {
    const flow = startFlow();
    const url = await flow.authorizationUrl;
    await redirect(url, (state) => `code=CODE&state=${state}`);
    await flow.tokens;

    expect(`${url.origin}${url.pathname}`).toBe(AUTHORIZATION_URL);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('client_id')).toBe('1000.ABC');
    expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\/zylker_files$/);
    expect(url.searchParams.get('scope')).toBe('files.read');
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(flow.lines).toContain(url.toString());
  });

  it('rejects a state given twice without a token request', async () => {
    const flow = startFlow();
    const url = await flow.authorizationUrl;

    const page = await redirect(url, (state) => `code=CODE&state=${state}&state=${state}`);

    await expect(flow.tokens).rejects.toBeInstanceOf(AuthorizationError);
    await expect(flow.tokens).rejects.toThrow('state parameter is given more than once (state mismatch)');
    expect(page.status).toBe(400);
    expect(page.body).toContain('Authorization rejected');
    expect(flow.requests).toHaveLength(0);
  });

  it('rejects a missing state', async () => {
    const flow = startFlow();
    const url = await flow.authorizationUrl;

    const page = await redirect(url, 'code=CODE');

    await expect(flow.tokens).rejects.toThrow('state parameter is missing');
    expect(page.status).toBe(400);
    expect(flow.requests).toHaveLength(0);
  });

  it('rejects a different state', async () => {
    const flow = startFlow();
    const url = await flow.authorizationUrl;

    await redirect(url, 'code=CODE&state=forged');

    await expect(flow.tokens).rejects.toThrow('state parameter is different from the one sent (state mismatch)');
    expect(flow.requests).toHaveLength(0);
  });

  it('checks state before a provider error', async () => {
    const flow = startFlow();
    const url = await flow.authorizationUrl;

    await redirect(url, 'error=access_denied&state=forged');

    await expect(flow.tokens).rejects.toThrow('state mismatch');
  });

  it('ends on a provider error with the page escaped', async () => {
    const flow = startFlow();
    const url = await flow.authorizationUrl;
    const description = encodeURIComponent('<script>alert(1)</script> denied');

    const page = await redirect(url, (state) => `error=access_denied&error_description=${description}&state=${state}`);

    await expect(flow.tokens).rejects.toBeInstanceOf(AuthorizationError);
    await expect(flow.tokens).rejects.toThrow('Access was denied at the provider (access_denied: <script>alert(1)</script> denied).');
    expect(page.status).toBe(400);
    expect(page.body).toContain('error_description: &lt;script&gt;alert(1)&lt;/script&gt; denied');
    expect(page.body).not.toContain('<script>');
    expect(flow.requests).toHaveLength(0);
  });

  it('reports other provider errors by code', async () => {
    const flow = startFlow();
    const url = await flow.authorizationUrl;

    await redirect(url, (state) => `error=invalid_scope&state=${state}`);

    await expect(flow.tokens).rejects.toThrow('The provider returned error "invalid_scope".');
  });

  it('exchanges the code only once', async () => {
    const flow = startFlow();
    const url = await flow.authorizationUrl;

    await redirect(url, (state) => `code=CODE&state=${state}`);
    await flow.tokens;
    const again = redirect(url, (state) => `code=CODE&state=${state}`);

    await expect(again).rejects.toThrow();
    expect(flow.requests).toHaveLength(1);
  });

  it('rejects a response with two codes', async () => {
    const flow = startFlow();
    const url = await flow.authorizationUrl;

    await redirect(url, (state) => `code=A&code=B&state=${state}`);

    await expect(flow.tokens).rejects.toBeInstanceOf(OperationError);
    await expect(flow.tokens).rejects.toThrow('more than one code parameter');
    expect(flow.requests).toHaveLength(0);
  });

  it('shows a token endpoint rejection on the page', async () => {
    const flow = startFlow({ respond: () => Response.json({ error: 'invalid_grant', error_description: 'Code expired' }, { status: 400 }) });
    const url = await flow.authorizationUrl;

    const page = await redirect(url, (state) => `code=CODE&state=${state}`);

    await expect(flow.tokens).rejects.toBeInstanceOf(AuthorizationError);
    await expect(flow.tokens).rejects.toThrow('returned error "invalid_grant" (HTTP 400): Code expired');
    expect(page.status).toBe(400);
    expect(page.body).toContain('Token request failed');
    expect(page.body).toContain('error_description: Code expired');
  });

  it('reports a token endpoint that cannot be reached', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const flow = startFlow({
      respond: () => {
        throw refused;
      },
    });
    const url = await flow.authorizationUrl;

    const page = await redirect(url, (state) => `code=CODE&state=${state}`);

    await expect(flow.tokens).rejects.toBeInstanceOf(OperationError);
    await expect(flow.tokens).rejects.toThrow(`POST ${TOKEN_URL} failed: the connection was refused`);
    expect(page.status).toBe(400);
  });

  it('leaves out PKCE when the connector turns it off', async () => {
    const flow = startFlow({ config: config({ pkce: false }) });
    const url = await flow.authorizationUrl;

    await redirect(url, (state) => `code=CODE&state=${state}`);
    await flow.tokens;

    expect(url.searchParams.has('code_challenge')).toBe(false);
    expect(url.searchParams.has('code_challenge_method')).toBe(false);
    expect(new URLSearchParams(flow.requests[0]?.body).has('code_verifier')).toBe(false);
  });

  it('counts down and times out', async () => {
    let now = 0;
    const ticks: number[] = [];
    const flow = startFlow({
      timeoutSeconds: 3,
      clock: { now: () => now },
      sleep: async (ms) => {
        now += ms;
      },
      onTick: (secondsLeft) => ticks.push(secondsLeft),
    });

    await expect(flow.tokens).rejects.toBeInstanceOf(OperationError);
    await expect(flow.tokens).rejects.toThrow('No authorization response arrived within 3 seconds.');
    expect(ticks).toEqual([3, 2, 1]);
    const url = await flow.authorizationUrl;
    await expect(redirect(url, (state) => `code=CODE&state=${state}`)).rejects.toThrow();
  });

  it('stops with InterruptedError on abort', async () => {
    const controller = new AbortController();
    const flow = startFlow({ signal: controller.signal });
    const url = await flow.authorizationUrl;

    controller.abort();

    await expect(flow.tokens).rejects.toBeInstanceOf(InterruptedError);
    await expect(redirect(url, (state) => `code=CODE&state=${state}`)).rejects.toThrow();
    expect(flow.requests).toHaveLength(0);
  });

  it('completes from a pasted URL after an invalid one', async () => {
    const loggedUrl = (): URL => new URL(flow.lines.find((line) => line.startsWith('https://')) ?? '');
    const pastes = [
      'https://somewhere.example/else',
      () => `${loggedUrl().searchParams.get('redirect_uri')}?code=PASTED&state=${loggedUrl().searchParams.get('state')}`,
    ];
    const flow = startFlow({
      openBrowser: undefined,
      readPastedUrl: async () => {
        const next = pastes.shift();
        if (next === undefined) return new Promise<string>(() => undefined);
        return typeof next === 'string' ? next : next();
      },
    });

    const tokens = await flow.tokens;

    expect(tokens.accessToken).toBe('AT');
    expect(new URLSearchParams(flow.requests[0]?.body).get('code')).toBe('PASTED');
    expect(flow.lines[0]).toBe('Open this URL in a browser to authorize the connection:');
    expect(flow.lines.some((line) => line.startsWith('The pasted URL does not start with the redirect URI'))).toBe(true);
  });

  it('checks the state of a pasted URL', async () => {
    const flow = startFlow({
      openBrowser: undefined,
      readPastedUrl: async () => {
        const url = new URL(flow.lines.find((line) => line.startsWith('https://')) ?? '');
        return `${url.searchParams.get('redirect_uri')}?code=PASTED&state=forged`;
      },
    });

    await expect(flow.tokens).rejects.toThrow('state mismatch');
    expect(flow.requests).toHaveLength(0);
  });

  it('ends when reading a pasted URL fails', async () => {
    const flow = startFlow({ readPastedUrl: async () => Promise.reject(new InterruptedError()) });

    await expect(flow.tokens).rejects.toBeInstanceOf(InterruptedError);
  });

  it('aborts the paste prompt once the browser returns', async () => {
    let promptSignal: AbortSignal | undefined;
    const flow = startFlow({
      readPastedUrl: (signal) => {
        promptSignal = signal;
        return new Promise<string>(() => undefined);
      },
    });
    const url = await flow.authorizationUrl;

    await redirect(url, (state) => `code=CODE&state=${state}`);
    await flow.tokens;

    expect(promptSignal?.aborted).toBe(true);
  });

  it('logs when the browser cannot be opened', async () => {
    const flow = startFlow({
      openBrowser: async () => {
        throw new Error('no display');
      },
      timeoutSeconds: 1,
      sleep: async () => {
        await new Promise((resolve) => setImmediate(resolve));
      },
      clock: (() => {
        let now = 0;
        return { now: () => (now += 500) };
      })(),
    });

    await expect(flow.tokens).rejects.toThrow('No authorization response');
    expect(flow.lines).toContain('Could not open a browser (no display); open the URL above yourself.');
  });

  it('listens on a pinned redirect URI', async () => {
    const port = await unusedPort();
    const pinned = `http://127.0.0.1:${port}/oauth/callback`;
    const flow = startFlow({ config: config({ redirectUri: pinned }) });
    const url = await flow.authorizationUrl;

    const page = await redirect(url, (state) => `code=CODE&state=${state}`);
    await flow.tokens;

    expect(url.searchParams.get('redirect_uri')).toBe(pinned);
    expect(page.status).toBe(200);
    expect(new URLSearchParams(flow.requests[0]?.body).get('redirect_uri')).toBe(pinned);
  });

  it('names a pinned port already in use', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no port');

    const flow = startFlow({ config: config({ redirectUri: `http://127.0.0.1:${address.port}/callback` }) });

    await expect(flow.tokens).rejects.toBeInstanceOf(OperationError);
    await expect(flow.tokens).rejects.toThrow(`Port ${address.port} on 127.0.0.1 is already in use`);
    await new Promise((resolve) => blocker.close(resolve));
  });

  it('rejects an invalid authorizationUrl and closes the server', async () => {
    const port = await unusedPort();
    const flow = startFlow({ config: config({ authorizationUrl: 'accounts.zylker.example/auth', redirectUri: `http://127.0.0.1:${port}/cb` }) });

    await expect(flow.tokens).rejects.toBeInstanceOf(UsageError);
    await expect(fetch(`http://127.0.0.1:${port}/cb`)).rejects.toThrow();
  });

  it('rejects a connector without authorizationUrl', async () => {
    const flow = startFlow({ config: config({ authorizationUrl: undefined }) });

    await expect(flow.tokens).rejects.toBeInstanceOf(UsageError);
    await expect(flow.tokens).rejects.toThrow('auth.authorizationUrl');
  });
});

describe('loopbackRedirect', () => {
  it('uses an ephemeral port and a per-connector path', () => {
    expect(loopbackRedirect(undefined, 'zylker_files')).toEqual({ port: 0, path: '/callback/zylker_files' });
  });

  it('reads a pinned port and path', () => {
    expect(loopbackRedirect('http://127.0.0.1:8765/callback', 'x')).toEqual({
      port: 8765,
      path: '/callback',
      pinnedUri: 'http://127.0.0.1:8765/callback',
    });
  });

  it('rejects localhost with a fix', () => {
    const attempt = (): unknown => loopbackRedirect('http://localhost:8765/callback', 'x');

    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow('use 127.0.0.1 instead of localhost');
  });

  it('rejects other hosts, https, queries and fragments', () => {
    for (const uri of [
      'http://192.168.1.5:8765/callback',
      'https://127.0.0.1:8765/callback',
      'http://127.0.0.1:8765/callback?x=1',
      'http://127.0.0.1:8765/callback#top',
      'not a url',
    ]) {
      expect(() => loopbackRedirect(uri, 'x'), uri).toThrow(UsageError);
    }
  });
});

describe('buildAuthorizationUrl', () => {
  const base = {
    authorizationUrl: 'https://accounts.zylker.example/auth?prompt=consent',
    clientId: 'id',
    redirectUri: 'http://127.0.0.1:1234/callback/x',
    state: 'STATE',
  };

  it('keeps existing parameters and adds extra ones without overriding state', () => {
    const url = new URL(
      buildAuthorizationUrl({
        ...base,
        scopes: ['a'],
        scopeDelimiter: 'comma',
        extraParams: { access_type: 'offline', state: 'attacker' },
      }),
    );

    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('state')).toBe('STATE');
    expect(url.searchParams.getAll('state')).toHaveLength(1);
  });

  it('encodes space-delimited scopes with %20', () => {
    const url = buildAuthorizationUrl({ ...base, scopes: ['openid', 'email'], scopeDelimiter: 'space' });

    expect(url).toContain('scope=openid%20email');
    expect(new URL(url).searchParams.get('scope')).toBe('openid email');
  });

  it('writes plus-delimited scopes with a literal plus', () => {
    const url = buildAuthorizationUrl({ ...base, scopes: ['a.read', 'a.write'], scopeDelimiter: 'plus' });

    expect(url).toContain('scope=a.read+a.write');
  });

  it('encodes comma-delimited scopes', () => {
    const url = buildAuthorizationUrl({ ...base, scopes: ['repo', 'gist'], scopeDelimiter: 'comma' });

    expect(new URL(url).searchParams.get('scope')).toBe('repo,gist');
  });

  it('leaves out scope when there are none', () => {
    const url = new URL(buildAuthorizationUrl({ ...base, scopes: [], scopeDelimiter: 'comma' }));

    expect(url.searchParams.has('scope')).toBe(false);
  });

  it('rejects an invalid authorization URL', () => {
    expect(() => buildAuthorizationUrl({ ...base, authorizationUrl: 'accounts.zylker.example/auth', scopes: [], scopeDelimiter: 'comma' })).toThrow(
      UsageError,
    );
  });
});
