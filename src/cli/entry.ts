// The CLI's entry, bundled by scripts/build.mjs into dist/cli.cjs. It prints `--version` and
// the piped `--help` at once, and otherwise loads the bundle of the one command the arguments
// name (or of all commands), through V8's code cache (compile-cache.ts). Everything is
// CommonJS: Node's ES module loader alone adds about a seventh to a bare Node start.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { MainContext } from './main.js';
import type { CommandTable } from './program.js';
import { packageVersion } from './version.js';

/** The exports of each bundle: src/cli/main.ts's main, and the commands the bundle contains. */
interface Bundle {
  main: (context: MainContext) => Promise<number>;
  commands: CommandTable;
  /** Set by the bundle's last line, so a file cut short at a statement is not run. */
  complete: true;
}

/** Written by the build: the bundle of each command, and the one of all commands, relative to this file. */
declare const __CONNECTOR_BUNDLES__: { commands: Record<string, string>; all: string };

/**
 * Runs the CLI with the process's arguments. bin/connector.cjs calls it once it has loaded this
 * file, so that a damaged file which still parses is reported instead of doing nothing.
 */
export function start(): void {
  const argv = process.argv.slice(2);
  const quick = quickOutput(argv);
  if (quick !== undefined) {
    exitQuietlyOnClosedPipe(process.stdout);
    process.stdout.write(quick);
    return;
  }
  void run(argv).then((code) => {
    process.exitCode = code;
    // A keychain call that timed out may keep the event loop open inside the native binding.
    // After a failure nothing else is left to wait for, so the process ends a second later.
    if (code !== 0) setTimeout(() => process.exit(), 1000).unref();
  });
}

/**
 * Returns the output of `connector --version`, and of `connector --help` when stdout is not a
 * terminal, without loading commander and the command table, because scripts call both to
 * probe for the tool. The output is commander's, byte for byte. For help, the build renders it
 * into help.txt next to this file. Returns undefined when commander must run.
 */
function quickOutput(args: string[]): string | undefined {
  if (args.length !== 1) return undefined;
  if (args[0] === '--version' || args[0] === '-V') return `${packageVersion()}\n`;
  // On a terminal, commander wraps the help to its width; elsewhere it uses 80 columns, as the build did.
  if ((args[0] === '--help' || args[0] === '-h') && process.stdout.isTTY !== true) return renderedHelp();
  return undefined;
}

/** Reads the help the build rendered; undefined before the build wrote it, or when it is empty. */
function renderedHelp(): string | undefined {
  try {
    return readFileSync(join(__dirname, 'help.txt'), 'utf8') || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reports a missing or damaged file in dist/ as main() reports errors, with a JSON object on
 * stdout under --json, and returns exit code 1.
 */
function reportBrokenInstallation(message: string, args: string[]): number {
  const hint = 'run `npm ci && npm run build` in the package folder, or reinstall connector';
  process.stderr.write(`error: ${message}\nhint: ${hint}\n`);
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify({ error: { message, hint, exitCode: 1 } })}\n`);
  return 1;
}

/** Exits quietly when the reader closes the pipe early (`connector schema | head`), which is not an error. */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

async function run(args: string[]): Promise<number> {
  exitQuietlyOnClosedPipe(process.stdout);
  exitQuietlyOnClosedPipe(process.stderr);

  // Ctrl-C aborts the running command, which closes servers and saves nothing; a second Ctrl-C
  // ends the process at once.
  const interrupt = new AbortController();
  process.on('SIGINT', () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
    // A command that is not waiting on anything abortable still ends soon.
    setTimeout(() => process.exit(130), 2000).unref();
  });

  // The process boundary: real streams in, an exit code out. Everything else lives in main(),
  // in the bundle loaded here. The build inlines these imports, so that the quick outputs above
  // load neither node:vm nor node:v8.
  const [{ compileCacheFolder, loadBundle }, { routedCommand }] = await Promise.all([import('./compile-cache.js'), import('./route.js')]);
  const routed = routedCommand(args);
  const relative = routed === undefined ? __CONNECTOR_BUNDLES__.all : (__CONNECTOR_BUNDLES__.commands[routed] ?? __CONNECTOR_BUNDLES__.all);
  const path = join(__dirname, relative);
  let loaded: ReturnType<typeof loadBundle>;
  try {
    loaded = loadBundle(path, compileCacheFolder(process.env));
    if ((loaded.exports as Partial<Bundle>).complete !== true) throw new Error('it ends early');
  } catch (error) {
    // A bundle only defines functions when it loads, so any failure here means a missing or damaged file.
    if (!existsSync(path)) return reportBrokenInstallation(`${path} is missing, so this installation is incomplete`, args);
    const reason = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
    return reportBrokenInstallation(`${path} cannot be loaded (${reason}), so this installation is damaged`, args);
  }
  // A cache is not written again once V8 accepts it, so it keeps the code of the run that wrote
  // it. A run of a command's bundle that failed or only printed help or the version ran little
  // of its command, so it writes none. The bundle of all commands mostly prints help anyway.
  const printsOnly = routed !== undefined && args.some((arg) => ['-h', '--help', '-V', '--version'].includes(arg));
  process.once('exit', (code) => {
    if (code === 0 && !printsOnly) loaded.saveCache();
  });
  const bundle = loaded.exports as Bundle;
  return bundle.main({
    signal: interrupt.signal,
    argv: args,
    commands: bundle.commands,
    io: {
      stdout: process.stdout,
      stderr: process.stderr,
      // Reading process.stdin creates the stream, so only commands that use stdin pay for it.
      get stdin() {
        return process.stdin;
      },
      color: false,
    },
    env: process.env,
    cwd: process.cwd(),
  });
}
