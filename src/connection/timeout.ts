import { UsageError } from '../cli/errors.js';

/** The default limit for a request to an API or a token endpoint, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 30;

/** Node's timers hold at most 2^31 - 1 milliseconds, about 24.8 days. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Reads `--timeout SECONDS`, or returns DEFAULT_TIMEOUT_SECONDS when it is absent. */
export function parseTimeoutSeconds(value: unknown): number {
  if (value === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`--timeout ${String(value)} is not a positive number of seconds`, { hint: `the default is ${DEFAULT_TIMEOUT_SECONDS}` });
  }
  if (seconds * 1000 > MAX_TIMER_MS) {
    throw new UsageError(`--timeout ${String(value)} is too long; the maximum is ${Math.floor(MAX_TIMER_MS / 1000)} seconds`);
  }
  return seconds;
}
