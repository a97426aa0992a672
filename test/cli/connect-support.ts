/**
 * Helpers for the `connector connect` tests: the built CLI with streamed stderr and an open
 * stdin, so a test can act on what the running process prints, and a scan of folders for
 * secret values.
 */
import { spawn } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { binary, type CliResult } from '../support/cli.js';

export interface RunningCli {
  /** Resolves with the first match once stderr matches; rejects when the process exits first. */
  waitForStderr(pattern: RegExp): Promise<RegExpMatchArray>;
  writeStdin(text: string): void;
  endStdin(): void;
  /** The process's pid, for a test that sends it a signal. */
  pid: number | undefined;
  result: Promise<CliResult>;
}

/** Starts the built binary as `runCli` does (no terminal, a private config folder), with stdin left open. */
export function startCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): RunningCli {
  const child = spawn(process.execPath, [binary, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: options.cwd, CONNECTOR_CONFIG_DIR: join(options.cwd, '.connector-config'), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // The CLI may exit before it reads stdin, which closes the pipe first; that is not a failure.
  child.stdin.on('error', () => undefined);

  let stdout = '';
  let stderr = '';
  let exited = false;
  const watchers = new Set<() => void>();
  const notify = () => {
    for (const watcher of [...watchers]) watcher();
  };

  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    notify();
  });
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      exited = true;
      notify();
      resolve({ code, stdout, stderr });
    });
  });
  // A test that only reads stderr must not fail on a pipe the process closed.
  child.stdin.on('error', () => undefined);

  return {
    pid: child.pid,
    result,
    writeStdin: (text) => child.stdin.write(text),
    endStdin: () => child.stdin.end(),
    waitForStderr: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stderr);
          if (match !== null) {
            watchers.delete(check);
            resolve(match);
          } else if (exited) {
            watchers.delete(check);
            reject(new Error(`connector exited before stderr matched ${pattern}:\n${stderr}`));
          }
        };
        watchers.add(check);
        check();
      }),
  };
}

/** Returns the files under `folders` (recursively) whose bytes contain any of `values`; folders that vanish are skipped. */
export function filesContaining(values: readonly string[], folders: readonly string[], skip: readonly string[] = []): string[] {
  const found: string[] = [];
  const visit = (path: string): void => {
    if (skip.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) return;

    let info;
    try {
      info = lstatSync(path);
    } catch {
      return;
    }
    if (info.isDirectory()) {
      let entries: string[] = [];
      try {
        entries = readdirSync(path);
      } catch {
        return;
      }
      for (const entry of entries) visit(join(path, entry));
      return;
    }
    if (!info.isFile() || info.size > 5 * 1024 * 1024) return;

    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return;
    }
    if (values.some((value) => bytes.includes(value))) found.push(path);
  };
  for (const folder of folders) visit(folder);
  return found;
}

/** Reads the opt-in file store that `--insecure-storage` writes, as `{ service: { account: value } }`. */
export function readFileStore(cwd: string): Record<string, Record<string, string>> {
  const text = readFileSync(join(cwd, '.connector-config', 'secrets.json'), 'utf8');
  return (JSON.parse(text) as { services: Record<string, Record<string, string>> }).services;
}
