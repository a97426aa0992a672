/**
 * One POST to an authorization server: a token, device authorization, revocation or OAuth 1.0a
 * endpoint. It has a timeout, a cap on the response size, a bounded retry after HTTP 429 and
 * 503, and errors that name the URL and what went wrong. Any HTTP status is returned to the
 * caller, because token endpoints report their errors as 400 and 401 responses with a body.
 */
import { setTimeout as delay } from 'node:timers/promises';

import type { Fetch } from '../cli/deps.js';
import { InterruptedError, OperationError } from '../cli/errors.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** Retries after the first attempt, so a request is sent at most three times. */
export const MAX_RETRIES = 2;

/** The longest `Retry-After` that is waited for, in seconds; a longer one is reported instead. */
export const MAX_RETRY_AFTER_SECONDS = 10;

/**
 * Statuses with which a server declines to handle a request for now: 429 Too Many Requests
 * (RFC 6585 section 4) and 503 Service Unavailable (RFC 9110 section 15.6.4). Only these are
 * retried for a POST, because a token request that failed in any other way may have been
 * processed, and a second one could use an authorization code or refresh token twice.
 */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Resolves after `ms` milliseconds; rejects when `signal` aborts first. */
export type RetrySleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export type PostBody = { form: Record<string, string> | URLSearchParams } | { json: unknown };

export interface PostOptions {
  fetch: Fetch;
  url: string;
  body: PostBody;
  /**
   * Sent as given; `Content-Type` is set from the body kind unless present here. A function is
   * called again for each attempt, for headers that must change on a retry, such as an OAuth
   * 1.0a signature, whose nonce may be used only once (RFC 5849 section 3.3).
   */
  headers?: Record<string, string> | (() => Record<string, string>);
  /** Covers connecting, sending and reading the whole body of each attempt; default 30 s. */
  timeoutMs?: number;
  /** Maximum response body size, in bytes; default 1 MiB. */
  maxResponseBytes?: number;
  /** Aborting raises InterruptedError, or the abort reason when it is another Error. */
  signal?: AbortSignal;
  /** Waits before a retry; tests pass a fake so that they do not wait. Default: a real timer. */
  sleep?: RetrySleep;
  /** Milliseconds since the epoch, for a `Retry-After` given as an HTTP date; default `Date.now`. */
  now?: () => number;
}

/** A request that failed before a complete response arrived: timed out, refused, reset, or similar. */
export class HttpRequestError extends OperationError {
  /** True when the request timed out, so the caller may back off and retry. */
  readonly timedOut: boolean;

  constructor(message: string, options: { timedOut: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.timedOut = options.timedOut;
  }
}

export interface TextResponse {
  /** The request URL without query or fragment, as used in messages. */
  url: string;
  status: number;
  statusText: string;
  headers: Headers;
  /** The media type in lower case without parameters, or '' when absent. */
  mediaType: string;
  text: string;
}

/**
 * Sends a POST and reads the response body as text. Redirects are not followed, because a
 * token request carries client credentials that must go to the configured URL only.
 *
 * A 429 or 503 response with a `Retry-After` of at most MAX_RETRY_AFTER_SECONDS is retried
 * after that delay, at most MAX_RETRIES times, and the last response is returned whatever its
 * status. Nothing else is retried: not other statuses, and not a timeout or a connection reset,
 * because the server may have processed the request.
 */
export async function httpPost(options: PostOptions): Promise<TextResponse> {
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;

  for (let retries = 0; ; retries++) {
    const response = await postOnce(options);
    const wait = retries < MAX_RETRIES ? retryDelayMs(response.status, response.headers, now()) : undefined;
    if (wait === undefined) return response;

    try {
      await sleep(wait, options.signal);
    } catch (error) {
      if (options.signal?.aborted === true) throw abortError(options.signal);
      throw error;
    }
  }
}

/**
 * Returns how long to wait before sending a request again after this response, in
 * milliseconds. Returns undefined when it should not be retried: the status is not 429 or 503,
 * the response has no valid `Retry-After`, or the server requests a wait longer than
 * MAX_RETRY_AFTER_SECONDS. `Retry-After` is either seconds or an HTTP date (RFC 9110 section
 * 10.2.3), and `now` is needed for the date form.
 */
export function retryDelayMs(status: number, headers: Headers, now: number): number | undefined {
  if (!RETRY_STATUSES.has(status)) return undefined;

  const value = headers.get('Retry-After')?.trim();
  if (value === undefined || value === '') return undefined;

  let milliseconds: number;
  if (/^\d+$/.test(value)) {
    milliseconds = Number(value) * 1000;
  } else {
    const date = Date.parse(value);
    if (Number.isNaN(date)) return undefined;
    milliseconds = Math.max(0, date - now);
  }
  return milliseconds <= MAX_RETRY_AFTER_SECONDS * 1000 ? milliseconds : undefined;
}

/**
 * Returns true for the methods that RFC 9110 section 9.2.2 defines as idempotent, which may be
 * sent again after a failure without changing the outcome.
 */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

const realSleep: RetrySleep = async (ms, signal) => {
  await delay(ms, undefined, signal === undefined ? undefined : { signal });
};

/** Sends the POST once and reads the whole response. */
async function postOnce(options: PostOptions): Promise<TextResponse> {
  const url = urlForMessages(options.url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (options.signal?.aborted === true) throw abortError(options.signal);

  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  const failure = (error: unknown): Error => requestError(error, { url, timeoutMs, timeout, caller: options.signal });

  const { body, contentType } = encodeBody(options.body);
  const headers = new Headers(typeof options.headers === 'function' ? options.headers() : options.headers);
  if (!headers.has('Content-Type')) headers.set('Content-Type', contentType);

  let response: Response;
  try {
    response = await options.fetch(options.url, { method: 'POST', headers, body, redirect: 'manual', signal });
  } catch (error) {
    throw failure(error);
  }

  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel().catch(() => undefined);
    const location = response.headers.get('Location');
    throw new OperationError(
      `POST ${url} was redirected (HTTP ${response.status}${location === null ? '' : ` to ${urlForMessages(location, options.url)}`}).`,
      { hint: 'Set the URL in connector.yaml to the endpoint itself; redirects are not followed for requests that carry credentials.' },
    );
  }

  let text: string;
  try {
    text = await readBodyText(response, { url, maxBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES });
  } catch (error) {
    throw error instanceof OperationError ? error : failure(error);
  }

  return {
    url,
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    mediaType: mediaTypeOf(response.headers.get('Content-Type')),
    text,
  };
}

/** Reads a response body as UTF-8 text, raising OperationError once it passes `maxBytes`. */
export async function readBodyText(response: Response, options: { url: string; maxBytes?: number }): Promise<string> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const tooLarge = (): OperationError =>
    new OperationError(`The response from ${options.url} is larger than ${formatBytes(maxBytes)}, so it was not read.`);

