/**
 * Waiting for the browser to come back to the loopback redirect server: a countdown that ends
 * the wait at a deadline, and pasted URLs for a browser on another machine.
 */

import type { Clock } from '../cli/deps.js';
import { OperationError, UsageError } from '../cli/errors.js';
import type { Sleep } from './oauth2/wait.js';
import type { RedirectServer } from './redirect-server.js';

export interface CountdownOptions {
  timeoutSeconds: number;
  clock: Clock;
  sleep: Sleep;
  onTick?: (secondsLeft: number) => void;
}

/**
 * Reports the seconds left about once a second, and closes the server with an OperationError
 * at the deadline, which rejects its pending result. Returns early once `stop` aborts.
 */
export async function countDown(server: RedirectServer<unknown>, options: CountdownOptions, stop: AbortSignal): Promise<void> {
  const deadline = options.clock.now() + options.timeoutSeconds * 1000;
  const seconds = Math.ceil(options.timeoutSeconds);

  for (;;) {
    const left = deadline - options.clock.now();
    if (left <= 0) break;

    options.onTick?.(Math.ceil(left / 1000));
    // Sleeping to the next whole second keeps the reported seconds in step with the deadline.
    try {
      await options.sleep(left % 1000 === 0 ? 1000 : left % 1000, stop);
    } catch {
      return;
    }
    if (stop.aborted) return;
  }

  await server.close(
    new OperationError(`No authorization response arrived within ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`, {
      hint: 'Run connector connect again and finish signing in within the time shown.',
    }),
  );
}

/**
 * Passes pasted URLs to the redirect server until one settles the flow. A URL for another
 * address is logged and the next one read. `read` resolving undefined stops the reading, and
 * its rejection closes the server with that error.
 */
export async function acceptPastedUrls(
  server: RedirectServer<unknown>,
  read: (signal: AbortSignal) => Promise<string | undefined>,
  log: (line: string) => void,
  stop: AbortSignal,
): Promise<void> {
  while (!stop.aborted) {
    let text: string | undefined;
    try {
      text = await read(stop);
    } catch (error) {
      if (!stop.aborted) await server.close(error instanceof Error ? error : new OperationError(String(error)));
      return;
    }
    if (text === undefined || stop.aborted) return;
    if (text.trim() === '') continue;

    try {
      await server.submitUrl(text);
      return;
    } catch (error) {
      if (!(error instanceof UsageError)) {
        await server.close(error instanceof Error ? error : new OperationError(String(error)));
        return;
      }
      log(error.hint === undefined ? error.message : `${error.message} ${error.hint}`);
    }
  }
}
