/**
 * The `--verbose` HTTP trace: a fetch wrapper that writes each request and response to stderr,
 * in the `> request` / `< response` form that `curl -v` made familiar, with credentials redacted.
 *
 * Redaction works in two ways, because neither is enough alone. Values are removed by name
 * (Authorization, Cookie and Set-Cookie headers, and any header, query, form or JSON field whose
 * name says token, secret, password, code, verifier, signature, key and the like). Values are
 * also removed by content: code that loads a credential registers its secrets with
 * `addTraceSecrets`, so an API key under a header name such as `X-Zylker-Id` is still hidden.
 */

import type { Clock, Fetch, OutputStream } from './deps.js';

export const REDACTED = '[redacted]';

/** Characters of each body shown in the trace, after redaction. */
const MAX_SHOWN_CHARS = 2000;

/**
 * Bytes of a response body kept for the trace. More than is shown, so that a secret which
 * straddles the end of the kept bytes lies past the shown part.
 */
const MAX_CAPTURED_BYTES = 16 * 1024;

/** Secrets shorter than this are not matched by content, because they would hide ordinary text. */
const MIN_SECRET_LENGTH = 4;

/** Headers whose value is always a credential. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** Header names that suggest a credential. `WWW-Authenticate` and `Proxy-Authenticate` only describe a challenge, so they are kept. */
const SENSITIVE_HEADER = /token|secret|passw|signature|api-?key|apikey|session|credential|auth(?!enticate)|-key$/i;

/** Query, form and JSON field names whose values are credentials or one-time codes. */
const SENSITIVE_FIELD =
  /token|secret|passw|pwd|signature|verifier|assertion|api[-_]?key|apikey|session|cookie|credential|authorization|^auth$|^code$|[-_.]code$|^key$|[-_.]key$/i;

/** Names that match SENSITIVE_FIELD but describe a credential rather than contain one. */
const DESCRIPTIVE_FIELD = /^(token[-_]?type|token[-_]?type[-_]?hint|expires[-_]?in|expires[-_]?at)$/i;

const TEXT_MEDIA_TYPE = /^text\/|[/+](json|xml|x-www-form-urlencoded|javascript|yaml)$/;

/** Removes credentials from URLs, headers and bodies, by field name and by known secret values. */
export class Redactor {
  private readonly secrets = new Set<string>();
  /** Longest first, so a secret that contains another is replaced whole. */
  private ordered: string[] = [];

  /** Adds values to hide wherever they appear, also in their percent-, form- and JSON-encoded forms. */
  add(values: Iterable<string | undefined>): void {
    for (const value of values) {
      if (value === undefined || value.length < MIN_SECRET_LENGTH) continue;
      for (const form of encodedForms(value)) this.secrets.add(form);
    }
    this.ordered = [...this.secrets].sort((left, right) => right.length - left.length);
  }

  /** Replaces every known secret in `text`. */
  text(text: string): string {
    let result = text;
    for (const secret of this.ordered) result = result.replaceAll(secret, REDACTED);
    return result;
  }

  url(url: string): string {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return this.text(url);
    }

