import { CliError, ExitCode, InterruptedError, SilentExit } from './errors.js';
import type { Deps, GlobalOptions, Io } from './deps.js';
import { buildProgram, type CommandTable } from './program.js';
import { colorEnabled, loadColorStyle, styleFor } from './output.js';
import { printable } from '../printable.js';
import { createDeps } from './real-deps.js';

export interface MainContext {
  argv: string[];
  io: Io;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The commands this run can dispatch to: all of them, or those of one bundle. */
  commands: CommandTable;
  /** Aborted when the user presses Ctrl-C; tests may leave it out. */
  signal?: AbortSignal;
  /** Tests replace parts of the real dependencies. */
  overrides?: Partial<Omit<Deps, 'io' | 'env' | 'cwd' | 'options'>>;
}

/**
 * Runs one CLI invocation and returns its exit code. This is the one place that turns errors
 * into exit codes and messages; nothing below it exits the process.
 */
export async function main(context: MainContext): Promise<number> {
  let options: GlobalOptions = { json: false, input: true, color: true, verbose: false };
  const makeDeps = (parsed: GlobalOptions): Deps => {
    options = parsed;
    const io = withColor(context.io, colorEnabled(context.env, parsed.color, context.io.stderr.isTTY));
    const signal = context.signal ?? new AbortController().signal;
    return { ...createDeps(io, context.env, context.cwd, parsed), signal, ...context.overrides, io, env: context.env, cwd: context.cwd, options: parsed };
  };

  // Decided from the raw arguments, before parsing, so chalk loads only when colour can be on.
  if (colorEnabled(context.env, !context.argv.includes('--no-color'), context.io.stderr.isTTY)) await loadColorStyle();

  const program = buildProgram(context.io, makeDeps, context.commands);
  try {
    await program.parseAsync(context.argv, { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    return report(error, context, options);
  }
}

function report(error: unknown, context: MainContext, options: GlobalOptions): number {
  const io = withColor(context.io, colorEnabled(context.env, options.color, context.io.stderr.isTTY));
  const style = styleFor(io);

  if (isCommanderExit(error)) {
    if (error.exitCode === 0) return ExitCode.ok;
    // Commander already printed the message; a script that asked for JSON still gets an object.
    if (context.argv.includes('--json')) {
      // Commander reports a missing command by showing the help, with the message "(outputHelp)".
      const message = error.code === 'commander.help' ? 'no command given' : error instanceof Error ? error.message.replace(/^error: /, '') : 'invalid command line';
      io.stdout.write(`${JSON.stringify({ error: { message, hint: 'connector --help lists the commands and options', exitCode: ExitCode.usage } })}\n`);
    }
    return ExitCode.usage;
  }
  if (error instanceof SilentExit) return error.exitCode;
  if (isPromptCancel(error)) error = new InterruptedError();

  if (error instanceof CliError) {
    if (error instanceof InterruptedError) {
      io.stderr.write('\n');
      return error.exitCode;
    }
    // A message may quote a file name or a value from a file, so control characters are escaped.
    io.stderr.write(`${style.error('error:')} ${printableLines(error.message)}\n`);
    if (error.hint) io.stderr.write(`${style.dim(`hint: ${printableLines(error.hint)}`)}\n`);
    if (options.verbose && error.cause instanceof Error) io.stderr.write(`${style.dim(`cause: ${error.cause.stack ?? error.cause.message}`)}\n`);
    if (options.json) io.stdout.write(`${JSON.stringify({ error: { message: error.message, hint: error.hint ?? null, exitCode: error.exitCode } })}\n`);
    return error.exitCode;
  }

  // Anything else is a bug: show what happened, and the stack only when asked.
  const bug = error instanceof Error ? error : new Error(String(error));
  io.stderr.write(`${style.error('error:')} unexpected failure: ${bug.message}\n`);
  io.stderr.write(options.verbose ? `${bug.stack ?? ''}\n` : `${style.dim('hint: run again with --verbose to see where it happened')}\n`);
  if (options.json) io.stdout.write(`${JSON.stringify({ error: { message: `unexpected failure: ${bug.message}`, hint: null, exitCode: ExitCode.failure } })}\n`);
  return ExitCode.failure;
}

/**
 * Copies `io` with another colour setting. Each property is copied as defined, so a lazy
 * `stdin` stays lazy: reading process.stdin creates the stream, which costs start-up time in
 * every command that never reads it.
 */
function withColor(io: Io, color: boolean): Io {
  const properties = Object.getOwnPropertyDescriptors(io);
  return Object.defineProperties({}, { ...properties, color: { value: color, enumerable: true, writable: true, configurable: true } }) as Io;
}

function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

function isCommanderExit(error: unknown): error is { exitCode: number; code: string } {
  return typeof error === 'object' && error !== null && 'code' in error && String((error as { code: unknown }).code).startsWith('commander.');
}

/** @inquirer/prompts rejects with ExitPromptError on Ctrl-C and AbortPromptError on abort. */
function isPromptCancel(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError');
}
