#!/usr/bin/env node
// The CLI is bundled into dist/ by `npm run build`; this stub only points there.
import('../dist/cli.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    process.stderr.write('connector: the CLI is not built yet. Run `npm install && npm run build` in the package folder.\n');
    process.exitCode = 1;
    return;
  }
  throw error;
});
