/**
 * The OAuth 1.0a redirection-based authorization (RFC 5849 section 2): temporary credentials,
 * resource owner authorization in the browser with a loopback redirect, and token credentials.
 */

import type { Clock, Fetch, OpenBrowser } from '../../cli/deps.js';
import { AuthorizationError, OperationError, UsageError } from '../../cli/errors.js';
import type { OAuth1Auth } from '../../definition/types.js';
import { httpPost, type TextResponse } from '../http.js';
import { realSleep, type Sleep } from '../oauth2/wait.js';
import { startRedirectServer, type CallbackOutcome } from '../redirect-server.js';
import { readCredentialsResponse, type CredentialsResponse } from './credentials-response.js';
import { acceptPastedUrls, countDown } from '../redirect-wait.js';
import { freshTimestampAndNonce, signRequest, type OAuth1Keys, type ProtocolOptions } from './signature.js';

export const DEFAULT_AUTHORIZATION_TIMEOUT_SECONDS = 300;
export const DEFAULT_CALLBACK_PATH = '/callback';

/** The options mirror those of the OAuth 2.0 authorization code grant, so one caller can serve both. */
export interface OAuth1FlowOptions {
  /** The connector's `auth` section, with `{key}` placeholders in its URLs already replaced. */
  auth: OAuth1Auth;
  /** The consumer secret itself, not its `env:` or `keychain` reference; needed unless RSA-SHA1. */
  consumerSecret?: string;
  /** The consumer's RSA private key as PEM text; needed for RSA-SHA1. */
  rsaPrivateKey?: string;

  fetch: Fetch;
  /** Opens the authorization URL; when absent, the user opens the logged URL. */
  openBrowser?: OpenBrowser;
  clock: Clock;
  /** Waits between countdown steps; tests pass a fake. Default: a real timer. */
  sleep?: Sleep;
  /** Source of `oauth_nonce` values; a random one is used when absent. */
  randomNonce?: () => string;
  /** Writes one line for the user on stderr; the authorization URL is always written here, and secrets never are. */
  log: (line: string) => void;
  /** Aborting (Ctrl-C) closes the redirect server and rejects with InterruptedError. */
  signal?: AbortSignal;

  /** Port of the loopback redirect URI, for providers that need a registered callback. Default 0: ephemeral. */
  callbackPort?: number;
  /** Path of the loopback redirect URI. Default `/callback`. */
  callbackPath?: string;
  /** Seconds to wait for the browser to come back. Default 300. */
  timeoutSeconds?: number;
  /** Called about once a second while waiting, with the whole seconds left, so the caller can show a countdown. */
  onTick?: (secondsLeft: number) => void;
  /**
   * Reads a URL the user pasted from the browser, for when the browser cannot reach this
   * machine (a remote shell). The URL goes through the same checks as a redirect, and a URL
   * for another address is reported and the next one read. Resolving undefined stops the
   * reading (no more input), a rejection ends the flow with that error, and the signal
   * aborts once the flow ends another way.
   */
  readPastedUrl?: (signal: AbortSignal) => Promise<string | undefined>;
  /** Timeout of each HTTP request to the provider, in milliseconds; the default is `httpPost`'s. */
  requestTimeoutMs?: number;
}

/** The token credentials, and the other fields of the provider's response (such as `user_id`, `screen_name`). */
export interface OAuth1TokenCredentials {
  token: string;
  tokenSecret: string;
  extra: Record<string, string>;
}

/**
 * Runs the whole authorization and returns the token credentials.
 *
 * Raises AuthorizationError when the user denies access, the redirect does not match this
 * flow's temporary credentials, or the provider refuses a request. Raises OperationError for
 * a timeout and for network and provider failures, UsageError for a missing consumer secret
 * or RSA key, and InterruptedError when `signal` aborts.
 */
export async function authorizeOAuth1(options: OAuth1FlowOptions): Promise<OAuth1TokenCredentials> {
  options.signal?.throwIfAborted();
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_AUTHORIZATION_TIMEOUT_SECONDS;
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError(`Invalid authorization timeout ${timeoutSeconds}: expected a number of seconds above 0.`);
  }

  // The redirect server's handler needs the temporary credentials, which exist only after
  // the server's redirect URI has been sent as `oauth_callback`.
  let temporary: CredentialsResponse | undefined;
  const server = await startRedirectServer<OAuth1TokenCredentials>({
    port: options.callbackPort ?? 0,
    path: options.callbackPath ?? DEFAULT_CALLBACK_PATH,
    signal: options.signal,
    handle: (query) => handleRedirect(query, temporary, options),
  });

  const stop = new AbortController();
  try {
    temporary = await requestTemporaryCredentials(options, server.redirectUri);
    sendUserToProvider(options, temporary.token);

    const countdown = {
      timeoutSeconds,
      clock: options.clock,
      sleep: options.sleep ?? realSleep,
      onTick: options.onTick,
    };
    void countDown(server, countdown, stop.signal);
    if (options.readPastedUrl !== undefined) void acceptPastedUrls(server, options.readPastedUrl, options.log, stop.signal);
    return await server.result;
  } finally {
    stop.abort();
    // When a redirect settled the flow, the server writes its page to the browser a few
    // microtasks later, and `close` destroys open connections. Waiting one turn of the event
    // loop keeps the close from overtaking the page, whatever the depth of awaits in between.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await server.close();
  }
}

// Step 1: temporary credentials (section 2.1).

