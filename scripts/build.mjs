// Builds the CLI: regenerates the standalone schema validator, then bundles src/ into dist/
// with esbuild. Each command is its own chunk, loaded only when that command runs, and the
// entry chunk holds only what `connector --version` needs (see checkEntryChunk). Last, it
// renders the root help into dist/help.txt, which src/cli/entry.ts prints without commander.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

import { generateValidatorSource, outputPath } from './generate-validator.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// Written only when it changed, so a build leaves the file's timestamp alone and a test can
// still tell a stale committed file from a fresh one.
const validatorSource = generateValidatorSource();
if (!existsSync(outputPath) || readFileSync(outputPath, 'utf8') !== validatorSource) writeFileSync(outputPath, validatorSource);

const outdir = join(root, 'dist');
const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: join(root, 'src/cli/entry.ts') },
  outdir,
  write: false,
  metafile: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.17',
  chunkNames: 'chunks/[name]-[hash]',
  // Less code for V8 to read at every start. keepNames keeps class names, which CliError copies
  // into `error.name`, and function names in the stack traces that --verbose prints.
  minify: true,
  keepNames: true,
  plugins: [yamlEsmBuild(), lazyChildProcessForCommander()],
  // The keychain binding is a native module, and `open` ships a helper script it finds next to itself.
  external: ['@napi-rs/keyring', 'open'],
  define: { __CONNECTOR_VERSION__: JSON.stringify(manifest.version) },
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
checkEntryChunk(result.metafile);

// Tests and other shells may run the CLI while it is rebuilt, so every file is replaced by a
// rename, chunks before the entry that imports them, and old chunks go only after a minute.
// Without help.txt the CLI renders the help itself, so the old one goes first.
const helpPath = join(outdir, 'help.txt');
rmSync(helpPath, { force: true });
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
writeRenderedHelp();
process.stderr.write(`built ${relative(root, join(outdir, 'cli.js'))}\n`);

/**
 * Runs the new build's `connector --help` with stdout on a pipe, as commander renders it for
 * anything that is not a terminal (80 columns, no colour), and stores the output for entry.ts.
 */
function writeRenderedHelp() {
  const help = spawnSync(process.execPath, [join(outdir, 'cli.js'), '--help'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (help.status !== 0 || help.stdout === '') {
    process.stderr.write(`build: the new dist/cli.js --help failed (exit code ${help.status}):\n${help.stderr}`);
    process.exit(1);
  }
  const temporary = `${helpPath}.${process.pid}.tmp`;
  writeFileSync(temporary, help.stdout);
  renameSync(temporary, helpPath);
}

/**
 * Resolves `yaml` to the package's ES module build. Its `node` export is CommonJS, which
 * esbuild wraps whole, and the ES module build lets it drop what no command uses. Both builds
 * come from the same source. The ES one warns through console.warn instead of
 * process.emitWarning, and decodes `!!binary`, a YAML 1.1 tag that the core schema used here
 * does not resolve, to a Uint8Array instead of a Buffer.
 */
function yamlEsmBuild() {
  const require = createRequire(import.meta.url);
  const entry = join(dirname(require.resolve('yaml/package.json')), 'browser', 'dist', 'index.js');
  return {
    name: 'yaml-esm-build',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^yaml$/ }, () => ({ path: entry }));
    },
  };
}

/**
 * Gives commander a stand-in for node:child_process that loads the module on the first call.
 * Commander needs it only to run executable subcommands, which this CLI does not have, but it
 * requires it at load time, and loading it costs every command a few milliseconds.
 */
function lazyChildProcessForCommander() {
  const namespace = 'lazy-child-process';
  return {
    name: namespace,
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (args.importer.includes('/node_modules/commander/') ? { path: 'child_process', namespace } : undefined));
      pluginBuild.onLoad({ filter: /.*/, namespace }, () => ({
        loader: 'js',
        contents: "let childProcess;\nexports.spawn = (...args) => (childProcess ??= require('node:child_process')).spawn(...args);\n",
      }));
    },
  };
}

/**
 * Fails the build when dist/cli.js, or a chunk it imports statically, contains a dependency
 * from node_modules. Those chunks are loaded on every start, also for `--version` and the
 * rendered `--help`, so everything else must be imported where it is used.
 */
function checkEntryChunk(metafile) {
  const entry = Object.keys(metafile.outputs).find((path) => path.endsWith('dist/cli.js'));
  const seen = new Set();
  const pending = [entry];
  while (pending.length > 0) {
    const output = pending.pop();
    if (seen.has(output)) continue;
    seen.add(output);

    const dependencies = Object.keys(metafile.outputs[output].inputs).filter((input) => input.includes('node_modules/'));
    if (dependencies.length > 0) {
      process.stderr.write(
        `build: ${output} is loaded on every start, but it contains ${dependencies.join(', ')}.\n` +
          'Import the module that needs it with `await import(...)` where it is used, and build again.\n',
      );
      process.exit(1);
    }
    for (const imported of metafile.outputs[output].imports) {
      if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
    }
  }
}
