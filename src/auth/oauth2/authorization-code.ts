/**
 * The authorization code grant for a command-line app (RFC 6749 section 4.1, RFC 8252):
 * a loopback redirect server, the system browser, PKCE and `state` (RFC 7636, RFC 9700).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

import type { Clock, OpenBrowser } from '../../cli/deps.js';
import { AuthorizationError, OperationError, UsageError } from '../../cli/errors.js';
import type { PageContent } from '../pages.js';
import { startRedirectServer, type CallbackOutcome } from '../redirect-server.js';
import { acceptPastedUrls, countDown, type CountdownOptions } from '../redirect-wait.js';
import { buildAuthorizationUrl, loopbackRedirect } from './authorization-url.js';
import { requireUrl, type HttpContext, type OAuth2Config } from './config.js';
import { createPkcePair } from './pkce.js';
import { requestToken } from './token-request.js';
import { cleanProviderText, tokenError, type TokenSuccess } from './token-response.js';
import { realSleep, type Sleep } from './wait.js';

export const DEFAULT_AUTHORIZATION_TIMEOUT_SECONDS = 300;

export interface AuthorizationCodeOptions extends HttpContext {
  config: OAuth2Config;
  /** Names the default callback path, `/callback/<linkName>`. */
  linkName: string;
  /** Writes one line to stderr; the authorization URL is always written here. */
  log(line: string): void;
  /** Opens the authorization URL; absent means the user opens the logged URL. */
  openBrowser?: OpenBrowser;
  /** Seconds to wait for the browser to return; default 300. */
  timeoutSeconds?: number;
  /** Called about once a second with the whole seconds left, for a countdown. */
  onTick?(secondsLeft: number): void;
  /**
   * Reads the URL the browser ended on, for a browser on another machine. It is called
   * again after a pasted URL that is not for the redirect URI, and `signal` aborts once the
   * flow ends another way. A rejection ends the flow with that error.
   */
  readPastedUrl?(signal: AbortSignal): Promise<string | undefined>;
  clock?: Clock;
  sleep?: Sleep;
}

/**
 * Runs the authorization code grant and returns the tokens. Raises AuthorizationError when
 * the user or the provider refuses, or the `state` does not match; OperationError for a
 * timeout, a network failure or an unreadable provider response; InterruptedError on abort.
 */
export async function authorizeWithCode(options: AuthorizationCodeOptions): Promise<TokenSuccess> {
  const { config, log } = options;
  const authorizationUrl = requireUrl(config, 'authorizationUrl');
  const redirect = loopbackRedirect(config.auth.redirectUri, options.linkName);
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_AUTHORIZATION_TIMEOUT_SECONDS;
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError(`Invalid authorization timeout ${timeoutSeconds}: expected a number of seconds above 0.`);
  }

  const state = randomBytes(32).toString('base64url');
  const pkce = config.auth.pkce ? createPkcePair() : undefined;
  let redirectUri = redirect.pinnedUri ?? '';

  const server = await startRedirectServer<TokenSuccess>({
    port: redirect.port,
    path: redirect.path,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    handle: (query) => handleCallback(query, { options, state, redirectUri, codeVerifier: pkce?.codeVerifier }),
  });
  redirectUri = redirect.pinnedUri ?? server.redirectUri;

  const stop = new AbortController();
  try {
    const url = buildAuthorizationUrl({
      authorizationUrl,
      clientId: config.auth.clientId,
      redirectUri,
      scopes: config.scopes,
      scopeDelimiter: config.scopeDelimiter,
      state,
      ...(pkce === undefined ? {} : { pkce }),
      ...(config.auth.authorizationParams === undefined ? {} : { extraParams: config.auth.authorizationParams }),
    });

    announce(url, options);
    const countdown: CountdownOptions = { timeoutSeconds, clock: options.clock ?? Date, sleep: options.sleep ?? realSleep };
    if (options.onTick !== undefined) countdown.onTick = options.onTick;
    void countDown(server, countdown, stop.signal);
    if (options.readPastedUrl !== undefined) void acceptPastedUrls(server, options.readPastedUrl, log, stop.signal);
    return await server.result;
  } finally {
    stop.abort();
    await server.close();
  }
}

interface CallbackContext {
  options: AuthorizationCodeOptions;
  state: string;
  redirectUri: string;
  codeVerifier: string | undefined;
}

/**
 * Decides what a redirect means. `state` is checked before the code or error is read, so a
 * forged or replayed redirect never reaches the token endpoint. The redirect server runs this at most
 * once to a decisive outcome, so the code is exchanged at most once.
 */
