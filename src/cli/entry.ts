import { main } from './main.js';

// A reader that closes the pipe early (`connector schema | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// The process boundary: real streams in, an exit code out. Everything else lives in main().
const code = await main({
  argv: process.argv.slice(2),
  io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, color: false },
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
