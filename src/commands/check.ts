import { cleanProviderText } from '../auth/oauth2/token-response.js';
import type { Deps } from '../cli/deps.js';
import { AuthorizationError, CliError, InterruptedError, OperationError, SilentExit, UsageError } from '../cli/errors.js';
import { printJson, printLine, styleFor } from '../cli/output.js';
import { parseTimeoutSeconds, resolveRequestUrl, sendApiRequest } from '../connection/request.js';
import { loadReadyConnector } from '../connection/services.js';
import { credentialSecrets, openConnectionFor, reconnectHint, type OpenedConnection } from '../connection/token.js';
import { Redactor } from '../cli/trace.js';

/** Bytes of the response body kept to show why a check failed. */
const MAX_SNIPPET_BYTES = 4096;

interface CheckOutcome {
  result: CheckResult;
  /** The line printed for a passed check. */
  summary?: string;
  failure?: CliError;
}

interface CheckResult {
  ok: boolean;
  /** The HTTP status, or null when no response arrived. */
  status: number | null;
  durationMs: number;
  url: string;
  error?: string;
}

/**
 * `connector check [--connection NAME]`: sends the connector's `test` request with the
 * connection's credential. Exits 0 for 2xx, 4 for 401, 403 or a credential that cannot be
 * renewed, and 1 for any other status or a network failure.
 */
export async function run(_args: unknown[], options: Record<string, unknown>, deps: Deps): Promise<void> {
  const loaded = await loadReadyConnector(deps);
  const test = loaded.connector.test;
  if (test === undefined) {
    throw new UsageError(`${loaded.loaded.source.label} has no test request, so there is nothing to check`, {
      hint: 'add one, e.g. connector set test \'{"method": "GET", "url": "/v1/me"}\' (a path that needs the credential)',
    });
  }

  const connection = await openConnectionFor(deps, loaded, typeof options.connection === 'string' ? options.connection : undefined);
  const url = resolveRequestUrl(connection.connector, connection.connector.test?.url ?? test.url);
  const started = deps.clock.now();
  const result = (fields: Omit<CheckResult, 'durationMs' | 'url'>): CheckResult => ({ ...fields, durationMs: deps.clock.now() - started, url: url.href });

  let outcome: CheckOutcome;
  try {
    outcome = await sendTest(connection, test.method, url, options, result);
  } catch (error) {
    // Setup problems and Ctrl-C are not results of the check.
    if (!(error instanceof CliError) || error instanceof UsageError || error instanceof InterruptedError) throw error;
    outcome = { result: result({ ok: false, status: null, error: error.message }), failure: error };
  }
  report(deps, outcome);
}

async function sendTest(
  connection: OpenedConnection,
  method: string,
  url: URL,
  options: Record<string, unknown>,
  result: (fields: Omit<CheckResult, 'durationMs' | 'url'>) => CheckResult,
): Promise<CheckOutcome> {
  // The connector author chose the test URL, so its host may receive the credential.
  const exchange = await sendApiRequest(connection, {
    method,
    url: url.href,
    headers: new Headers({ Accept: 'application/json, */*;q=0.5' }),
    allowHosts: [url.host],
    timeoutMs: parseTimeoutSeconds(options.timeout) * 1000,
  });
  const { response } = exchange;
  const rawSnippet = await readSnippet(response).catch((error: unknown) => {
    throw exchange.bodyError(error);
  });
  // An API may echo the request, credential included, in an error body.
  const redactor = new Redactor();
  redactor.add(credentialSecrets(connection.credential));
  const redacted = redactor.body(rawSnippet, response.headers.get('content-type')?.split(';')[0]?.trim() ?? '');
  const snippet = cleanProviderText(redacted.replace(/\s+/g, ' '), 200);

  const statusText = response.statusText === '' ? '' : ` ${response.statusText}`;
  const line = `${method} ${url.href}: HTTP ${response.status}${statusText}`;
  if (response.status >= 200 && response.status < 300) {
    const passed = result({ ok: true, status: response.status });
    return { result: passed, summary: `${line} in ${passed.durationMs} ms` };
  }

  const failed = result({ ok: false, status: response.status });
  failed.error = `${line} in ${failed.durationMs} ms${snippet === '' ? '' : `: ${snippet}`}`;
  const failure =
    response.status === 401 || response.status === 403
      ? new AuthorizationError(failed.error, {
          hint: `the API rejected the credential of connection ${connection.name}; ${reconnectHint(connection.name)}${response.status === 403 ? ', or check that the scopes cover the test request' : ''}`,
        })
      : new OperationError(failed.error);
  return { result: failed, failure };
}

function report(deps: Deps, { result, summary, failure }: CheckOutcome): void {
  if (deps.options.json) printJson(deps.io, result);

  if (failure === undefined) {
    if (!deps.options.json) printLine(deps.io, summary);
    return;
  }
  if (!deps.options.json) throw failure;

  // The result is already on stdout, so the message goes to stderr and no second JSON document follows.
  const style = styleFor(deps.io);
  deps.io.stderr.write(`${style.error('error:')} ${failure.message}\n`);
  if (failure.hint !== undefined) deps.io.stderr.write(`${style.dim(`hint: ${failure.hint}`)}\n`);
  throw new SilentExit(failure.exitCode);
}

/** Reads the first bytes of the body as text, and drops the rest. */
async function readSnippet(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < MAX_SNIPPET_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, MAX_SNIPPET_BYTES).toString('utf8');
}
