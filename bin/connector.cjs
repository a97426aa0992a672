#!/usr/bin/env node
'use strict';
// The CLI is bundled into dist/ by `npm run build`; this stub only points there. It is
// CommonJS, as the bundles are, because Node's ES module loader slows every start.
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'cli.cjs');
let start;
try {
  const loaded = require(entry);
  // The build ends every file with `module.exports.complete = true`, so a file cut short is not run.
  if (loaded.complete !== true) throw new Error('it ends early');
  start = loaded.start;
} catch (error) {
  // Loading dist/cli.cjs only defines functions, so any failure but a missing file means a damaged one.
  const missing = error?.code === 'MODULE_NOT_FOUND' && String(error.message).split('\n')[0].includes(entry);
  const reason = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
  const message = missing ? 'the CLI is not built yet' : `${entry} cannot be loaded (${reason}), so this installation is damaged`;
  const hint = 'run `npm ci && npm run build` in the package folder, or reinstall connector';
  process.stderr.write(`error: ${message}\nhint: ${hint}\n`);
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: { message, hint, exitCode: 1 } })}\n`);
  process.exitCode = 1;
}
if (start !== undefined) start();
