/**
 * The built CLI: the entry routes each command to its own bundle in dist/commands/, and every
 * bundle runs through the compile cache (src/cli/compile-cache.ts).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { commandNames } from '../../src/cli/command-names.js';
import { compileCacheFolder } from '../../src/cli/compile-cache.js';
import { root, runCli, temporaryFolder } from '../support/cli.js';

const folder = temporaryFolder();
afterAll(() => folder.remove());

const connector = `schemaVersion: 1
name: Zylker Files
linkName: zylker_files
auth:
  type: apiKey
  location: header
  parameters:
    - { name: API key, key: X-Api-Key }
`;

function workspace(name: string): string {
  const path = join(folder.path, name);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'connector.yaml'), connector);
  return path;
}

/** Drops the build's last line, `module.exports.complete = true;`, as a copy cut between statements would. */
function withoutLastLine(text: string): string {
  return text.replace(/module\.exports\.complete = true;\n?$/, '');
}

function cacheFilesIn(cache: string): string[] {
  const compile = join(cache, 'compile');
  return existsSync(compile) ? readdirSync(compile).sort() : [];
}

describe('command bundles', () => {
  it.each(commandNames.map((name) => [name]))('%s --help, from its own bundle, matches `help %s` from the bundle of all', async (name) => {
    const cwd = workspace('help');
    const own = await runCli([name, '--help'], { cwd });
    const all = await runCli(['help', name], { cwd });

    expect(own.code).toBe(0);
    expect(own.stdout).toContain(`Usage: connector ${name}`);
    expect(own.stdout).toBe(all.stdout);
  });

  it('contain no import(), which a script run from a code cache cannot do', () => {
    const bundles = join(root, 'dist', 'commands');
    for (const name of readdirSync(bundles)) {
      expect(readFileSync(join(bundles, name), 'utf8'), name).not.toMatch(/(?<![\w$.])import\(/);
    }
  });

  it('run in strict mode, as the ES modules they replace did', () => {
    const bundles = join(root, 'dist', 'commands');
    const files = [join(root, 'dist', 'cli.cjs'), ...readdirSync(bundles).filter((name) => name.endsWith('.cjs')).map((name) => join(bundles, name))];
    for (const file of files) expect(readFileSync(file, 'utf8').startsWith("'use strict';\n"), file).toBe(true);
  });

  it('leave prompts, the browser opener and chalk to dist/vendor/', async () => {
    const cwd = workspace('vendor');
    const vendor = join(root, 'dist', 'vendor');

    // NODE_DEBUG=module makes Node log every file that require loads.
    const result = await runCli(['validate'], { cwd, env: { NODE_DEBUG: 'module' } });

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('dist/commands/validate-');
    expect(result.stderr).not.toContain('dist/vendor/');
    expect(readdirSync(vendor).filter((name) => name.endsWith('.cjs')).map((name) => name.replace(/-\w+\.cjs$/, '')).sort()).toEqual(['chalk', 'open', 'prompter']);
  });

  it('ship the xdg-open script that the bundled `open` looks for', () => {
    const vendor = join(root, 'dist', 'vendor');
    const script = join(vendor, 'xdg-open');
    const open = readdirSync(vendor).find((name) => name.startsWith('open-'))!;

    expect(statSync(script).mode & 0o111).toBe(0o111);
    expect(readFileSync(script, 'utf8')).toMatch(/^#!/);
    expect(readFileSync(join(vendor, open), 'utf8')).toContain('xdg-open');
  });

  it('leaves dependencies out of the entry that every start loads', () => {
    const entry = readFileSync(join(root, 'dist', 'cli.cjs'), 'utf8');

    expect(entry.length).toBeLessThan(20_000);
    expect(entry).not.toMatch(/commander|yaml|ajv/i);
  });
});

describe('compile cache', () => {
  it('is written on the first run of a bundle and serves the next runs', async () => {
    const cwd = workspace('cached');
    const cache = join(folder.path, 'cache-first');
    const env = { CONNECTOR_CACHE_DIR: cache };

    const first = await runCli(['validate'], { cwd, env });
    const files = cacheFilesIn(cache);
    const written = statSync(join(cache, 'compile', files[0]!)).mtimeMs;
    const second = await runCli(['validate'], { cwd, env });

    expect(first).toEqual({ code: 0, stdout: 'connector.yaml: valid\n', stderr: '' });
    expect(second).toEqual(first);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^validate-\w+\.cjs\.\d+\.v\d+\.\d+\.\d+-\w+\.v8cache$/);
    // A cache that V8 accepted is not written again.
    expect(cacheFilesIn(cache)).toEqual(files);
    expect(statSync(join(cache, 'compile', files[0]!)).mtimeMs).toBe(written);
  });

  it('is replaced when it is damaged, and the command still works', async () => {
    const cwd = workspace('damaged');
    const cache = join(folder.path, 'cache-damaged');
    const env = { CONNECTOR_CACHE_DIR: cache };
    await runCli(['get', 'name'], { cwd, env });
    const [file] = cacheFilesIn(cache);
    const path = join(cache, 'compile', file!);
    const data = readFileSync(path);
    for (const at of [100, data.length >> 2, data.length >> 1, data.length - 9]) data[at] = data[at]! ^ 0x10;
    writeFileSync(path, data);

    const damaged = await runCli(['get', 'name'], { cwd, env });

    expect(damaged).toEqual({ code: 0, stdout: 'Zylker Files\n', stderr: '' });
    expect(readFileSync(path).equals(data)).toBe(false);
  });

  it('goes to the home cache folder by default, private to the user', async () => {
    const cwd = workspace('home');
    const env: NodeJS.ProcessEnv = { HOME: cwd };

    const result = spawnSync(process.execPath, [join(root, 'bin', 'connector.cjs'), 'validate'], { cwd, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });

    expect(result.status).toBe(0);
    const compile = compileCacheFolder(env, process.platform, cwd)!;
    expect(readdirSync(compile)).toHaveLength(1);
    expect(statSync(compile).mode & 0o777).toBe(0o700);
  });

  it('is not written by a run that only prints help or fails', async () => {
    const cwd = workspace('help-only');
    const cache = join(folder.path, 'cache-help');
    const env = { CONNECTOR_CACHE_DIR: cache };

    const validateCaches = () => cacheFilesIn(cache).filter((name) => name.startsWith('validate-'));
    for (const args of [['validate', '--help'], ['validate', '-h'], ['help', 'validate'], ['validate', '--version'], ['validate', '--no-such-option'], ['validate', 'missing.yaml']]) {
      await runCli(args, { cwd, env });
      expect(validateCaches(), args.join(' ')).toEqual([]);
    }
    // The bundle of all commands, which `help validate` ran, mostly prints help anyway.
    expect(cacheFilesIn(cache)).toEqual([expect.stringMatching(/^all-/)]);

    await runCli(['validate'], { cwd, env });
    expect(validateCaches()).toHaveLength(1);
  });

  it('is not used with NODE_DISABLE_COMPILE_CACHE', async () => {
    const cwd = workspace('disabled');
    const cache = join(folder.path, 'cache-disabled');

    const result = await runCli(['validate'], { cwd, env: { CONNECTOR_CACHE_DIR: cache, NODE_DISABLE_COMPILE_CACHE: '1' } });

    expect(result.code).toBe(0);
    expect(existsSync(cache)).toBe(false);
  });
});

describe('bin/connector.cjs', () => {
  it('says how to build when dist/ is missing', () => {
    const copy = join(folder.path, 'package');
    mkdirSync(join(copy, 'bin'), { recursive: true });
    copyFileSync(join(root, 'bin', 'connector.cjs'), join(copy, 'bin', 'connector.cjs'));

    const result = spawnSync(process.execPath, [join(copy, 'bin', 'connector.cjs'), '--version'], { encoding: 'utf8' });

    expect(result.status).toBe(1);
    expect(result.stderr).toBe('error: the CLI is not built yet\nhint: run `npm ci && npm run build` in the package folder, or reinstall connector\n');
  });

  it.each([
    ['cut in a statement', (text: string) => text.slice(0, 500), 'SyntaxError: '],
    ['cut between statements', (text: string) => withoutLastLine(text), 'Error: it ends early'],
  ])('reports an entry %s without a stack, in JSON too', (label, damage, reason) => {
    const { run } = partialCopy(`damaged-entry-${label.replaceAll(' ', '-')}`);
    const entry = join(folder.path, `damaged-entry-${label.replaceAll(' ', '-')}`, 'dist', 'cli.cjs');
    writeFileSync(entry, damage(readFileSync(entry, 'utf8')));

    const result = run('--json', 'validate');

    expect(result.status).toBe(1);
    expect(String(result.stderr)).toMatch(/^error: \S+\/dist\/cli\.cjs cannot be loaded \([^\n]+\), so this installation is damaged\nhint: [^\n]+\n$/);
    expect(String(result.stderr)).toContain(`(${reason}`);
    expect(JSON.parse(String(result.stdout))).toEqual({ error: { message: expect.stringContaining('so this installation is damaged'), hint: expect.any(String), exitCode: 1 } });
  });

  /** A copy of the package with bin/ and dist/cli.cjs only; returns a runner for it. */
  function partialCopy(name: string): { bundles: string; run: (...args: string[]) => ReturnType<typeof spawnSync> } {
    const copy = join(folder.path, name);
    mkdirSync(join(copy, 'dist', 'commands'), { recursive: true });
    cpSync(join(root, 'bin'), join(copy, 'bin'), { recursive: true });
    copyFileSync(join(root, 'dist', 'cli.cjs'), join(copy, 'dist', 'cli.cjs'));
    const env = { PATH: process.env.PATH, NODE_DISABLE_COMPILE_CACHE: '1' };
    return {
      bundles: join(copy, 'dist', 'commands'),
      run: (...args) => spawnSync(process.execPath, [join(copy, 'bin', 'connector.cjs'), ...args], { cwd: copy, encoding: 'utf8', env }),
    };
  }

  const validateBundle = () => readdirSync(join(root, 'dist', 'commands')).find((name) => name.startsWith('validate-'))!;

  it('reports a missing bundle as an incomplete installation, in JSON too', () => {
    const { run } = partialCopy('missing');

    const text = run('validate');
    const json = run('validate', '--json');

    expect(text.status).toBe(1);
    expect(text.stderr).toMatch(/^error: \S+\/dist\/commands\/validate-\w+\.cjs is missing, so this installation is incomplete\nhint: run `npm ci && npm run build` in the package folder, or reinstall connector\n$/);
    expect(json.status).toBe(1);
    expect(JSON.parse(String(json.stdout))).toEqual({ error: { message: expect.stringContaining('is missing'), hint: expect.any(String), exitCode: 1 } });
  });

  it.each([
    ['empty', () => '', 'Error: it ends early'],
    ['cut short', () => readFileSync(join(root, 'dist', 'commands', validateBundle()), 'utf8').slice(0, 3000), 'SyntaxError'],
    ['without its last line', () => withoutLastLine(readFileSync(join(root, 'dist', 'commands', validateBundle()), 'utf8')), 'Error: it ends early'],
  ])('reports a bundle that is %s as a damaged installation, without a stack', (_label, contents, reason) => {
    const { bundles, run } = partialCopy(`damaged-${_label.replace(' ', '-')}`);
    writeFileSync(join(bundles, validateBundle()), contents());

    const result = run('validate');

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`cannot be loaded (${reason}`);
    expect(result.stderr).toContain('so this installation is damaged\nhint: run `npm ci');
    expect(String(result.stderr).split('\n')).toHaveLength(3);
  });
});
