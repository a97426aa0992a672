// Builds the CLI: regenerates the standalone schema validator, then bundles src/ into dist/
// with esbuild. Each command is its own chunk, loaded only when that command runs.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

import { generateValidatorSource, outputPath } from './generate-validator.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

writeFileSync(outputPath, generateValidatorSource());

const outdir = join(root, 'dist');
const result = await build({
  entryPoints: { cli: join(root, 'src/cli/entry.ts') },
  outdir,
  write: false,
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
// Tests and other shells may run the CLI while it is rebuilt, so every file is replaced by a
// rename, chunks before the entry that imports them, and old chunks go only after a minute.
const written = new Set();
const files = [...result.outputFiles].sort((a, b) => Number(a.path.endsWith('cli.js')) - Number(b.path.endsWith('cli.js')));
for (const file of files) {
  mkdirSync(dirname(file.path), { recursive: true });
  const temporary = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temporary, file.contents);
  renameSync(temporary, file.path);
  written.add(file.path);
}
const chunks = join(outdir, 'chunks');
for (const name of readdirSync(chunks)) {
  const path = join(chunks, name);
  if (!written.has(path) && Date.now() - statSync(path).mtimeMs > 60_000) rmSync(path, { force: true });
}
process.stderr.write(`built ${relative(root, join(outdir, 'cli.js'))}\n`);