    if (parsed.username !== '' || parsed.password !== '') {
      parsed.username = '';
      parsed.password = '';
    }
    const query = parsed.search.replace(/^\?/, '');
    const base = `${parsed.origin}${parsed.pathname}`;
    return this.text(query === '' ? base : `${base}?${redactForm(query)}`);
  }

  header(name: string, value: string): string {
    const lower = name.toLowerCase();
    if (lower === 'authorization' || lower === 'proxy-authorization') {
      // The scheme (Basic, Bearer, OAuth) helps debugging and is no secret.
      const scheme = /^([A-Za-z][\w.-]*)\s+\S/.exec(value)?.[1];
      return scheme === undefined ? REDACTED : `${scheme} ${REDACTED}`;
    }
    if (lower === 'cookie') return value.replace(/(^|;\s*)([^=;]+)=[^;]*/g, `$1$2=${REDACTED}`);
    if (lower === 'set-cookie') return value.replace(/^([^=;]+)=[^;]*/, `$1=${REDACTED}`);
    if (CREDENTIAL_HEADERS.has(lower) || SENSITIVE_HEADER.test(lower)) return REDACTED;
    return this.text(value);
  }

  /** Redacts a body by its media type, then by known secrets, and shortens it for display. */
  body(text: string, mediaType: string): string {
    let redacted: string;
    if (mediaType === 'application/x-www-form-urlencoded') redacted = redactForm(text);
    else if (mediaType === 'application/json' || mediaType.endsWith('+json') || /^\s*[{[]/.test(text)) redacted = redactJson(text);
    else redacted = redactLooseText(text);

    return shorten(this.text(redacted));
  }
}

const TRACE_REDACTOR = Symbol('connector.traceRedactor');

type TracingFetch = Fetch & { [TRACE_REDACTOR]?: Redactor };

/**
 * Registers secrets to hide in the trace of `fetch`. Does nothing when `fetch` is not a
 * tracing fetch, so callers need not know whether `--verbose` is on.
 */
export function addTraceSecrets(fetch: Fetch, values: Iterable<string | undefined>): void {
  (fetch as TracingFetch)[TRACE_REDACTOR]?.add(values);
}

export interface TraceOptions {
  /** The stream that receives the trace, which is stderr in the CLI. */
  stream: OutputStream;
  clock: Clock;
}

/**
 * Wraps `fetch` so each exchange is written to `options.stream`. The response body is passed
 * through as the caller reads it, and its first bytes are shown once they have passed, so a
 * large body is neither buffered nor read twice.
 */
export function createTracingFetch(fetch: Fetch, options: TraceOptions): Fetch {
  const redactor = new Redactor();
  const write = (prefix: string, line: string) => options.stream.write(`${prefix} ${line}\n`);

  const traced: TracingFetch = async (input, init) => {
    // Built by hand rather than with `new Request(input, init)`, which would consume a streamed body.
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const url = input instanceof Request ? input.url : String(input);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const started = options.clock.now();

    write('*', `${method.toUpperCase()} ${redactor.url(url)}`);
    for (const [name, value] of headerLines(headers)) write('>', `${name}: ${redactor.header(name, value)}`);
    const bodyText = requestBodyText(init?.body);
    // A server may echo what it received; what was sent under a secret's name is hidden by value too.
    redactor.add(sentSecretValues(bodyText, headers));
    if (bodyText !== undefined) {
      write('>', '');
      for (const line of redactor.body(bodyText, mediaTypeOf(headers.get('content-type'))).split('\n')) write('>', line);
    }

    let response: Response;
    try {
      response = await fetch(input, init);
    } catch (error) {
      write('<', `failed after ${options.clock.now() - started} ms: ${redactor.text(describe(error))}`);
      throw error;
    }

    write('<', `HTTP ${response.status} ${response.statusText} (${options.clock.now() - started} ms)`.replace(/\s+\(/, ' ('));
    for (const [name, value] of headerLines(response.headers)) write('<', `${name}: ${redactor.header(name, value)}`);
    return withTracedBody(response, (text) => {
      write('<', '');
      for (const line of redactor.body(text, mediaTypeOf(response.headers.get('content-type'))).split('\n')) write('<', line);
    });
  };

  traced[TRACE_REDACTOR] = redactor;
  return traced;
}

/** Header pairs in order, with each Set-Cookie on its own line. */
function headerLines(headers: Headers): Array<[string, string]> {
  const lines: Array<[string, string]> = [];
  for (const [name, value] of headers) {
    if (name !== 'set-cookie') lines.push([name, value]);
  }
  for (const cookie of headers.getSetCookie()) lines.push(['set-cookie', cookie]);
  return lines;
}

/** Values of sensitive form or JSON fields in a request body, and the credential of its Authorization header. */
function sentSecretValues(bodyText: string | undefined, headers: Headers): string[] {
  const values: string[] = [];
  const credential = /^\S+\s+(.+)$/.exec(headers.get('authorization') ?? '')?.[1];
  if (credential !== undefined) values.push(credential);
  if (bodyText === undefined) return values;

  const collect = (value: unknown, name: string) => {
    if (typeof value === 'string' && isSensitiveField(name)) values.push(value);
    else if (typeof value === 'object' && value !== null) for (const [key, item] of Object.entries(value)) collect(item, key);
  };
  if (/^\s*[{[]/.test(bodyText)) {
    try {
      collect(JSON.parse(bodyText), '');
    } catch {
      // Not JSON after all; the form reading below finds nothing harmful in it.
    }
  }
  for (const [name, value] of new URLSearchParams(bodyText)) collect(value, name);
  return values;
}

function requestBodyText(body: RequestInit['body'] | undefined): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) return new TextDecoder().decode(body);
  return '[a streamed body, not shown]';
}

/**
 * Returns a response whose body passes through a stream that keeps its first bytes and calls
 * `show` with them once enough have passed or the body ends. A body that is not text is shown
 * as its size and type only.
 */
function withTracedBody(response: Response, show: (text: string) => void): Response {
  if (response.body === null) return response;

  const mediaType = mediaTypeOf(response.headers.get('content-type'));
  const captured: Uint8Array[] = [];
  let size = 0;
  let reported = false;
  const showOnce = () => {
    if (reported) return;
    reported = true;
    if (mediaType !== '' && !TEXT_MEDIA_TYPE.test(mediaType)) {
      show(`[${size}${size >= MAX_CAPTURED_BYTES ? '+' : ''} bytes of ${mediaType}]`);
      return;
    }
    const text = new TextDecoder().decode(concat(captured));
    if (text !== '') show(size >= MAX_CAPTURED_BYTES ? `${text}...` : text);
  };

  const passThrough = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (!reported) {
        captured.push(chunk.subarray(0, MAX_CAPTURED_BYTES - size));
        size += chunk.byteLength;
        if (size >= MAX_CAPTURED_BYTES) showOnce();
      }
      controller.enqueue(chunk);
    },
    flush() {
      showOnce();
    },
  });

  const traced = new Response(response.body.pipeThrough(passThrough), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // The constructor cannot set these; callers read `url` for messages.
  Object.defineProperty(traced, 'url', { value: response.url });
  Object.defineProperty(traced, 'redirected', { value: response.redirected });
  return traced;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const result = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    result.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return result;
}