  const declared = Number(response.headers.get('Content-Length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return '';

  // NOTE: bodies are decoded as UTF-8 whatever charset the Content-Type names. Token
  // endpoints send JSON or form data, which are UTF-8 or ASCII in practice.
  const decoder = new TextDecoder('utf-8');
  const reader = response.body.getReader();
  let received = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;

    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/** Returns the media type of a Content-Type value in lower case, without parameters. */
export function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Returns the URL without its query and fragment, for messages. Endpoints are configuration,
 * but a query can carry values that do not belong in a log.
 */
export function urlForMessages(url: string, base?: string): string {
  try {
    const parsed = new URL(url, base);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url.split(/[?#]/)[0] ?? url;
  }
}

/** Returns at most `maxLength` characters of `text` on one line, for error messages. */
export function snippet(text: string, maxLength = 100): string {
  const oneLine = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return oneLine.length > maxLength ? `${oneLine.slice(0, maxLength - 3)}...` : oneLine;
}

function encodeBody(body: PostBody): { body: string; contentType: string } {
  if ('form' in body) {
    return { body: new URLSearchParams(body.form).toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  return { body: JSON.stringify(body.json), contentType: 'application/json' };
}

// Node's fetch (undici) reports network failures as TypeError('fetch failed') with the
// system or undici error as `cause`. These codes cover the failures a user can act on.
const NETWORK_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (is the server running, and is the port right?)',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was reset',
  UND_ERR_SOCKET: 'the connection was closed by the server',
  UND_ERR_CLOSED: 'the connection was closed by the server',
  ENOTFOUND: 'the host name was not found',
  EAI_AGAIN: 'the host name could not be resolved (DNS lookup failed)',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connecting timed out',
  UND_ERR_HEADERS_TIMEOUT: 'the server sent no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'the server stopped sending the response body',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server has a self-signed TLS certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server has a self-signed TLS certificate in its chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server TLS certificate could not be verified',
  CERT_HAS_EXPIRED: 'the server TLS certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server TLS certificate does not match the host name',
};

/** Returns the error to raise for an aborted signal: its reason when that is an Error other than the default AbortError, else InterruptedError. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name !== 'AbortError' ? reason : new InterruptedError();
}

function requestError(
  error: unknown,
  context: { url: string; timeoutMs: number; timeout: AbortSignal; caller: AbortSignal | undefined },
): Error {
  if (context.caller?.aborted === true) return abortError(context.caller);
  if (context.timeout.aborted) {
    return new HttpRequestError(`POST ${context.url} timed out after ${formatSeconds(context.timeoutMs)}.`, {
      timedOut: true,
      cause: error,
    });
  }

  const code = errorCode(error);
  const what = code === undefined ? undefined : NETWORK_FAILURES[code];
  const detail = what ?? (error instanceof Error ? innermostMessage(error) : String(error));
  const timedOut = code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
  return new HttpRequestError(`POST ${context.url} failed: ${detail}.`, { timedOut, cause: error });
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

function innermostMessage(error: Error): string {
  let current: Error = error;
  while (current.cause instanceof Error) current = current.cause;
  return current.message.replace(/\.$/, '');
}

function formatSeconds(milliseconds: number): string {
  return milliseconds % 1000 === 0 ? `${milliseconds / 1000} s` : `${milliseconds} ms`;
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}
