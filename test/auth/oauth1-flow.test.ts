import { generateKeyPairSync } from 'node:crypto';

import { afterEach, describe, expect, it } from 'vitest';

import { AuthorizationError, InterruptedError, OperationError, UsageError } from '../../src/cli/errors.js';
import type { OAuth1Auth, SignatureMethod } from '../../src/definition/types.js';
import { authorizeOAuth1, type OAuth1FlowOptions } from '../../src/auth/oauth1/flow.js';
import {
  actAsUser,
  startOAuth1Provider,
  type OAuth1Provider,
  type OAuth1ProviderOptions,
  type UserVisit,
} from '../support/oauth1-provider.js';

const rsaKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPrivateKeyPem = rsaKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const realClock = { now: () => Date.now() };

let provider: OAuth1Provider | undefined;

afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

async function startProvider(options: OAuth1ProviderOptions = {}): Promise<OAuth1Provider> {
  provider = await startOAuth1Provider({ rsaPublicKey: rsaKeys.publicKey, ...options });
  return provider;
}

function authFor(started: OAuth1Provider, signatureMethod: SignatureMethod = 'HMAC-SHA1'): OAuth1Auth {
  return {
    type: 'oauth1',
    consumerKey: started.consumer.key,
    consumerSecret: signatureMethod === 'RSA-SHA1' ? 'file:consumer-key.pem' : 'env:CONSUMER_SECRET',
    requestTokenUrl: started.urls.requestToken,
    authorizationUrl: started.urls.authorize,
    accessTokenUrl: started.urls.accessToken,
    signatureMethod,
  };
}

/** Options for a flow whose "browser" is `browse`, called with the authorization URL. */
function flowOptions(
  started: OAuth1Provider,
  browse: (url: string) => Promise<unknown>,
  overrides: Partial<OAuth1FlowOptions> = {},
): { options: OAuth1FlowOptions; logs: string[]; visits: Array<Promise<unknown>> } {
  const logs: string[] = [];
  const visits: Array<Promise<unknown>> = [];
  const signatureMethod = overrides.auth?.signatureMethod ?? 'HMAC-SHA1';
  const options: OAuth1FlowOptions = {
    auth: authFor(started, signatureMethod),
    consumerSecret: started.consumer.secret,
    rsaPrivateKey: rsaPrivateKeyPem,
    fetch: globalThis.fetch,
    openBrowser: async (url) => {
      visits.push(browse(url));
    },
    clock: realClock,
    log: (line) => logs.push(line),
    ...overrides,
  };
  return { options, logs, visits };
}

function redirectUriFrom(authorizationUrl: string, started: OAuth1Provider): string {
  const callback = started.requests.find((request) => request.path === '/oauth/request_token')?.protocolParameters.oauth_callback;
  if (callback === undefined || !authorizationUrl.includes('oauth_token=')) throw new Error('no temporary credentials request was seen');
  return callback;
}

