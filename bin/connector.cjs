#!/usr/bin/env node
'use strict';
// The CLI is bundled into dist/ by `npm run build`; this stub only points there. It is
// CommonJS, as the bundles are, because Node's ES module loader slows every start.
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'cli.cjs');
try {
  require(entry);
} catch (error) {
  if (error?.code !== 'MODULE_NOT_FOUND' || !String(error.message).split('\n')[0].includes(entry)) throw error;
  process.stderr.write('connector: the CLI is not built yet. Run `npm install && npm run build` in the package folder.\n');
  process.exitCode = 1;
}
