import { main } from './main.js';

// A reader that closes the pipe early (`connector schema | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// Ctrl-C aborts the running command, which closes servers and saves nothing; a second Ctrl-C
// ends the process at once.
const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
  // A command that is not waiting on anything abortable still ends soon.
  setTimeout(() => process.exit(130), 2000).unref();
});

// The process boundary: real streams in, an exit code out. Everything else lives in main().
const code = await main({
  signal: interrupt.signal,
  argv: process.argv.slice(2),
  io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, color: false },
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
