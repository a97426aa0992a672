/**
 * A one-shot loopback HTTP server that receives a browser redirect, as native apps do for
 * OAuth (RFC 8252 sections 7.3 and 8.3, and the OAuth security best practice, RFC 9700).
 *
 * It contains no OAuth logic: the caller's `handle` decides what the query of a request to
 * `path` means. The first request that `handle` resolves as done or failed gets its page,
 * then settles `result`, and the server closes. Everything else (another path, another method,
 * a foreign Host header, an oversized URL) gets an error status and the server keeps waiting.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { OperationError, UsageError } from '../cli/errors.js';
import { abortError } from './http.js';
import { renderPage, type PageContent, type PageKind } from './pages.js';

/** The loopback address the server binds; `localhost` is never used (RFC 8252 section 8.3). */
export const LOOPBACK_HOST = '127.0.0.1';

/** Maximum length of a request target, in characters; longer ones get 414. */
export const DEFAULT_MAX_URL_LENGTH = 8 * 1024;

/**
 * Outcomes of a request to the callback path:
 * - `done`: the flow succeeded with `value`.
 * - `failed`: the flow ended with `error`.
 * - `ignored`: the request is not a callback, for example because it has no parameters.
 *   It gets `status` and `page`, and the server keeps waiting.
 */
export type CallbackOutcome<T> =
  | { kind: 'done'; value: T; page: PageContent }
  | { kind: 'failed'; error: Error; page: PageContent }
  | { kind: 'ignored'; status: number; page: PageContent };

export interface RedirectServerOptions<T> {
  /** 0 or absent: an ephemeral port chosen by the operating system. */
  port?: number;
  /** The callback path, such as `/callback/zylker_files`; starts with `/`, no query. */
  path: string;
  /**
   * Decides what a GET to `path` means. It runs for one request at a time, and never again
   * once it has returned `done` or `failed`, so work inside it (such as a token exchange)
   * happens at most once.
   */
  handle(query: URLSearchParams): CallbackOutcome<T> | Promise<CallbackOutcome<T>>;
  /** Aborting closes the server and rejects `result` (with InterruptedError unless the reason is another Error). */
  signal?: AbortSignal;
  /** Maximum length of a request target, in characters; default 8 KiB. */
  maxUrlLength?: number;
}

export interface RedirectServer<T> {
  /** `http://127.0.0.1:<port><path>`. */
  redirectUri: string;
  port: number;
  /** Settles with the first decisive outcome, or rejects when the server is closed or aborted first. */
  result: Promise<T>;
  /**
   * Runs a URL the browser ended on through the same checks as a request to the server, for
   * when the browser cannot reach this machine (a remote shell). A URL for another address
   * or path, or one that `handle` ignores, raises UsageError and leaves the flow waiting.
   */
  submitUrl(url: string): Promise<void>;
  /** Stops the server; a pending `result` rejects with `reason` (default: an OperationError). */
  close(reason?: Error): Promise<void>;
}

type State = 'waiting' | 'handling' | 'settled';

