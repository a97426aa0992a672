/**
 * The entry loads the bundle of the one command that `routedCommand` names (src/cli/route.ts),
 * whose program declares only that command. These tests hold the routing to commander's own
 * parsing: whenever a command is named, the program with every command and the program with
 * only that one do the same thing, byte for byte.
 */
import { Readable } from 'node:stream';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { commandNames, type CommandName } from '../../src/cli/command-names.js';
import { allCommands } from '../../src/cli/commands.js';
import type { Deps, GlobalOptions } from '../../src/cli/deps.js';
import { buildProgram, type CommandTable } from '../../src/cli/program.js';
import { routedCommand } from '../../src/cli/route.js';

interface Outcome {
  ran: { command: CommandName; args: unknown[]; options: Record<string, unknown>; globals: GlobalOptions } | undefined;
  error: { code: string; exitCode: number } | undefined;
  stdout: string;
  stderr: string;
}

/** Returns a table whose commands record that they ran instead of running. */
function recordingTable(names: readonly CommandName[], outcome: Outcome): CommandTable {
  const table: Record<string, () => Promise<unknown>> = {};
  for (const command of names) {
    const action = async (args: unknown[], options: Record<string, unknown>, deps: Deps) => {
      outcome.ran = { command, args, options, globals: deps.options };
    };
    // Every export a command module has (run, runReady, runGet, runList, ...), but no `then`, which await would call.
    table[command] = async () => new Proxy({}, { get: (_target, key) => (key === 'then' ? undefined : action) });
  }
  return table as CommandTable;
}

/** Parses `argv` with a program of `names` only, as main() does, and returns what happened. */
async function parse(argv: string[], names: readonly CommandName[]): Promise<Outcome> {
  const outcome: Outcome = { ran: undefined, error: undefined, stdout: '', stderr: '' };
  const io = {
    stdout: { write: (text: string | Uint8Array) => (outcome.stdout += String(text)) },
    stderr: { write: (text: string | Uint8Array) => (outcome.stderr += String(text)) },
    stdin: Readable.from([]),
    color: false,
  };
  const makeDeps = (options: GlobalOptions) => ({ options }) as unknown as Deps;
  const program = buildProgram(io, makeDeps, recordingTable(names, outcome));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    const { code, exitCode } = error as { code: string; exitCode: number };
    outcome.error = { code, exitCode };
  }
  return outcome;
}

describe('routedCommand', () => {
  it.each([
    [['validate'], 'validate'],
    [['validate', 'a.yaml', '--json'], 'validate'],
    [['--json', '--no-input', '--no-color', '--verbose', 'token'], 'token'],
    [['-f', 'x.yaml', 'get', 'name'], 'get'],
    [['-f', 'validate', 'token'], 'token'],
    [['-f', '--json', 'check'], 'check'],
    [['--file', 'x.yaml', 'ready'], 'ready'],
    [['--file=x.yaml', 'draft'], 'draft'],
    [['-fx.yaml', 'set', 'name', 'A'], 'set'],
    [['scopes', 'add', '--value', 'x'], 'scopes'],
    [['secret', 'set', 'clientSecret'], 'secret'],
  ] as const)('routes %j to %s', (argv, expected) => {
    expect(routedCommand(argv)).toBe(expected);
  });

  it.each([
    [[]],
    [['--help']],
    [['-h', 'validate']],
    [['--version']],
    [['-V', 'validate']],
    [['help', 'validate']],
    [['--', 'validate']],
    [['--json=true', 'validate']],
    [['--bogus', 'validate']],
    [['-x', 'validate']],
    [['-f']],
    [['--file']],
    [['valdate']],
    [['Validate']],
    [['toString']],
    [['constructor']],
  ] as const)('leaves %j to the bundle of all commands', (argv) => {
    expect(routedCommand(argv)).toBeUndefined();
  });

  it('knows every command, in the order of the table and the help', () => {
    const outcome: Outcome = { ran: undefined, error: undefined, stdout: '', stderr: '' };
    const program = buildProgram({ stdout: { write: () => true }, stderr: { write: () => true }, stdin: Readable.from([]), color: false }, () => ({}) as Deps, recordingTable(commandNames, outcome));

    expect(Object.keys(allCommands)).toEqual([...commandNames]);
    expect(program.commands.map((command) => command.name())).toEqual([...commandNames]);
  });
});

describe('a program of one command', () => {
  it.each(commandNames.map((name) => [name]))('%s alone prints as the full program', async (name) => {
    for (const argv of [[name, '--help'], [name, '--no-such-option'], ['--json', name, '--no-such-option'], [name, 'extra', 'arguments', 'here', 'and', 'more']]) {
      expect(await parse(argv, [name]), argv.join(' ')).toEqual(await parse(argv, commandNames));
    }
  });

  it('runs whatever commander runs for any argument list that names a command', async () => {
    const token = fc.constantFrom(
      ...commandNames,
      'list',
      'add',
      'set',
      'name',
      'x.yaml',
      '-',
      '--',
      '-f',
      '--file',
      '--file=x.yaml',
      '-fx.yaml',
      '--json',
      '--no-input',
      '--no-color',
      '--verbose',
      '--help',
      '-h',
      '--version',
      '-V',
      '--value',
      '--connection',
      '--insecure-storage',
      '--bogus',
      '-x',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 7 }), async (argv) => {
        const routed = routedCommand(argv);
        if (routed === undefined) return;
        const alone = await parse(argv, [routed]);
        const every = await parse(argv, commandNames);
        expect(alone).toEqual(every);
        if (every.ran !== undefined) expect(every.ran.command).toBe(routed);
      }),
      { seed: 20_261_204, numRuns: 300 },
    );
  });
});
