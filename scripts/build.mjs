// Builds the CLI: regenerates the standalone schema validator, then bundles src/ into dist/
// with esbuild. Each command is its own chunk, loaded only when that command runs.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

import { generateValidatorSource, outputPath } from './generate-validator.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

writeFileSync(outputPath, generateValidatorSource());

rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: { cli: join(root, 'src/cli/entry.ts') },
  outdir: join(root, 'dist'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.17',
  chunkNames: 'chunks/[name]-[hash]',
  // The keychain binding is a native module, and `open` ships a helper script it finds next to itself.
  external: ['@napi-rs/keyring', 'open'],
  define: { __CONNECTOR_VERSION__: JSON.stringify(manifest.version) },
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
process.stderr.write('built dist/cli.js\n');
