import { join } from 'node:path';

import { build } from 'esbuild';

import { root } from '../support/cli.js';

/**
 * Bundles store-driver.ts with the store modules it imports into `folder`, and returns the path
 * of the script, which plain `node` runs.
 */
export async function bundleStoreDriver(folder: string): Promise<string> {
  const outfile = join(folder, 'store-driver.mjs');
  await build({
    entryPoints: [join(root, 'test', 'hostile', 'store-driver.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The store modules do not load the keychain binding, but esbuild must not try to bundle a native module.
    external: ['@napi-rs/keyring'],
    // Some dependencies are CommonJS and call require(); give the ESM bundle one, as scripts/build.mjs does.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}
