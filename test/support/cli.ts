import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const binary = join(root, 'bin', 'connector.cjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  stdin?: string;
}

/**
 * Runs the built `connector` binary as a user would: no terminal, NO_COLOR unset unless given,
 * and a private config folder so no test touches the real user's files. The compile cache is
 * the one test/support/global-setup.ts made for this run, so only the first run of each
 * bundle compiles it.
 */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binary, ...args], {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH,
        HOME: options.cwd,
        CONNECTOR_CONFIG_DIR: join(options.cwd, '.connector-config'),
        ...(process.env.CONNECTOR_TEST_CACHE_DIR ? { CONNECTOR_CACHE_DIR: process.env.CONNECTOR_TEST_CACHE_DIR } : {}),
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // The CLI may exit without reading stdin, which closes the pipe first; that is not a failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

/** A fresh temporary folder, removed by the returned function. */
export function temporaryFolder(prefix = 'connector-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
