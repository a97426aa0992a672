/**
 * Runs a child process and kills it with SIGKILL at a chosen moment, for the crash tests. A
 * moment is counted in event-loop turns of this process, either from the spawn or from the
 * n-th change the child makes in a watched folder, so no test waits on a fixed sleep.
 */

import { spawn } from 'node:child_process';
import { watch } from 'node:fs';

export type KillMoment =
  /** `turns` event-loop turns after the spawn: mostly before the child writes anything. */
  | { after: 'spawn'; turns: number }
  /** `turns` event-loop turns after the `events`-th file system event in the watched folder. */
  | { after: 'fileEvents'; events: number; turns: number };

export interface KilledRun {
  /** True when SIGKILL ended the child; false when it exited on its own first. */
  killed: boolean;
  code: number | null;
}

export interface KillOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The folder whose events `fileEvents` moments count. */
  watchFolder: string;
}

/** Starts `node ARGS`, kills it at `moment` unless it has exited, and resolves once it has ended. */
export async function runAndKill(args: string[], options: KillOptions, moment: KillMoment): Promise<KilledRun> {
  let events = 0;
  let notifyEvent: () => void = () => undefined;
  // The watcher starts before the child, so its first write is counted.
  const watcher = watch(options.watchFolder, () => {
    events++;
    notifyEvent();
  });

  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: 'ignore' });
  let exited = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      exited = true;
      notifyEvent();
      resolve({ code, signal });
    });
  });

  try {
    if (moment.after === 'fileEvents') {
      await new Promise<void>((resolve) => {
        notifyEvent = () => {
          if (events >= moment.events || exited) resolve();
        };
        notifyEvent();
      });
    }
    for (let turn = 0; turn < moment.turns && !exited; turn++) await nextTurn();

    if (!exited) child.kill('SIGKILL');
    const { code, signal } = await exit;
    return { killed: signal === 'SIGKILL', code };
  } finally {
    watcher.close();
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Returns a deterministic spread of `count` kill moments. A few count from the spawn, while the
 * child still starts up. The rest count from one of its first `maxEvents` file system events, so
 * they fall on creating, writing, flushing and renaming files.
 */
export function killMoments(count: number, maxEvents: number): KillMoment[] {
  const spawnTurns = [0, 20, 200, 2000];
  const eventTurns = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144];
  return Array.from({ length: count }, (_, index): KillMoment => {
    if (index < spawnTurns.length) return { after: 'spawn', turns: spawnTurns[index] ?? 0 };
    const rest = index - spawnTurns.length;
    // 7 and 5 share no factor with the list lengths, so events and turns pair up differently each time.
    return { after: 'fileEvents', events: 1 + ((rest * 7) % maxEvents), turns: eventTurns[(rest * 5) % eventTurns.length] ?? 0 };
  });
}
