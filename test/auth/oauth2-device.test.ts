import { describe, expect, it } from 'vitest';

import { AuthorizationError, InterruptedError, OperationError, UsageError } from '../../src/cli/errors.js';
import type { OAuth2Auth } from '../../src/definition/types.js';
import type { OAuth2Config } from '../../src/auth/oauth2/config.js';
import { authorizeWithDeviceCode, type DeviceFlowOptions } from '../../src/auth/oauth2/device.js';

// Reserved .example names: the fake fetch answers for them, so nothing is sent anywhere.
const DEVICE_URL = 'https://accounts.zylker.example/oauth/v2/device';
const TOKEN_URL = 'https://accounts.zylker.example/oauth/v2/token';

function config(overrides: Partial<OAuth2Auth> = {}): OAuth2Config {
  return {
    auth: {
      type: 'oauth2',
      grantType: 'deviceCode',
      clientId: 'device-client',
      deviceAuthorizationUrl: DEVICE_URL,
      tokenUrl: TOKEN_URL,
      bearerName: 'Bearer',
      expiresIn: 3600,
      pkce: true,
      clientAuthentication: 'body',
      tokenRequestFormat: 'form',
      ...overrides,
    },
    scopes: ['files.read', 'files.write'],
    scopeDelimiter: 'space',
  };
}

const DEVICE_RESPONSE = {
  device_code: 'DEVICE',
  user_code: 'WDJB-MJHT',
  verification_uri: 'https://accounts.zylker.example/device',
  verification_uri_complete: 'https://accounts.zylker.example/device?user_code=WDJB-MJHT',
  expires_in: 600,
  interval: 5,
};

type Reply = Response | (() => Response);

interface Harness {
  options: DeviceFlowOptions;
  lines: string[];
  sleeps: number[];
  tokenRequests: URLSearchParams[];
  deviceRequests: URLSearchParams[];
}

/** Returns `device` for the device authorization request, then the next reply for each poll. */
function harness(polls: Reply[], device: Response = Response.json(DEVICE_RESPONSE), overrides: Partial<DeviceFlowOptions> = {}): Harness {
  const lines: string[] = [];
  const sleeps: number[] = [];
  const tokenRequests: URLSearchParams[] = [];
  const deviceRequests: URLSearchParams[] = [];
  let now = 0;

  const fakeFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const body = new URLSearchParams(await request.text());
    if (request.url === DEVICE_URL) {
      deviceRequests.push(body);
      return device;
    }
    tokenRequests.push(body);
    const reply = polls.shift();
    if (reply === undefined) throw new Error('more polls than the test expected');
    return typeof reply === 'function' ? reply() : reply;
  };

  return {
    options: {
      config: config(),
      fetch: fakeFetch,
      log: (line) => lines.push(line),
      clock: { now: () => now },
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
      ...overrides,
    },
    lines,
    sleeps,
    tokenRequests,
    deviceRequests,
  };
}

const pending = (): Response => Response.json({ error: 'authorization_pending' }, { status: 400 });
const slowDown = (): Response => Response.json({ error: 'slow_down' }, { status: 400 });
const granted = (): Response => Response.json({ access_token: 'AT', token_type: 'Bearer', expires_in: 3600, refresh_token: 'RT' });

