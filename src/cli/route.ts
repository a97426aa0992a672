import { commandNames, type CommandName } from './command-names.js';

/** Options of the program that take no value, as `buildProgram` declares them. */
const FLAGS = new Set(['--json', '--no-input', '--no-color', '--verbose']);
const KNOWN: ReadonlySet<string> = new Set(commandNames);

/**
 * Returns the top-level command that commander will run for `argv`, or undefined when that is
 * not certain. The entry then loads the bundle of that one command, so the two must agree.
 * Anything unusual before the command name returns undefined: help, `--version`, `--`, an
 * unknown option, `--json=...`. The bundle of all commands then parses it as commander does.
 */
export function routedCommand(argv: readonly string[]): CommandName | undefined {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (FLAGS.has(arg)) continue;
    // Commander takes the next argument as the value of -f, even one that starts with a dash.
    if (arg === '-f' || arg === '--file') {
      index++;
      continue;
    }
    if (arg.startsWith('--file=') || (arg.startsWith('-f') && !arg.startsWith('--'))) continue;
    if (arg.startsWith('-')) return undefined;
    return KNOWN.has(arg) ? (arg as CommandName) : undefined;
  }
  return undefined;
}
