// Builds the CLI: regenerates the standalone schema validator, then bundles src/ into dist/
// with esbuild, as CommonJS. dist/cli.cjs is the entry: it contains only what `--version` needs
// (see checkEntry) and loads one bundle from dist/commands/ per run: the bundle of the command
// the arguments name, or the bundle of all commands. Each bundle contains everything its
// command may need, so nothing is loaded twice and each bundle gets one code cache
// (src/cli/compile-cache.ts), except the packages in dist/vendor/ (see vendorModules). Last, it
// renders the root help into dist/help.txt, which src/cli/entry.ts prints without commander.
//
// CommonJS because Node's ES module loader costs about a seventh of a bare Node start, and
// because V8's code cache, which Node 20 offers only through node:vm, takes scripts, not
// modules. The bundles contain no import(): esbuild inlines every dynamic import, as a module
// loaded when first called, so the code cache covers all of it.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, sep } from 'node:path';
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
const shared = {
  absWorkingDir: root,
  outdir,
  write: false,
  metafile: true,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.17',
  outExtension: { '.js': '.cjs' },
  // Less code for V8 to read at every start. keepNames keeps class names, which CliError copies
  // into `error.name`, and function names in the stack traces that --verbose prints.
  minify: true,
  keepNames: true,
  // The keychain binding is a native module; everything else is bundled.
  external: ['@napi-rs/keyring'],
  define: { __CONNECTOR_VERSION__: JSON.stringify(manifest.version), 'import.meta.url': '__connector_import_meta_url' },
  // Strict, as the ES modules were. src/package-root.ts and `open` read import.meta.url; `open`
  // looks for its own xdg-open next to the bundle, where copyXdgOpen puts it.
  banner: { js: "'use strict';\nvar __connector_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  // The last line of every file: bin/connector.cjs and src/cli/entry.ts check it to detect a file cut short.
  footer: { js: 'module.exports.complete = true;' },
  // Inlines every import(): in a script that node:vm runs from a code cache, import() fails.
  supported: { 'dynamic-import': false },
  legalComments: 'none',
  logLevel: 'warning',
};

// Packages that only some runs need: prompts (through src/cli/prompter.ts), the browser opener,
// and colour for a terminal. Each gets a bundle of its own in dist/vendor/, which a command
// bundle requires when it first uses the package, so that `validate` and the other bundles do
// not contain them. They load through plain require, without the compile cache. None of them
// throws the CLI's error classes, of which each bundle has its own copy.
const vendorModules = [
  { out: 'prompter', entry: './src/cli/prompter.ts', specifier: './prompter.js', packages: ['@inquirer/'] },
  { out: 'open', entry: 'open', specifier: 'open', packages: ['open/'] },
  { out: 'chalk', entry: 'chalk', specifier: 'chalk', packages: ['chalk/'] },
];
const vendor = await build({
  ...shared,
  entryPoints: vendorModules.map(({ out, entry }) => ({ in: entry, out })),
  entryNames: 'vendor/[name]-[hash]',
});
const vendorPaths = vendorOutputs(vendor.metafile);

const groups = commandGroups();
const bundles = await build({
  ...shared,
  entryPoints: [...groups.keys(), 'all'].map((name) => ({ in: `connector-bundle:${name}`, out: name })),
  entryNames: 'commands/[name]-[hash]',
  plugins: [bundleEntries(groups), vendorBundles(vendorPaths), yamlEsmBuild(), lazyChildProcessForCommander()],
});
checkNoVendorCode(bundles.metafile);
const bundlePaths = bundleTable(bundles.metafile, groups);

const entry = await build({
  ...shared,
  entryPoints: { cli: join(root, 'src/cli/entry.ts') },
  define: { ...shared.define, __CONNECTOR_BUNDLES__: JSON.stringify(bundlePaths) },
});
checkEntry(entry.metafile);

// Tests and other shells may run the CLI while it is rebuilt, so every file is replaced by a
// rename, bundles before the entry that names them. A run reads its bundle right after the
// entry, so old bundles go last, after the help is rendered, when no run can still need them.
// Without help.txt the CLI renders the help itself, so the old one goes first.
const helpPath = join(outdir, 'help.txt');
rmSync(helpPath, { force: true });
const written = new Set();
for (const file of [...vendor.outputFiles, ...bundles.outputFiles, ...entry.outputFiles]) {
  mkdirSync(dirname(file.path), { recursive: true });
  const temporary = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temporary, file.contents);
  renameSync(temporary, file.path);
  written.add(file.path);
}
written.add(copyXdgOpen());
writeRenderedHelp();
removeOldOutputs(written);
process.stderr.write(`built ${relative(root, join(outdir, 'cli.cjs'))}\n`);

/**
 * Reads src/cli/commands.ts, the table of every command and its module, and groups the command
 * names by module: `stage` serves `ready` and `draft`. Each group becomes one bundle.
 */
function commandGroups() {
  const path = join(root, 'src/cli/commands.ts');
  const text = readFileSync(path, 'utf8');
  const body = /export const allCommands = \{\n([\s\S]*?)\n\};/.exec(text)?.[1];
  const form = /^ {2}(\w+): \(\) => import\('(\.\.\/commands\/[\w-]+\.js)'\),$/;
  const lines = body?.split('\n') ?? [];
  const odd = lines.filter((line) => !form.test(line));
  if (lines.length === 0 || odd.length > 0) {
    process.stderr.write(
      `build: every line of allCommands in ${relative(root, path)} must read \`  name: () => import('../commands/file.js'),\`, so that each command gets a bundle.\n` +
        (odd.length > 0 ? `These do not:\n${odd.map((line) => `  ${line.trim()}`).join('\n')}\n` : 'No such table was found.\n'),
    );
    process.exit(1);
  }
  const entries = lines.map((line) => form.exec(line));
  const groups = new Map();
  for (const [, name, module] of entries) {
    const group = basename(module, '.js');
    if (!groups.has(group)) groups.set(group, { module, names: [] });
    groups.get(group).names.push(name);
  }
  return groups;
}