async function requestTemporaryCredentials(options: OAuth1FlowOptions, callback: string): Promise<CredentialsResponse> {
  const response = await signedPost(options, options.auth.requestTokenUrl, consumerKeys(options), { callback });
  const temporary = readCredentialsResponse(response, 'temporary credentials');

  // A provider without the confirmation speaks OAuth 1.0, which neither binds the callback to
  // the temporary credentials nor returns a verifier. OAuth 1.0a added both against session fixation.
  if (temporary.fields.oauth_callback_confirmed !== 'true') {
    throw new OperationError(
      `The temporary credentials response from ${response.url} lacks oauth_callback_confirmed=true, so the provider does not follow OAuth 1.0a (RFC 5849 section 2.1).`,
      { hint: 'Check auth.requestTokenUrl in connector.yaml; this tool supports OAuth 1.0a providers only.' },
    );
  }
  return temporary;
}

// Step 2: resource owner authorization (section 2.2).

/** Logs the authorization URL and, unless the caller gave no opener, opens it without waiting for the browser. */
function sendUserToProvider(options: OAuth1FlowOptions, temporaryToken: string): void {
  const url = new URL(options.auth.authorizationUrl);
  url.searchParams.set('oauth_token', temporaryToken);

  const openBrowser = options.openBrowser;
  if (openBrowser === undefined) {
    options.log('Open this URL in a browser to authorize the connection:');
    options.log(url.toString());
    return;
  }

  options.log('Opening the browser to authorize the connection. If it does not open, visit this URL:');
  options.log(url.toString());
  openBrowser(url.toString()).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    options.log(`The browser could not be opened (${reason}). Open the URL above yourself.`);
  });
}

/** Decides what one request to the redirect URI means, and exchanges the verifier once it is valid. */
async function handleRedirect(
  query: URLSearchParams,
  temporary: CredentialsResponse | undefined,
  options: OAuth1FlowOptions,
): Promise<CallbackOutcome<OAuth1TokenCredentials>> {
  if (query.has('denied')) {
    return {
      kind: 'failed',
      error: new AuthorizationError('Access was denied at the provider.', { hint: 'Run connector connect again and allow access.' }),
      page: { title: 'Access denied', message: 'The provider reports that access was denied. You can close this tab.' },
    };
  }

  const tokens = query.getAll('oauth_token');
  const verifiers = query.getAll('oauth_verifier');
  if (tokens.length === 0 && verifiers.length === 0) {
    return {
      kind: 'ignored',
      status: 400,
      page: { title: 'Not an authorization response', message: 'This address waits for the provider to redirect here with oauth_token and oauth_verifier.' },
    };
  }

  // A redirect for other temporary credentials may come from an authorization an attacker
  // started (cross-site request forgery on the callback), so it ends the flow unexchanged.
  if (temporary === undefined || tokens.length !== 1 || tokens[0] !== temporary.token) {
    return failure('The redirect carried an oauth_token that does not match the temporary credentials this authorization requested.');
  }
  const verifier = verifiers[0];
  if (verifiers.length !== 1 || verifier === undefined || verifier === '') {
    return failure('The redirect did not carry exactly one oauth_verifier, which OAuth 1.0a requires (RFC 5849 section 2.2).');
  }

  const credentials = await requestTokenCredentials(options, temporary, verifier);
  return {
    kind: 'done',
    value: credentials,
    page: { title: 'Connected', message: 'Access was granted. You can close this tab and return to the terminal.' },
  };
}

function failure(message: string): CallbackOutcome<never> {
  return {
    kind: 'failed',
    error: new AuthorizationError(message, { hint: 'Run connector connect again.' }),
    page: { title: 'Authorization failed', message },
  };
}

// Step 3: token credentials (section 2.3).

async function requestTokenCredentials(
  options: OAuth1FlowOptions,
  temporary: CredentialsResponse,
  verifier: string,
): Promise<OAuth1TokenCredentials> {
  const keys: OAuth1Keys = { ...consumerKeys(options), token: temporary.token, tokenSecret: temporary.tokenSecret };
  const response = await signedPost(options, options.auth.accessTokenUrl, keys, { verifier });
  const credentials = readCredentialsResponse(response, 'token credentials');
  return { token: credentials.token, tokenSecret: credentials.tokenSecret, extra: credentials.fields };
}

// Signed requests.

function consumerKeys(options: OAuth1FlowOptions): OAuth1Keys {
  return {
    signatureMethod: options.auth.signatureMethod,
    consumerKey: options.auth.consumerKey,
    consumerSecret: options.consumerSecret,
    rsaPrivateKey: options.rsaPrivateKey,
    tokenSecret: '',
  };
}

/**
 * Sends an empty form POST whose protocol parameters travel, signed, in the Authorization
 * header (section 3.5.1). A retry after HTTP 429 or 503 is signed again with a fresh nonce.
 */
async function signedPost(
  options: OAuth1FlowOptions,
  url: string,
  keys: OAuth1Keys,
  extra: Pick<ProtocolOptions, 'callback' | 'verifier'>,
): Promise<TextResponse> {
  const sign = (): string =>
    signRequest({ method: 'POST', url: new URL(url), formBody: '' }, keys, {
      ...freshTimestampAndNonce(options.clock, options.randomNonce),
      ...extra,
    }).authorization;

  return httpPost({
    fetch: options.fetch,
    url,
    body: { form: {} },
    headers: () => ({ Authorization: sign(), Accept: 'application/x-www-form-urlencoded, application/json;q=0.9' }),
    signal: options.signal,
    timeoutMs: options.requestTimeoutMs,
  });
}
