/** The device authorization grant (RFC 8628): the user approves on another device while this one polls. */
import type { Clock, OpenBrowser } from '../../cli/deps.js';
import { AuthorizationError, OperationError } from '../../cli/errors.js';
import { HttpRequestError, abortError, httpPost, snippet, type TextResponse } from '../http.js';
import { applyClientAuthentication } from './client-auth.js';
import { joinScopes, requireUrl, type HttpContext, type OAuth2Config } from './config.js';
import { clientOf, requestToken } from './token-request.js';
import { cleanProviderText, tokenError, type TokenSuccess } from './token-response.js';
import { realSleep, type Sleep } from './wait.js';

/** Seconds between polls when the provider names no interval (RFC 8628 section 3.2). */
export const DEFAULT_POLL_INTERVAL_SECONDS = 5;

/** Seconds added to the interval on each `slow_down` (RFC 8628 section 3.5). */
const SLOW_DOWN_STEP_SECONDS = 5;

/** The device authorization response (RFC 8628 section 3.2). */
export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string | null;
  expiresInSeconds: number;
  intervalSeconds: number;
}

export interface DeviceFlowOptions extends HttpContext {
  config: OAuth2Config;
  /** Writes one line to stderr; the user code and verification URI are written here. */
  log(line: string): void;
  /** When present, opens the verification URI (the complete one when the provider sends it). */
  openBrowser?: OpenBrowser;
  clock?: Clock;
  sleep?: Sleep;
}

/**
 * Runs the device authorization grant: requests a device code, shows the user code and the
 * verification URI, and polls the token endpoint until the user approves. Raises
 * AuthorizationError when the user denies access or the device code expires, OperationError
 * for network failures and unreadable responses, and InterruptedError on abort.
 */
export async function authorizeWithDeviceCode(options: DeviceFlowOptions): Promise<TokenSuccess> {
  const device = await requestDeviceAuthorization(options.config, options);
  showUserCode(device, options);
  return pollForToken(device, options);
}

/** Sends the device authorization request and parses its response. */
export async function requestDeviceAuthorization(config: OAuth2Config, context: HttpContext): Promise<DeviceAuthorization> {
  const url = requireUrl(config, 'deviceAuthorizationUrl');
  const params: Record<string, string> = {};
  if (config.scopes.length > 0) params.scope = joinScopes(config.scopes, config.scopeDelimiter, 'form');
  const headers: Record<string, string> = { Accept: 'application/json' };
  applyClientAuthentication(clientOf(config), { params, headers });

  const response = await httpPost({
    fetch: context.fetch,
    url,
    body: { form: params },
    headers,
    ...(context.timeoutMs === undefined ? {} : { timeoutMs: context.timeoutMs }),
    ...(context.signal === undefined ? {} : { signal: context.signal }),
  });
  return parseDeviceAuthorization(response);
}

/**
 * Polls the token endpoint (RFC 8628 section 3.4 and 3.5): `authorization_pending` waits
 * another interval, `slow_down` adds 5 seconds to it, `access_denied` and `expired_token` end
 * the flow, and so does the device code's `expires_in` passing. A request that times out
 * doubles the interval before the next try, as section 3.5 advises.
 */
export async function pollForToken(device: DeviceAuthorization, options: DeviceFlowOptions): Promise<TokenSuccess> {
  const clock = options.clock ?? Date;
  const sleep = options.sleep ?? realSleep;
  const deadline = clock.now() + device.expiresInSeconds * 1000;
  let intervalSeconds = device.intervalSeconds;

  for (;;) {
    try {
      await sleep(intervalSeconds * 1000, options.signal);
    } catch (error) {
      if (options.signal?.aborted === true) throw abortError(options.signal);
      throw error;
    }
    if (clock.now() >= deadline) throw expired(device);

    let response;
    try {
      response = await requestToken(
        options.config,
        { params: { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.deviceCode } },
        options,
      );
    } catch (error) {
      if (!(error instanceof HttpRequestError) || !error.timedOut) throw error;
      intervalSeconds *= 2;
      options.log(`${error.message} Retrying in ${intervalSeconds} seconds.`);
      continue;
    }

    if (response.ok) return response;

    switch (response.error) {
      case 'authorization_pending':
        continue;
      case 'slow_down':
        intervalSeconds += SLOW_DOWN_STEP_SECONDS;
        continue;
      case 'access_denied':
        throw new AuthorizationError('Access was denied: the user declined the device authorization request.', {
          hint: 'Run connector connect again and approve access on the verification page.',
        });
      case 'expired_token':
        throw expired(device);
      default:
        throw tokenError(response);
    }
  }
}

