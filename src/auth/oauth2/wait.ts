/** Waiting between steps of a flow, injectable so that tests run without real delays. */
import { setTimeout as delay } from 'node:timers/promises';

/** Resolves after `ms` milliseconds; rejects when `signal` aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, signal === undefined ? undefined : { signal });
};