describe('authorizeWithDeviceCode', () => {
  it('shows the code and polls until approval', async () => {
    const test = harness([pending(), pending(), granted()]);

    const tokens = await authorizeWithDeviceCode(test.options);

    expect(tokens.accessToken).toBe('AT');
    expect(tokens.refreshToken).toBe('RT');
    expect(test.sleeps).toEqual([5000, 5000, 5000]);
    expect(test.lines[0]).toBe('To authorize the connection, open https://accounts.zylker.example/device and enter the code: WDJB-MJHT');
    expect(test.lines[1]).toBe('Or open this URL, which includes the code: https://accounts.zylker.example/device?user_code=WDJB-MJHT');
    expect(test.lines[2]).toBe('The code expires in about 10 minutes. Waiting for approval...');
  });

  it('sends the device and token requests', async () => {
    const test = harness([granted()]);

    await authorizeWithDeviceCode(test.options);

    expect(test.deviceRequests[0]?.get('client_id')).toBe('device-client');
    expect(test.deviceRequests[0]?.get('scope')).toBe('files.read files.write');
    expect(test.tokenRequests[0]?.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:device_code');
    expect(test.tokenRequests[0]?.get('device_code')).toBe('DEVICE');
    expect(test.tokenRequests[0]?.get('client_id')).toBe('device-client');
  });

  it('adds 5 seconds to the interval on each slow_down', async () => {
    const test = harness([slowDown(), pending(), slowDown(), granted()]);

    await authorizeWithDeviceCode(test.options);

    expect(test.sleeps).toEqual([5000, 10000, 10000, 15000]);
  });

  it('uses a 5-second interval when none is given', async () => {
    const { interval: _interval, ...withoutInterval } = DEVICE_RESPONSE;
    const test = harness([granted()], Response.json(withoutInterval));

    await authorizeWithDeviceCode(test.options);

    expect(test.sleeps).toEqual([5000]);
  });

  it('follows the provider interval', async () => {
    const test = harness([pending(), granted()], Response.json({ ...DEVICE_RESPONSE, interval: '8' }));

    await authorizeWithDeviceCode(test.options);

    expect(test.sleeps).toEqual([8000, 8000]);
  });

  it('stops on access_denied', async () => {
    const test = harness([pending(), Response.json({ error: 'access_denied' }, { status: 400 })]);

    const flow = authorizeWithDeviceCode(test.options);

    await expect(flow).rejects.toBeInstanceOf(AuthorizationError);
    await expect(flow).rejects.toThrow('Access was denied');
  });

  it('stops on expired_token', async () => {
    const test = harness([Response.json({ error: 'expired_token' }, { status: 400 })]);

    const flow = authorizeWithDeviceCode(test.options);

    await expect(flow).rejects.toBeInstanceOf(AuthorizationError);
    await expect(flow).rejects.toThrow('The device code expired before access was approved (it was valid for 600 seconds).');
  });

  it('stops once expires_in has passed', async () => {
    const test = harness(
      Array.from({ length: 3 }, pending),
      Response.json({ ...DEVICE_RESPONSE, expires_in: 15 }),
    );

    const flow = authorizeWithDeviceCode(test.options);

    await expect(flow).rejects.toThrow('The device code expired');
    expect(test.tokenRequests).toHaveLength(2);
    expect(test.sleeps).toEqual([5000, 5000, 5000]);
  });

  it('raises other token errors', async () => {
    const test = harness([Response.json({ error: 'invalid_client' }, { status: 401 })]);

    const flow = authorizeWithDeviceCode(test.options);

    await expect(flow).rejects.toBeInstanceOf(AuthorizationError);
    await expect(flow).rejects.toThrow('returned error "invalid_client" (HTTP 401)');
  });

  it('doubles the interval after a timed-out poll', async () => {
    const timedOut = (): Response => {
      throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) });
    };
    const test = harness([timedOut, granted()]);

    await authorizeWithDeviceCode(test.options);

    expect(test.sleeps).toEqual([5000, 10000]);
    expect(test.lines.some((line) => line.endsWith('Retrying in 10 seconds.'))).toBe(true);
  });

  it('raises a refused poll at once', async () => {
    const refused = (): Response => {
      throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    };
    const test = harness([refused]);

    await expect(authorizeWithDeviceCode(test.options)).rejects.toThrow('the connection was refused');
  });

  it('stops with InterruptedError when aborted while waiting', async () => {
    const controller = new AbortController();
    const test = harness([pending()], undefined, {
      sleep: async (_ms, signal) => {
        controller.abort();
        signal?.throwIfAborted();
      },
    });
    test.options.signal = controller.signal;

    await expect(authorizeWithDeviceCode(test.options)).rejects.toBeInstanceOf(InterruptedError);
  });

  it('opens the complete verification URI when asked', async () => {
    const opened: string[] = [];
    const test = harness([granted()], undefined, { openBrowser: async (url) => void opened.push(url) });

    await authorizeWithDeviceCode(test.options);

    expect(opened).toEqual([DEVICE_RESPONSE.verification_uri_complete]);
  });

  it('accepts verification_url and numbers as strings', async () => {
    const test = harness(
      [granted()],
      Response.json({ device_code: 'D', user_code: 'U', verification_url: 'https://accounts.zylker.example/device', expires_in: '1800', interval: '5' }),
    );

    await authorizeWithDeviceCode(test.options);

    expect(test.lines[0]).toBe('To authorize the connection, open https://accounts.zylker.example/device and enter the code: U');
    expect(test.lines[1]).toBe('The code expires in about 30 minutes. Waiting for approval...');
  });

  it('accepts a form-encoded device response', async () => {
    const form = 'device_code=D&user_code=U&verification_uri=https%3A%2F%2Faccounts.zylker.example%2Fdevice&expires_in=900&interval=5';
    const test = harness([granted()], new Response(form, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }));

    await authorizeWithDeviceCode(test.options);

    expect(test.lines[0]).toContain('enter the code: U');
  });

  it('rejects a device response without a user code', async () => {
    const test = harness([], Response.json({ device_code: 'D', verification_uri: 'https://accounts.zylker.example/device' }));

    const flow = authorizeWithDeviceCode(test.options);

    await expect(flow).rejects.toBeInstanceOf(OperationError);
    await expect(flow).rejects.toThrow(`The device authorization endpoint ${DEVICE_URL} returned a response without device_code, user_code or verification_uri (HTTP 200).`);
  });

  it('reports a device authorization error', async () => {
    const test = harness([], Response.json({ error: 'invalid_client', error_description: 'Unknown client' }, { status: 401 }));

    const flow = authorizeWithDeviceCode(test.options);

    await expect(flow).rejects.toBeInstanceOf(AuthorizationError);
    await expect(flow).rejects.toThrow('returned error "invalid_client" (HTTP 401): Unknown client.');
  });

  it('reports an HTML device authorization page', async () => {
    const test = harness([], new Response('<html><body>Oops</body></html>', { status: 502, headers: { 'Content-Type': 'text/html' } }));

    await expect(authorizeWithDeviceCode(test.options)).rejects.toThrow('did not return a device authorization response: "Oops" (HTTP 502)');
  });

  it('requires deviceAuthorizationUrl', async () => {
    const test = harness([]);
    test.options.config = config({ deviceAuthorizationUrl: undefined });

    await expect(authorizeWithDeviceCode(test.options)).rejects.toBeInstanceOf(UsageError);
  });
});