function expired(device: DeviceAuthorization): AuthorizationError {
  return new AuthorizationError(`The device code expired before access was approved (it was valid for ${device.expiresInSeconds} seconds).`, {
    hint: 'Run connector connect again and enter the new code sooner.',
  });
}

function showUserCode(device: DeviceAuthorization, options: DeviceFlowOptions): void {
  const minutes = Math.max(1, Math.round(device.expiresInSeconds / 60));
  options.log(`To authorize the connection, open ${device.verificationUri} and enter the code: ${device.userCode}`);
  if (device.verificationUriComplete !== null) {
    options.log(`Or open this URL, which includes the code: ${device.verificationUriComplete}`);
  }
  options.log(`The code expires in about ${minutes} minute${minutes === 1 ? '' : 's'}. Waiting for approval...`);

  const openBrowser = options.openBrowser;
  if (openBrowser === undefined) return;
  const target = device.verificationUriComplete ?? device.verificationUri;
  void (async () => {
    try {
      await openBrowser(target);
    } catch (error) {
      options.log(`Could not open a browser (${error instanceof Error ? error.message : String(error)}); open the URL above yourself.`);
    }
  })();
}

/**
 * Reads the device authorization response. Besides RFC 8628 JSON, it accepts form bodies,
 * numbers given as strings, and `verification_url` for `verification_uri`, which Login with
 * Amazon documents.
 */
export function parseDeviceAuthorization(response: TextResponse): DeviceAuthorization {
  const fields = readFields(response.text);
  const failure = (what: string): OperationError =>
    new OperationError(`The device authorization endpoint ${response.url} ${what} (HTTP ${response.status}).`);

  if (fields === undefined) {
    const excerpt = snippet(response.text, 80);
    throw failure(`did not return a device authorization response${excerpt === '' ? '' : `: "${excerpt}"`}`);
  }

  const error = typeof fields.error === 'string' ? fields.error : undefined;
  if (error !== undefined || response.status < 200 || response.status >= 300) {
    const code = cleanProviderText(error ?? 'no error code', 100);
    const description = typeof fields.error_description === 'string' ? `: ${cleanProviderText(fields.error_description)}` : '';
    if (response.status >= 500) throw failure(`returned error "${code}"${description}`);
    throw new AuthorizationError(
      `The device authorization endpoint ${response.url} returned error "${code}" (HTTP ${response.status})${description}.`,
    );
  }

  const deviceCode = text(fields.device_code);
  const userCode = text(fields.user_code);
  const verificationUri = text(fields.verification_uri) ?? text(fields.verification_url);
  if (deviceCode === undefined || userCode === undefined || verificationUri === undefined) {
    throw failure('returned a response without device_code, user_code or verification_uri');
  }

  return {
    deviceCode,
    userCode: cleanProviderText(userCode, 64),
    verificationUri: cleanProviderText(verificationUri, 500),
    verificationUriComplete: optionalText(fields.verification_uri_complete),
    // NOTE: RFC 8628 requires expires_in, so the 30 minutes assumed without it is a guess.
    expiresInSeconds: positiveNumber(fields.expires_in) ?? 1800,
    intervalSeconds: positiveNumber(fields.interval) ?? DEFAULT_POLL_INTERVAL_SECONDS,
  };
}

function readFields(body: string): Record<string, unknown> | undefined {
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(trimmed);
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (/^[\w.~%+-]+=[^&<>\s]*(?:&[\w.~%+-]+=[^&<>\s]*)*$/.test(trimmed)) return Object.fromEntries(new URLSearchParams(trimmed));
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function optionalText(value: unknown): string | null {
  const found = text(value);
  return found === undefined ? null : cleanProviderText(found, 500);
}

function positiveNumber(value: unknown): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number > 0 ? number : undefined;
}