/** Generates the entry of each bundle: main() and the commands the bundle runs. */
function bundleEntries(groups) {
  const namespace = 'connector-bundle';
  return {
    name: namespace,
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^connector-bundle:/ }, (args) => ({ path: args.path.slice(namespace.length + 1), namespace }));
      pluginBuild.onLoad({ filter: /.*/, namespace }, (args) => {
        const lines = ["export { main } from './main.js';"];
        if (args.path === 'all') {
          lines.push("export { allCommands as commands } from './commands.js';");
        } else {
          const { module, names } = groups.get(args.path);
          lines.push(`export const commands = { ${names.map((name) => `${name}: () => import('${module}')`).join(', ')} };`);
        }
        return { contents: `${lines.join('\n')}\n`, loader: 'js', resolveDir: join(root, 'src/cli') };
      });
    },
  };
}

/** Returns the bundle of each command name and the bundle of all, as paths relative to dist/. */
function bundleTable(metafile, groups) {
  const outputOf = (name) => {
    const output = Object.entries(metafile.outputs).find(([, value]) => value.entryPoint === `connector-bundle:${name}`);
    if (output === undefined) throw new Error(`no output for the ${name} bundle`);
    // The entry joins this to its folder on any system, so it uses forward slashes.
    return relative(outdir, join(root, output[0])).split(sep).join('/');
  };
  const commands = {};
  for (const [group, { names }] of groups) for (const name of names) commands[name] = outputOf(group);
  return { commands, all: outputOf('all') };
}

/**
 * Removes what earlier builds wrote and this one did not: old bundles, and the ES module layout
 * (dist/cli.js, dist/chunks/) of builds before the CommonJS one.
 */
function removeOldOutputs(written) {
  for (const folder of [join(outdir, 'commands'), join(outdir, 'vendor')]) {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (!written.has(path)) rmSync(path, { force: true });
    }
  }
  rmSync(join(outdir, 'cli.js'), { force: true });
  rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
}

/** Returns the bundle of each vendor module, by the specifier that imports it, relative to dist/. */
function vendorOutputs(metafile) {
  const paths = {};
  for (const { out, specifier } of vendorModules) {
    const output = Object.keys(metafile.outputs).find((path) => basename(path).startsWith(`${out}-`) && path.endsWith('.cjs'));
    if (output === undefined) throw new Error(`no vendor bundle for ${specifier}`);
    paths[specifier] = relative(outdir, join(root, output)).split(sep).join('/');
  }
  return paths;
}

/** Turns an import of a vendor module into a require of its bundle, relative to dist/commands/. */
function vendorBundles(paths) {
  return {
    name: 'vendor-bundles',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /.*/ }, (args) => (args.path in paths ? { path: `../${paths[args.path]}`, external: true } : undefined));
    },
  };
}

/** Fails the build when a command bundle contains code of a vendor package after all. */
function checkNoVendorCode(metafile) {
  const packages = vendorModules.flatMap((module) => module.packages);
  for (const [output, value] of Object.entries(metafile.outputs)) {
    const found = packages.filter((name) => Object.keys(value.inputs).some((input) => input.includes(`node_modules/${name}`)));
    if (found.length > 0) {
      process.stderr.write(`build: ${output} contains ${found.join(', ')}, which belong in dist/vendor/. Import them only with await import(...).\n`);
      process.exit(1);
    }
  }
}

/**
 * Copies the xdg-open script that `open` ships to dist/vendor/, where the bundled `open`
 * looks for it, so that Linux machines without xdg-utils still open the browser. Returns its path.
 */
function copyXdgOpen() {
  const require = createRequire(import.meta.url);
  const source = join(dirname(require.resolve('open')), 'xdg-open');
  const target = join(outdir, 'vendor', 'xdg-open');
  const temporary = `${target}.${process.pid}.tmp`;
  copyFileSync(source, temporary);
  chmodSync(temporary, 0o755);
  renameSync(temporary, target);
  return target;
}

/**
 * Runs the new build's `connector --help` with stdout on a pipe, as commander renders it for
 * anything that is not a terminal (80 columns, no colour), and stores the output for entry.ts.
 */
function writeRenderedHelp() {
  // Without the compile cache, which would otherwise be written to the home folder of the user who builds.
  const env = { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' };
  const help = spawnSync(process.execPath, [join(root, 'bin', 'connector.cjs'), '--help'], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (help.status !== 0 || help.stdout === '') {
    process.stderr.write(`build: connector --help with the new dist/ failed (exit code ${help.status}):\n${help.stderr}`);
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
 * Fails the build when dist/cli.cjs contains a dependency from node_modules. The entry is
 * loaded on every start, also for `--version` and the rendered `--help`, so everything else
 * belongs in the bundles.
 */
function checkEntry(metafile) {
  const [path, output] = Object.entries(metafile.outputs).find(([name]) => name.endsWith('dist/cli.cjs'));
  const dependencies = Object.keys(output.inputs).filter((input) => input.includes('node_modules/'));
  if (dependencies.length > 0) {
    process.stderr.write(
      `build: ${path} is loaded on every start, but it contains ${dependencies.join(', ')}.\n` +
        'Import the module that needs it from a command instead, and build again.\n',
    );
    process.exit(1);
  }
}
