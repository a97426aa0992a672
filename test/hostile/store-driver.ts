/**
 * A child process for the store crash tests: `node store-driver.mjs metadata|secrets FOLDER
 * STEPS` makes writes 1 to STEPS of store-steps.ts in order, and the test kills it with SIGKILL
 * somewhere in between. Node 20 cannot run TypeScript, so the test bundles this file with
 * esbuild first.
 */

import { storeWriter, type StoreKind } from './store-steps.js';

const [kind, folder, steps] = process.argv.slice(2);
if ((kind !== 'metadata' && kind !== 'secrets') || folder === undefined || steps === undefined) {
  process.stderr.write('usage: store-driver metadata|secrets FOLDER STEPS\n');
  process.exit(2);
}

const writer = storeWriter(kind as StoreKind, folder);
for (let step = 1; step <= Number(steps); step++) await writer.write(step);