async function handleCallback(query: URLSearchParams, context: CallbackContext): Promise<CallbackOutcome<TokenSuccess>> {
  // Every authorization response has a `code` or an `error` (RFC 6749 section 4.1.2). A request
  // with neither (a reload of the bare redirect URI, a prefetch, a port scan) does not end the flow.
  if (!query.has('code') && !query.has('error')) {
    return {
      kind: 'ignored',
      status: 400,
      page: { title: 'Not an authorization response', message: 'This address waits for the provider to redirect here with a code or an error.' },
    };
  }

  const stateProblem = checkState(query.getAll('state'), context.state);
  if (stateProblem !== undefined) {
    const error = new AuthorizationError(
      `The authorization response was rejected because its state parameter is ${stateProblem} (state mismatch), so it may be forged.`,
      { hint: 'Run connector connect again and finish signing in from the browser tab it opens.' },
    );
    return failed(error, {
      title: 'Authorization rejected',
      message: `The state parameter is ${stateProblem}, so no token was requested.`,
    });
  }

  // NOTE: the `iss` parameter (RFC 9207) is not checked, because a connector does not name its
  // issuer. Mix-up attacks between two providers are therefore not detected here.
  const providerError = query.get('error');
  if (providerError !== null) return providerErrorOutcome(providerError, query);

  const codes = query.getAll('code');
  const code = codes[0];
  if (codes.length !== 1 || code === undefined || code === '') {
    const problem = codes.length > 1 ? 'has more than one code parameter' : 'has no code parameter';
    const error = new OperationError(`The authorization response ${problem}, so no token was requested.`);
    return failed(error, { title: 'Authorization failed', message: `The response from the provider ${problem}.` });
  }

  return exchangeCode(code, context);
}

/** Returns what is wrong with the `state` values received, or undefined when there is exactly the expected one. */
function checkState(received: string[], expected: string): string | undefined {
  if (received.length === 0) return 'missing';
  if (received.length > 1) return 'given more than once';

  const actualBytes = Buffer.from(received[0] ?? '');
  const expectedBytes = Buffer.from(expected);
  if (actualBytes.length !== expectedBytes.length || !timingSafeEqual(actualBytes, expectedBytes)) return 'different from the one sent';
  return undefined;
}

function providerErrorOutcome(code: string, query: URLSearchParams): CallbackOutcome<TokenSuccess> {
  const errorCode = cleanProviderText(code, 100);
  const rawDescription = query.get('error_description');
  const description = rawDescription === null ? null : cleanProviderText(rawDescription);
  const detail = description === null || description === '' ? '' : `: ${description}`;

  const message =
    errorCode === 'access_denied'
      ? `Access was denied at the provider (access_denied${detail}).`
      : `The provider returned error "${errorCode}"${detail}.`;
  const error = new AuthorizationError(message, {
    hint: 'Run connector connect again and approve access in the browser.',
  });

  const details = [`error: ${errorCode}`];
  if (description !== null && description !== '') details.push(`error_description: ${description}`);
  return failed(error, { title: 'Authorization failed', message: 'The provider did not grant access.', details });
}

async function exchangeCode(code: string, context: CallbackContext): Promise<CallbackOutcome<TokenSuccess>> {
  const { options } = context;
  const params: Record<string, string> = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: context.redirectUri,
  };
  if (context.codeVerifier !== undefined) params.code_verifier = context.codeVerifier;

  let response;
  try {
    response = await requestToken(options.config, { params }, options);
  } catch (error) {
    const failure = error instanceof Error ? error : new OperationError(String(error));
    return failed(failure, { title: 'Token request failed', message: failure.message });
  }

  if (!response.ok) {
    const details = [`error: ${response.error}`];
    if (response.errorDescription !== null) details.push(`error_description: ${response.errorDescription}`);
    return failed(tokenError(response), {
      title: 'Token request failed',
      message: 'The provider redirected back, but rejected the token request.',
      details,
    });
  }

  return {
    kind: 'done',
    value: response,
    page: { title: 'Authorization complete', message: 'You can close this tab and return to the terminal.' },
  };
}

function failed(error: Error, page: PageContent): CallbackOutcome<TokenSuccess> {
  return { kind: 'failed', error, page: { ...page, message: `${page.message} Return to the terminal for details.` } };
}

function announce(url: string, options: AuthorizationCodeOptions): void {
  if (options.openBrowser === undefined) {
    options.log('Open this URL in a browser to authorize the connection:');
    options.log(url);
    return;
  }

  options.log('Opening the browser to authorize the connection. If it does not open, visit this URL:');
  options.log(url);
  const openBrowser = options.openBrowser;
  void (async () => {
    try {
      await openBrowser(url);
    } catch (error) {
      options.log(`Could not open a browser (${error instanceof Error ? error.message : String(error)}); open the URL above yourself.`);
    }
  })();
}

