import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { mediaTypeOf, urlForMessages } from '../auth/http.js';
import type { Deps, OutputStream } from '../cli/deps.js';
import { ExitCode, SilentExit, UsageError } from '../cli/errors.js';
import { printJson, styleFor } from '../cli/output.js';
import { parseTimeoutSeconds, sendApiRequest, type ApiExchange } from '../connection/request.js';
import { openConnection } from '../connection/token.js';

const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** An HTTP method is a token (RFC 9110 section 9.1), in practice letters and sometimes dashes. */
const METHOD = /^[A-Za-z][A-Za-z-]*$/;

/**
 * `connector request [METHOD] URL`: sends a request with the connection's credential, like
 * curl. The body streams to stdout, and HTTP >= 400 exits 1 after the body is printed.
 */
export async function run(args: unknown[], options: Record<string, unknown>, deps: Deps): Promise<void> {
  const body = await readBody(options, deps);
  const { method, url } = parseTarget(args, body !== undefined);
  const headers = parseHeaders(stringList(options.header));
  if (body !== undefined && !headers.has('content-type')) headers.set('Content-Type', body.contentType);

  const connection = await openConnection(deps, typeof options.connection === 'string' ? options.connection : undefined);
  const exchange = await sendApiRequest(connection, {
    method,
    url,
    headers,
    ...(body === undefined ? {} : { body: body.data }),
    allowHosts: stringList(options.allowHost),
    timeoutMs: parseTimeoutSeconds(options.timeout) * 1000,
  });
  const { response } = exchange;

  if (options.include === true) writeStatusAndHeaders(deps.io.stderr, response);
  if (deps.options.json) printJson(deps.io, await jsonResult(exchange));
  else await streamBody(exchange, deps.io.stdout);

  if (response.status >= 400) {
    const statusText = response.statusText === '' ? '' : ` ${response.statusText}`;
    deps.io.stderr.write(`${styleFor(deps.io).error('error:')} ${method} ${urlForMessages(exchange.url.href)} returned HTTP ${response.status}${statusText}\n`);
    throw new SilentExit(ExitCode.failure);
  }
}

/** `[METHOD] URL`: with one argument it is the URL, and the method is POST when there is a body, else GET. */
function parseTarget(args: unknown[], hasBody: boolean): { method: string; url: string } {
  const [first, second] = args as [string, string | undefined];
  if (second === undefined) {
    if (/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/.test(first)) {
      throw new UsageError(`the URL is missing after ${first}`, { hint: `connector request ${first} /v1/me, a path under baseUrl or a full URL` });
    }
    return { method: hasBody ? 'POST' : 'GET', url: first };
  }

  if (!METHOD.test(first)) {
    throw new UsageError(`${JSON.stringify(first)} is not an HTTP method`, { hint: 'write the method first, then the URL: connector request POST /v1/files' });
  }
  return { method: first.toUpperCase(), url: second };
}

/** Parses `-H 'Name: value'` lines. A later header of the same name replaces an earlier one. */
function parseHeaders(lines: string[]): Headers {
  const headers = new Headers();
  for (const line of lines) {
    const invalid = new UsageError(`-H ${JSON.stringify(line)} is not a valid header`, {
      hint: "write it as 'Name: value', with a name of letters, digits and dashes, and no line breaks",
    });
    const separator = line.indexOf(':');
    const name = line.slice(0, Math.max(separator, 0)).trim();
    if (name === '') throw invalid;

    try {
      headers.set(name, line.slice(separator + 1).trim());
    } catch {
      throw invalid;
    }
  }
  return headers;
}

interface RequestBody {
  data: Uint8Array;
  contentType: string;
}

/**
 * Reads `-d/--data` (form data, as curl sends it) or `--data-json`. Each value is literal
 * text, `@FILE`, or `@-` for stdin. Files are sent byte for byte, unlike `curl -d`, which
 * drops their line breaks. Several `-d` values are joined with `&`.
 */
async function readBody(options: Record<string, unknown>, deps: Deps): Promise<RequestBody | undefined> {
  const data = stringList(options.data);
  const json = typeof options.dataJson === 'string' ? options.dataJson : undefined;
  if (data.length > 0 && json !== undefined) throw new UsageError('pass either -d/--data or --data-json, not both');
  if (data.length > 1 && data.some((value) => value.startsWith('@'))) {
    throw new UsageError('several -d values can only be literal text, not @FILE', { hint: 'put the whole body in one file' });
  }

  const sources = json === undefined ? data : [json];
  if (sources.some((value) => value === '@-') && deps.options.file === '-') {
    throw new UsageError('stdin cannot hold both the connector file (-f -) and the request body (@-)');
  }
  if (sources.length === 0) return undefined;

  if (json === undefined) {
    const parts = await Promise.all(data.map((value) => readValue(value, '-d', deps)));
    return { data: joinBytes(parts, '&'), contentType: FORM_MEDIA_TYPE };
  }

  const bytes = await readValue(json, '--data-json', deps);
  try {
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new UsageError(`--data-json is not valid JSON: ${(error as Error).message}`, { hint: 'in a shell, wrap the JSON in single quotes so that the shell keeps its double quotes' });
  }
  return { data: bytes, contentType: 'application/json' };
}

async function readValue(value: string, flag: string, deps: Deps): Promise<Uint8Array> {
  if (!value.startsWith('@')) return new TextEncoder().encode(value);
  if (value === '@-') return readAll(deps.io.stdin);

  const path = resolve(deps.cwd, value.slice(1));
  try {
    return await readFile(path);
  } catch (error) {
    throw new UsageError(`cannot read the ${flag} file ${value.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'paths are relative to the working folder',
    });
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function joinBytes(parts: Uint8Array[], separator: string): Uint8Array {
  return Buffer.concat(parts.flatMap((part, index) => (index === 0 ? [part] : [Buffer.from(separator), part])));
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** Writes the status line and response headers for `-i`, on stderr so that stdout stays the body. */
function writeStatusAndHeaders(stream: OutputStream, response: Response): void {
  const lines = [`HTTP ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}`];
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') lines.push(`${name}: ${value}`);
  }
  for (const cookie of response.headers.getSetCookie()) lines.push(`set-cookie: ${cookie}`);
  stream.write(`${lines.join('\n')}\n\n`);
}

/** Reads the whole body and returns the `--json` result `{status, headers, body}`, with the body parsed when the response is JSON. */
async function jsonResult(exchange: ApiExchange): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
  const { response } = exchange;
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw exchange.bodyError(error);
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) headers[name] = name in headers ? `${headers[name]}, ${value}` : value;

  const mediaType = mediaTypeOf(response.headers.get('content-type'));
  let body: unknown = text;
  if ((mediaType === 'application/json' || mediaType.endsWith('+json')) && text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      // A body that claims JSON but does not parse is returned as text.
    }
  }
  return { status: response.status, headers, body };
}

/** Copies the body to stdout chunk by chunk, waiting for the stream to drain, so a large body is never held in memory. */
async function streamBody(exchange: ApiExchange, stdout: OutputStream): Promise<void> {
  if (exchange.response.body === null) return;
  try {
    for await (const chunk of exchange.response.body) await write(stdout, chunk);
  } catch (error) {
    throw exchange.bodyError(error);
  }
}

async function write(stream: OutputStream, chunk: Uint8Array): Promise<void> {
  const flushed = stream.write(chunk);
  const emitter = stream as Partial<NodeJS.WritableStream>;
  if (flushed === false && typeof emitter.once === 'function') {
    await new Promise<void>((resolve) => emitter.once!('drain', () => resolve()));
  }
}