describe('authorizeOAuth1', () => {
  it.each<SignatureMethod>(['HMAC-SHA1', 'HMAC-SHA256', 'PLAINTEXT', 'RSA-SHA1'])('completes with %s', async (method) => {
    const started = await startProvider();
    const { options } = flowOptions(started, (url) => actAsUser(url, 'allow'), { auth: authFor(started, method) });

    const credentials = await authorizeOAuth1(options);

    expect(credentials.token).toMatch(/^at_/);
    expect(credentials.tokenSecret).not.toBe('');
    expect(credentials.extra).toEqual({ user_id: '6253282', screen_name: 'zylker_tester' });
    expect(started.requests.map((request) => request.protocolParameters.oauth_signature_method)).toEqual([method, method]);
    expect(started.requests.every((request) => request.problem === '')).toBe(true);
  });

  it('shows the success page in the browser', async () => {
    const started = await startProvider();
    const { options, visits } = flowOptions(started, (url) => actAsUser(url, 'allow'));

    await authorizeOAuth1(options);
    const visit = (await visits[0]) as UserVisit;

    expect(visit.status).toBe(200);
    expect(visit.page).toContain('Connected');
  });

  it('sends the loopback redirect URI as oauth_callback', async () => {
    const started = await startProvider();
    const { options } = flowOptions(started, (url) => actAsUser(url, 'allow'));

    await authorizeOAuth1(options);
    const callback = started.requests[0]?.protocolParameters.oauth_callback ?? '';

    expect(callback).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  });

  it('signs the verifier into the token credentials request', async () => {
    const started = await startProvider();
    const { options } = flowOptions(started, (url) => actAsUser(url, 'allow'));

    await authorizeOAuth1(options);
    const tokenRequest = started.requests.find((request) => request.path === '/oauth/access_token');

    expect(tokenRequest?.protocolParameters.oauth_verifier).toMatch(/^[0-9a-f]{20}$/);
  });

  it('logs the authorization URL', async () => {
    const started = await startProvider();
    const { options, logs } = flowOptions(started, (url) => actAsUser(url, 'allow'));

    await authorizeOAuth1(options);

    expect(logs.some((line) => line.includes(`${started.urls.authorize}?oauth_token=tt_`))).toBe(true);
  });

  it('never logs a secret', async () => {
    const started = await startProvider();
    const { options, logs } = flowOptions(started, (url) => actAsUser(url, 'allow'));

    const credentials = await authorizeOAuth1(options);

    expect(logs.join('\n')).not.toContain(credentials.tokenSecret);
    expect(logs.join('\n')).not.toContain(started.consumer.secret);
  });

  it('reads JSON credentials responses', async () => {
    const started = await startProvider({ responseFormat: 'json' });
    const { options } = flowOptions(started, (url) => actAsUser(url, 'allow'));

    const credentials = await authorizeOAuth1(options);

    expect(credentials.extra.screen_name).toBe('zylker_tester');
  });

  it('rejects a denial', async () => {
    const started = await startProvider();
    const { options } = flowOptions(started, (url) => actAsUser(url, 'deny'));

    await expect(authorizeOAuth1(options)).rejects.toThrow(AuthorizationError);
  });

  it('shows the denial in the browser', async () => {
    const started = await startProvider();
    const { options, visits } = flowOptions(started, (url) => actAsUser(url, 'deny'));

    await expect(authorizeOAuth1(options)).rejects.toThrow(/denied/);
    const visit = (await visits[0]) as UserVisit;

    expect(visit.status).toBe(400);
    expect(visit.page).toContain('Access denied');
  });

  it('sends no token request after a denial', async () => {
    const started = await startProvider();
    const { options } = flowOptions(started, (url) => actAsUser(url, 'deny'));

    await expect(authorizeOAuth1(options)).rejects.toThrow(AuthorizationError);

    expect(started.requests.map((request) => request.path)).toEqual(['/oauth/request_token']);
  });

  it('rejects a missing callback confirmation', async () => {
    const started = await startProvider({ confirmCallback: false });
    const { options, visits } = flowOptions(started, (url) => actAsUser(url, 'allow'));

    const flow = authorizeOAuth1(options);

    await expect(flow).rejects.toThrow(OperationError);
    await expect(flow).rejects.toThrow(/oauth_callback_confirmed=true/);
    expect(visits).toHaveLength(0);
  });

  it('rejects a redirect for other temporary credentials', async () => {
    const started = await startProvider();
    const { options, visits } = flowOptions(started, async (url) => {
      const forged = new URL(redirectUriFrom(url, started));
      forged.searchParams.set('oauth_token', 'tt_someone_else');
      forged.searchParams.set('oauth_verifier', 'abc');
      return fetch(forged);
    });

    await expect(authorizeOAuth1(options)).rejects.toThrow(/does not match the temporary credentials/);
    const response = (await visits[0]) as Response;

    expect(response.status).toBe(400);
    expect(started.requests.map((request) => request.path)).toEqual(['/oauth/request_token']);
  });

  it('rejects oauth_token given twice', async () => {
    const started = await startProvider();
    const { options } = flowOptions(started, async (url) => {
      const token = new URL(url).searchParams.get('oauth_token') ?? '';
      const forged = new URL(redirectUriFrom(url, started));
      forged.search = `oauth_token=${token}&oauth_token=tt_other&oauth_verifier=abc`;
      return fetch(forged);
    });

    await expect(authorizeOAuth1(options)).rejects.toThrow(/does not match the temporary credentials/);
    expect(started.requests.map((request) => request.path)).toEqual(['/oauth/request_token']);
  });

  it('rejects a redirect without a verifier', async () => {
    const started = await startProvider();
    const { options } = flowOptions(started, async (url) => {
      const forged = new URL(redirectUriFrom(url, started));
      forged.searchParams.set('oauth_token', new URL(url).searchParams.get('oauth_token') ?? '');
      return fetch(forged);
    });

    await expect(authorizeOAuth1(options)).rejects.toThrow(/oauth_verifier/);
  });

  it('keeps waiting after a request without parameters', async () => {
    const started = await startProvider();
    const { options, visits } = flowOptions(started, async (url) => {
      const empty = await fetch(redirectUriFrom(url, started));
      await actAsUser(url, 'allow');
      return empty.status;
    });

    const credentials = await authorizeOAuth1(options);

    expect(credentials.token).toMatch(/^at_/);
    expect(await visits[0]).toBe(400);
  });

  it('names the problem for a wrong consumer secret', async () => {
    const started = await startProvider();
    const { options } = flowOptions(started, (url) => actAsUser(url, 'allow'), { consumerSecret: 'wrong-secret' });

    const flow = authorizeOAuth1(options);

    await expect(flow).rejects.toThrow(AuthorizationError);
    await expect(flow).rejects.toThrow(/HTTP 401 \(oauth_problem=signature_invalid\)/);
  });

  it('keeps the consumer secret out of errors', async () => {
    const started = await startProvider();
    const { options } = flowOptions(started, (url) => actAsUser(url, 'allow'), { consumerSecret: 'wrong-secret' });

    const error: unknown = await authorizeOAuth1(options).catch((caught: unknown) => caught);

    expect(String(error)).not.toContain('wrong-secret');
    expect((error as AuthorizationError).hint).toContain('consumer secret');
  });

  it('names a refused timestamp', async () => {
    const started = await startProvider();
    const oneHourAgo = { now: () => Date.now() - 3_600_000 };
    const { options } = flowOptions(started, (url) => actAsUser(url, 'allow'), { clock: oneHourAgo });

    const error = (await authorizeOAuth1(options).catch((caught: unknown) => caught)) as AuthorizationError;

    expect(error.message).toContain('timestamp_refused');
    expect(error.hint).toContain('clock');
  });

  it('completes from the logged URL without a browser', async () => {
    const started = await startProvider();
    const visits: Array<Promise<UserVisit>> = [];
    const { options } = flowOptions(started, () => Promise.resolve(), {
      openBrowser: undefined,
      log: (line) => {
        const url = /https?:\/\/\S+oauth_token=\S+/.exec(line)?.[0];
        if (url !== undefined) visits.push(actAsUser(url, 'allow'));
      },
    });

    const credentials = await authorizeOAuth1(options);

    expect(credentials.token).toMatch(/^at_/);
    expect(visits).toHaveLength(1);
  });

  it('continues when the browser cannot be opened', async () => {
    const started = await startProvider();
    const logs: string[] = [];
    const { options } = flowOptions(started, () => Promise.resolve(), {
      openBrowser: () => Promise.reject(new Error('no display')),
      readPastedUrl: async () => {
        const url = logs.map((line) => /https?:\/\/\S+oauth_token=\S+/.exec(line)?.[0]).find(Boolean);
        return url === undefined ? undefined : (await actAsUser(url, 'allow', { followRedirect: false })).location;
      },
      log: (line) => logs.push(line),
    });

    const credentials = await authorizeOAuth1(options);

    expect(credentials.token).toMatch(/^at_/);
    expect(logs).toContain('The browser could not be opened (no display). Open the URL above yourself.');
  });

  it('accepts a pasted URL after a wrong one', async () => {
    const started = await startProvider();
    const logs: string[] = [];
    const pasted: string[] = [];
    const { options } = flowOptions(started, () => Promise.resolve(), {
      openBrowser: undefined,
      log: (line) => logs.push(line),
      readPastedUrl: async () => {
        if (pasted.length === 0) {
          pasted.push('http://127.0.0.1:1/elsewhere?oauth_token=x');
          return pasted[0];
        }
        const url = logs.map((line) => /https?:\/\/\S+oauth_token=\S+/.exec(line)?.[0]).find(Boolean) ?? '';
        const visit = await actAsUser(url, 'allow', { followRedirect: false });
        pasted.push(visit.location);
        return visit.location;
      },
    });

    const credentials = await authorizeOAuth1(options);

    expect(credentials.token).toMatch(/^at_/);
    expect(logs.some((line) => line.startsWith('The pasted URL does not start with the redirect URI'))).toBe(true);
  });

  it('ends when reading a paste fails', async () => {
    const started = await startProvider();
    const { options } = flowOptions(started, () => Promise.resolve(), {
      readPastedUrl: () => Promise.reject(new InterruptedError()),
    });

    await expect(authorizeOAuth1(options)).rejects.toThrow(InterruptedError);
  });

  it('rejects a pasted denial', async () => {
    const started = await startProvider();
    const logs: string[] = [];
    const { options } = flowOptions(started, () => Promise.resolve(), {
      openBrowser: undefined,
      log: (line) => logs.push(line),
      readPastedUrl: async () => {
        const url = logs.map((line) => /https?:\/\/\S+oauth_token=\S+/.exec(line)?.[0]).find(Boolean) ?? '';
        return (await actAsUser(url, 'deny', { followRedirect: false })).location;
      },
    });

    await expect(authorizeOAuth1(options)).rejects.toThrow(/denied/);
  });

  it('times out without a redirect', async () => {
    const started = await startProvider();
    let now = Date.now();
    const { options } = flowOptions(started, () => Promise.resolve(), {
      clock: { now: () => now },
      sleep: async (ms) => {
        now += ms;
      },
    });

    const flow = authorizeOAuth1(options);

    await expect(flow).rejects.toThrow(OperationError);
    await expect(flow).rejects.toThrow('No authorization response arrived within 300 seconds.');
  });

  it('rejects an invalid timeout', async () => {
    const started = await startProvider();
    const { options } = flowOptions(started, () => Promise.resolve(), { timeoutSeconds: 0 });

    await expect(authorizeOAuth1(options)).rejects.toThrow(UsageError);
    expect(started.requests).toHaveLength(0);
  });

  it('counts down each second', async () => {
    const started = await startProvider();
    let now = Date.now();
    let authorizationUrl = '';
    let sleeps = 0;
    const ticks: number[] = [];
    const { options } = flowOptions(
      started,
      async (url) => {
        authorizationUrl = url;
      },
      {
        clock: { now: () => now },
        onTick: (secondsLeft) => ticks.push(secondsLeft),
        // Two seconds pass; on the third wait the user approves, and the wait lasts until the flow ends.
        sleep: (ms, signal) => {
          now += ms;
          sleeps += 1;
          if (sleeps <= 2) return Promise.resolve();
          if (sleeps === 3) void actAsUser(authorizationUrl, 'allow');
          return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('stopped'))));
        },
      },
    );

    await authorizeOAuth1(options);

    expect(ticks).toEqual([300, 299, 298]);
  });

  it('stops on abort', async () => {
    const started = await startProvider();
    const controller = new AbortController();
    const { options } = flowOptions(started, async () => controller.abort(), { signal: controller.signal });

    await expect(authorizeOAuth1(options)).rejects.toThrow(InterruptedError);
  });

  it('closes the redirect server after a failure', async () => {
    const started = await startProvider({ confirmCallback: false });
    const { options } = flowOptions(started, () => Promise.resolve());

    await expect(authorizeOAuth1(options)).rejects.toThrow(OperationError);
    const callback = started.requests[0]?.protocolParameters.oauth_callback ?? '';

    await expect(fetch(callback)).rejects.toThrow(/fetch failed/);
  });

  it('rejects RSA-SHA1 without a private key', async () => {
    const started = await startProvider();
    const { options } = flowOptions(started, (url) => actAsUser(url, 'allow'), {
      auth: authFor(started, 'RSA-SHA1'),
      rsaPrivateKey: undefined,
    });

    await expect(authorizeOAuth1(options)).rejects.toThrow(/RSA private key is missing/);
  });
});
