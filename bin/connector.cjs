#!/usr/bin/env node
'use strict';
// The CLI is bundled into dist/ by `npm run build`; this stub only points there. It is
// CommonJS, as the bundles are, because Node's ES module loader slows every start.
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'cli.cjs');
try {
  require(entry);
} catch (error) {
  const missing = error?.code === 'MODULE_NOT_FOUND' && String(error.message).split('\n')[0].includes(entry);
  // dist/cli.cjs only defines functions and reads arguments when it loads, so a SyntaxError means a damaged file.
  if (!missing && !(error instanceof SyntaxError)) throw error;
  const message = missing ? 'the CLI is not built yet' : `${entry} cannot be loaded (SyntaxError: ${error.message}), so this installation is damaged`;
  const hint = 'run `npm ci && npm run build` in the package folder, or reinstall connector';
  process.stderr.write(`error: ${message}\nhint: ${hint}\n`);
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: { message, hint, exitCode: 1 } })}\n`);
  process.exitCode = 1;
}