/** Starts the server on 127.0.0.1 and resolves once it is listening. */
export async function startRedirectServer<T>(options: RedirectServerOptions<T>): Promise<RedirectServer<T>> {
  checkOptions(options);
  const maxUrlLength = options.maxUrlLength ?? DEFAULT_MAX_URL_LENGTH;
  if (options.signal?.aborted === true) throw abortError(options.signal);

  let resolveResult!: (value: T) => void;
  let rejectResult!: (error: Error) => void;
  const result = new Promise<T>((resolve, reject) => {
    resolveResult = resolve;
    rejectResult = reject;
  });
  // The caller may attach its handlers later; this keeps an early rejection from being
  // reported as unhandled in the meantime.
  result.catch(() => undefined);

  let state: State = 'waiting';
  let resultSettled = false;
  let closing: Promise<void> | undefined;

  // Allows request heads up to 64 KiB so that targets between the URL limit and Node's
  // default 16 KiB header limit still get a clear 414 instead of Node's bare 431.
  const server = createServer({ maxHeaderSize: 64 * 1024 }, (request, response) => {
    void serveRequest(request, response);
  });
  const port = await listen(server, options.port ?? 0);
  const expectedHost = port === 80 ? [`${LOOPBACK_HOST}:80`, LOOPBACK_HOST] : [`${LOOPBACK_HOST}:${port}`];
  const redirectUri = `http://${LOOPBACK_HOST}:${port}${options.path}`;

  function settleResult(outcome: CallbackOutcome<T>): void {
    if (resultSettled) return;
    resultSettled = true;
    if (outcome.kind === 'done') resolveResult(outcome.value);
    if (outcome.kind === 'failed') rejectResult(outcome.error);
  }

  /** Runs `handle`; a decisive outcome moves the server to `settled`, an ignored one back to `waiting`. */
  async function runHandler(query: URLSearchParams): Promise<CallbackOutcome<T>> {
    state = 'handling';
    let outcome: CallbackOutcome<T>;
    try {
      outcome = await options.handle(query);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      outcome = {
        kind: 'failed',
        error: failure,
        page: { title: 'Authorization failed', message: failure.message },
      };
    }

    // A close or abort while the handler ran has already rejected the result.
    if (state === 'handling') state = outcome.kind === 'ignored' ? 'waiting' : 'settled';
    return outcome;
  }

  async function serveRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const host = request.headers.host;
    if (host === undefined) {
      sendText(response, 400, 'Bad request: the Host header is missing.');
      return;
    }
    // A page on another site can reach this port through DNS rebinding, but its requests
    // carry that site's host name, so only the literal loopback address is served.
    if (!expectedHost.includes(host)) {
      sendText(response, 421, `Misdirected request: this server answers only to ${expectedHost[0]}.`);
      return;
    }

    const target = request.url ?? '/';
    if (target.length > maxUrlLength) {
      sendText(response, 414, `URI too long: the limit is ${maxUrlLength} characters.`);
      return;
    }

    let url: URL;
    try {
      url = new URL(target, `http://${LOOPBACK_HOST}:${port}`);
    } catch {
      sendText(response, 400, 'Bad request: the request target is not a valid URL.');
      return;
    }
    if (url.pathname !== options.path) {
      sendText(response, 404, 'Not found.');
      return;
    }
    if (request.method !== 'GET') {
      response.setHeader('Allow', 'GET');
      sendText(response, 405, 'Method not allowed: the callback accepts GET only.');
      return;
    }

    if (state !== 'waiting') {
      const message =
        state === 'handling'
          ? 'Another callback is being processed. Return to the terminal.'
          : 'This authorization has already finished. Return to the terminal.';
      sendPage(response, 409, 'info', { title: 'Already handled', message });
      return;
    }

    const outcome = await runHandler(url.searchParams);
    if (outcome.kind === 'ignored') {
      sendPage(response, outcome.status, 'info', outcome.page);
      return;
    }

    // The result settles only once the page is written, so a caller that closes the server
    // as soon as the result settles does not cut the page off.
    const finish = (): void => {
      settleResult(outcome);
      void shutDown(true);
    };
    response.once('finish', finish);
    response.once('close', finish);
    response.setHeader('Connection', 'close');
    sendPage(response, outcome.kind === 'done' ? 200 : 400, outcome.kind === 'done' ? 'success' : 'failure', outcome.page);
  }

  /**
   * Stops listening. A graceful shutdown lets responses in progress finish and closes idle
   * keep-alive sockets, because browsers hold those open and they would keep the server alive.
   * Connections still open a second later are destroyed. Otherwise all are destroyed at once.
   */
  function shutDown(graceful: boolean): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 1000).unref();
    });
    if (!graceful) server.closeAllConnections();
    return closing;
  }

  async function close(reason?: Error): Promise<void> {
    if (!resultSettled) {
      resultSettled = true;
      state = 'settled';
      rejectResult(reason ?? new OperationError('The redirect server closed before the browser returned.'));
    }
    await shutDown(false);
  }

  async function submitUrl(text: string): Promise<void> {
    const url = parseSubmittedUrl(text, port, options.path, redirectUri);
    if (state !== 'waiting') {
      throw new UsageError('The authorization is no longer waiting for a redirect.');
    }

    const outcome = await runHandler(url.searchParams);
    if (outcome.kind === 'ignored') {
      throw new UsageError(`${outcome.page.title}: ${outcome.page.message}`);
    }
    settleResult(outcome);
    await shutDown(true);
  }

  const onAbort = (): void => {
    if (options.signal !== undefined) void close(abortError(options.signal));
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  server.once('close', () => options.signal?.removeEventListener('abort', onAbort));
  // An abort while the server was starting fired before the listener existed. The cast undoes
  // the narrowing from the check at the top, which TypeScript keeps across the `await`.
  if ((options.signal?.aborted as boolean | undefined) === true) onAbort();

  return { redirectUri, port, result, submitUrl, close };
}

function checkOptions(options: RedirectServerOptions<unknown>): void {
  const { port, path } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new UsageError(`Invalid redirect server port ${port}: expected an integer from 0 to 65535.`);
  }
  if (!path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new UsageError(`Invalid redirect path "${path}": expected a path that starts with "/" and has no query, fragment or spaces.`);
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(listenError(error, port));
    };
    server.once('error', onError);
    server.listen(port, LOOPBACK_HOST, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new OperationError(`The redirect server did not report a TCP port on ${LOOPBACK_HOST}.`));
        return;
      }
      resolve(address.port);
    });
  });
}

function listenError(error: NodeJS.ErrnoException, port: number): Error {
  if (error.code === 'EADDRINUSE') {
    return new OperationError(`Port ${port} on ${LOOPBACK_HOST} is already in use, so the redirect server cannot start.`, {
      hint: `Stop the program listening on port ${port}, or pin another port in the redirect URI and register that URI with the provider.`,
      cause: error,
    });
  }
  if (error.code === 'EACCES') {
    return new OperationError(`Listening on port ${port} of ${LOOPBACK_HOST} is not permitted.`, {
      hint: 'Ports below 1024 usually need administrator rights; pin a port above 1023 in the redirect URI.',
      cause: error,
    });
  }
  return new OperationError(`The redirect server could not listen on ${LOOPBACK_HOST}:${port}: ${error.message}`, { cause: error });
}

function parseSubmittedUrl(text: string, port: number, path: string, redirectUri: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new UsageError(`Invalid URL "${shorten(text)}": paste the whole address from the browser, starting with ${redirectUri}.`);
  }

  const urlPort = url.port === '' ? 80 : Number(url.port);
  if (url.protocol !== 'http:' || url.hostname !== LOOPBACK_HOST || urlPort !== port || url.pathname !== path) {
    throw new UsageError(`The pasted URL does not start with the redirect URI ${redirectUri}.`, {
      hint: 'Paste the address the browser shows after you approve access, including everything after "?".',
    });
  }
  return url;
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const SECURITY_HEADERS: Record<string, string> = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

function sendPage(response: ServerResponse, status: number, kind: PageKind, page: PageContent): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8' });
  response.end(renderPage(kind, page));
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(`${text}\n`);
}