function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function shorten(text: string): string {
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}... (${text.length - MAX_SHOWN_CHARS} more characters)` : text;
}

/** Returns the forms in which a secret can appear in a URL, a form body or a JSON body. */
function encodedForms(value: string): string[] {
  const forms = [value, encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2), JSON.stringify(value).slice(1, -1)];
  // RFC 3986 percent-encoding, as OAuth 1.0a writes it, also encodes ! ' ( ) *.
  forms.push(encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`));
  return forms;
}

/** Redacts the values of sensitive names in `name=value&...` text. Other pairs keep their bytes. */
function redactForm(text: string): string {
  return text
    .split('&')
    .map((pair) => {
      const separator = pair.indexOf('=');
      if (separator === -1) return pair;
      return isSensitiveField(decodeName(pair.slice(0, separator))) ? `${pair.slice(0, separator)}=${REDACTED}` : pair;
    })
    .join('&');
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

/** Redacts JSON by walking it when it parses, else (a cut-off body) by matching `"name": value` pairs. */
function redactJson(text: string): string {
  try {
    return JSON.stringify(redactValue(JSON.parse(text)));
  } catch {
    return redactLooseText(text);
  }
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (typeof value !== 'object' || value === null) return value;

  const result: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const hidden = isSensitiveField(key) && (typeof field === 'string' || typeof field === 'number');
    result[key] = hidden ? REDACTED : redactValue(field);
  }
  return result;
}

/** Text of unknown shape: hides `"name": "value"` pairs and `name=value` pairs with sensitive names. */
function redactLooseText(text: string): string {
  const jsonPairs = text.replace(/"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"?|-?\d[\d.eE+-]*)/g, (whole, name: string, colon: string) =>
    isSensitiveField(name) ? `"${name}"${colon}"${REDACTED}"` : whole,
  );
  return jsonPairs.replace(/([\w.-]+)=([^&\s"']*)/g, (whole, name: string) => (isSensitiveField(name) ? `${name}=${REDACTED}` : whole));
}

function isSensitiveField(name: string): boolean {
  return SENSITIVE_FIELD.test(name) && !DESCRIPTIVE_FIELD.test(name);
}
