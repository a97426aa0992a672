import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';

import { OperationError } from '../../src/cli/errors.js';
import { withLock } from '../../src/store/lock.js';

const repositoryRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

let folder: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'connector-lock-'));
});

afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Returns the pid of a process that has exited, so `process.kill(pid, 0)` fails with ESRCH. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolveExit) => child.on('exit', resolveExit));
  return child.pid ?? 0;
}

function lockContent(pid: number): string {
  return JSON.stringify({ pid, hostname: hostname(), token: 'feedfacecafebeef', acquiredAt: Date.now() });
}

describe('withLock', () => {
  test('runs the function and removes the lock file', async () => {
    const lockPath = join(folder, 'state.lock');

    const result = await withLock(lockPath, async () => readFile(lockPath, 'utf8'));

    expect(JSON.parse(result)).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(await readdir(folder)).toEqual([]);
  });

  test('removes the lock file when the function throws', async () => {
    const lockPath = join(folder, 'state.lock');

    await expect(
      withLock(lockPath, async () => {
        throw new Error('refresh failed');
      }),
    ).rejects.toThrow('refresh failed');

    expect(await readdir(folder)).toEqual([]);
  });

  test('creates a missing folder', async () => {
    const lockPath = join(folder, 'config', 'connector', 'state.lock');

    expect(await withLock(lockPath, async () => 'done')).toBe('done');
  });

  test('serializes concurrent holders in one process', async () => {
    const lockPath = join(folder, 'state.lock');
    let inside = 0;
    let maxInside = 0;

    await Promise.all(
      Array.from({ length: 10 }, () =>
        withLock(lockPath, async () => {
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          await new Promise((resolveTick) => setImmediate(resolveTick));
          inside -= 1;
        }),
      ),
    );

    expect(maxInside).toBe(1);
  });

  test('recovers a lock left by a dead process', async () => {
    const lockPath = join(folder, 'state.lock');
    await writeFile(lockPath, lockContent(await deadPid()));

    expect(await withLock(lockPath, async () => 'acquired', { timeoutMs: 5_000 })).toBe('acquired');
  });

  test('recovers a lock not touched for staleMs', async () => {
    const lockPath = join(folder, 'state.lock');
    await writeFile(lockPath, lockContent(process.pid));
    const longAgo = new Date(Date.now() - 120_000);
    await utimes(lockPath, longAgo, longAgo);

    expect(await withLock(lockPath, async () => 'acquired', { timeoutMs: 5_000, staleMs: 60_000 })).toBe('acquired');
  });

  test('recovers when the stale-lock breaker of a dead process is left too', async () => {
    const lockPath = join(folder, 'state.lock');
    const pid = await deadPid();
    await writeFile(lockPath, lockContent(pid));
    await writeFile(`${lockPath}.break`, lockContent(pid));

    expect(await withLock(lockPath, async () => 'acquired', { timeoutMs: 5_000 })).toBe('acquired');
  });

  test('times out on a lock held by a live process', async () => {
    const lockPath = join(folder, 'state.lock');
    await writeFile(lockPath, lockContent(process.pid));

    const error = await withLock(lockPath, async () => 'acquired', { timeoutMs: 50 }).catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(OperationError);
    expect((error as Error).message).toContain(`Timed out after 0.05 s waiting for the lock ${lockPath}, held by process ${process.pid}`);
    expect((error as OperationError).hint).toContain(`delete ${lockPath}`);
  });

  test('waits for a lock file that is still being written', async () => {
    const lockPath = join(folder, 'state.lock');
    await writeFile(lockPath, '');

    await expect(withLock(lockPath, async () => 'acquired', { timeoutMs: 50 })).rejects.toThrow('held by another process');
  });

  test('does not remove a lock that another process took over', async () => {
    const lockPath = join(folder, 'state.lock');

    await withLock(lockPath, async () => {
      await writeFile(lockPath, lockContent(process.pid));
    });

    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ token: 'feedfacecafebeef' });
  });
});

describe('withLock across processes', () => {
  const processCount = 20;
  const incrementsPerProcess = 5;
  let bundleFolder: string;
  let lockModuleUrl: string;

  // Node 20 cannot run TypeScript, so the child processes import lock.ts bundled by esbuild.
  beforeAll(async () => {
    bundleFolder = await mkdtemp(join(tmpdir(), 'connector-lock-bundle-'));
    const outfile = join(bundleFolder, 'lock.mjs');
    await build({
      entryPoints: [join(repositoryRoot, 'src', 'store', 'lock.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'silent',
    });
    lockModuleUrl = pathToFileURL(outfile).href;
  });

  afterAll(async () => {
    await rm(bundleFolder, { recursive: true, force: true });
  });

  /**
   * Starts a child that reports "ready" and waits for a line on stdin, so that all children
   * start together. It then increments the counter file inside the lock. It yields between read
   * and write, which widens the window in which a broken lock would lose an increment.
   */
  function startChild(lockPath: string, counterPath: string): ChildProcess {
    const script = `
      import { readFile, writeFile } from 'node:fs/promises';
      const { withLock } = await import(${JSON.stringify(lockModuleUrl)});
      process.stdout.write('ready\\n');
      await new Promise((go) => process.stdin.once('data', go));
      process.stdin.pause();
      for (let i = 0; i < ${incrementsPerProcess}; i++) {
        await withLock(${JSON.stringify(lockPath)}, async () => {
          const count = Number(await readFile(${JSON.stringify(counterPath)}, 'utf8'));
          await new Promise((tick) => setImmediate(tick));
          await writeFile(${JSON.stringify(counterPath)}, String(count + 1));
        }, { timeoutMs: 60000 });
      }
    `;
    return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  function readyLine(child: ChildProcess): Promise<void> {
    return new Promise((resolveReady, rejectReady) => {
      child.stdout?.once('data', () => resolveReady());
      child.once('exit', (code) => rejectReady(new Error(`child exited with code ${code} before it was ready`)));
    });
  }

  function exitCode(child: ChildProcess): Promise<number | null> {
    let errors = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    return new Promise((resolveExit) =>
      child.once('exit', (code) => {
        if (code !== 0) console.error(errors);
        resolveExit(code);
      }),
    );
  }

  test.each([
    { start: 'no lock file', staleLock: false },
    { start: 'a lock left by a dead process', staleLock: true },
  ])(`${processCount} processes each incrementing a counter ${incrementsPerProcess} times, from $start`, async ({ staleLock }) => {
    const lockPath = join(folder, 'counter.lock');
    const counterPath = join(folder, 'counter');
    await writeFile(counterPath, '0');
    if (staleLock) await writeFile(lockPath, lockContent(await deadPid()));

    const children = Array.from({ length: processCount }, () => startChild(lockPath, counterPath));
    await Promise.all(children.map(readyLine));
    const exits = children.map(exitCode);
    for (const child of children) child.stdin?.end('go\n');

    expect(await Promise.all(exits)).toEqual(Array.from({ length: processCount }, () => 0));
    expect(Number(await readFile(counterPath, 'utf8'))).toBe(processCount * incrementsPerProcess);
    expect(await readdir(folder)).toEqual(['counter']);
  }, 60_000);
});
