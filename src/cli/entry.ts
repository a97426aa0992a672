import { readFileSync } from 'node:fs';

import { packageVersion } from './version.js';

const argv = process.argv.slice(2);
const quick = quickOutput(argv);
if (quick !== undefined) {
  exitQuietlyOnClosedPipe(process.stdout);
  process.stdout.write(quick);
} else {
  process.exitCode = await run(argv);
  // A keychain call that timed out may keep the event loop open inside the native binding.
  // After a failure nothing else is left to wait for, so the process ends a second later.
  if (process.exitCode !== 0) setTimeout(() => process.exit(), 1000).unref();
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

/** Reads the help the build rendered; undefined when running from source or before the build wrote it. */
function renderedHelp(): string | undefined {
  try {
    return readFileSync(new URL('help.txt', import.meta.url), 'utf8');
  } catch {
    return undefined;
  }
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
  // which is imported here so that the quick outputs above load none of it.
  const { main } = await import('./main.js');
  return main({
    signal: interrupt.signal,
    argv: args,
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
