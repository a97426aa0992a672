import { Readable } from 'node:stream';

import { allCommands } from '../../src/cli/commands.js';
import { main } from '../../src/cli/main.js';
import type { Deps, Prompter } from '../../src/cli/deps.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

class Collector {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(chunk: string | Uint8Array): boolean {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }
}

/** Runs `main` in this process with fake streams, for tests that inject a prompter or a store. */
export async function runInProcess(
  argv: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; stdin?: string; terminal?: boolean; overrides?: Partial<Deps> },
): Promise<InProcessResult> {
  const stdout = new Collector(options.terminal ?? false);
  const stderr = new Collector(options.terminal ?? false);
  const stdin = Object.assign(Readable.from(options.stdin === undefined ? [] : [options.stdin]), { isTTY: options.terminal ?? false });
  const code = await main({
    argv,
    io: { stdout, stderr, stdin, color: false },
    env: { CONNECTOR_CONFIG_DIR: `${options.cwd}/.connector-config`, ...options.env },
    cwd: options.cwd,
    commands: allCommands,
    overrides: options.overrides,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/**
 * Returns a prompter that answers by prompt text: the first entry whose key the message contains wins,
 * and each answer is used once. An unexpected prompt fails the test.
 */
export function scriptedPrompter(script: [string, unknown][]): Prompter & { asked: string[] } {
  const remaining = [...script];
  const asked: string[] = [];
  const answer = (message: string): unknown => {
    asked.push(message);
    const index = remaining.findIndex(([key]) => message.includes(key));
    if (index === -1) throw new Error(`unexpected prompt: ${message}`);
    const [[, value]] = remaining.splice(index, 1) as [[string, unknown]];
    return value;
  };
  return {
    asked,
    input: async (options) => {
      const value = answer(options.message);
      // Like @inquirer/prompts, an empty answer takes the default.
      const text = value === undefined || value === '' ? (options.default ?? '') : String(value);
      const check = options.validate?.(text);
      if (check !== undefined && check !== true) throw new Error(`answer ${JSON.stringify(text)} to "${options.message}" was refused: ${check}`);
      return text;
    },
    password: async (options) => String(answer(options.message)),
    select: async <T>(options: { message: string; default?: T }) => {
      const value = answer(options.message);
      return (value === undefined ? options.default : value) as T;
    },
    confirm: async (options) => {
      const value = answer(options.message);
      return value === undefined ? (options.default ?? false) : Boolean(value);
    },
  };
}
