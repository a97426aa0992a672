/** Types of `keychain-probe.mjs`, for the TypeScript tests that import it. */
import type { Plugin } from 'esbuild';

export type KeychainProbeResult = { available: true; occupied: boolean } | { available: false; reason: string };

export function probeKeychain(options: {
  folder: string;
  service: string;
  account: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}): Promise<KeychainProbeResult>;

export function keyringByAbsoluteUrl(): Plugin;
