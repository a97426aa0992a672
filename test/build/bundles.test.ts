/**
 * The built CLI: the entry routes each command to its own bundle in dist/commands/, and every
 * bundle runs through the compile cache (src/cli/compile-cache.ts).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { commandNames } from '../../src/cli/command-names.js';
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
    const second = await runCli(['validate'], { cwd, env });

    expect(first).toEqual({ code: 0, stdout: 'connector.yaml: valid\n', stderr: '' });
    expect(second).toEqual(first);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^validate-\w+\.cjs\.v\d+\.\d+\.\d+-\w+\.v8cache$/);
    expect(cacheFilesIn(cache)).toEqual(files);
  });

  it('is replaced when it is damaged, and the command still works', async () => {
    const cwd = workspace('damaged');
    const cache = join(folder.path, 'cache-damaged');
    const env = { CONNECTOR_CACHE_DIR: cache };
    await runCli(['get', 'name'], { cwd, env });
    const [file] = cacheFilesIn(cache);
    const path = join(cache, 'compile', file!);
    writeFileSync(path, Buffer.alloc(statSync(path).size, 0x41));

    const damaged = await runCli(['get', 'name'], { cwd, env });

    expect(damaged).toEqual({ code: 0, stdout: 'Zylker Files\n', stderr: '' });
    expect(readFileSync(path).every((byte) => byte === 0x41)).toBe(false);
  });

  it('goes to the home cache folder by default, private to the user', async () => {
    const cwd = workspace('home');
    const env: NodeJS.ProcessEnv = { HOME: cwd };

    const result = spawnSync(process.execPath, [join(root, 'bin', 'connector.cjs'), 'validate'], { cwd, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });

    expect(result.status).toBe(0);
    const compile = join(cwd, '.cache', 'connector', 'compile');
    expect(readdirSync(compile)).toHaveLength(1);
    expect(statSync(compile).mode & 0o777).toBe(0o700);
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
    expect(result.stderr).toBe('connector: the CLI is not built yet. Run `npm install && npm run build` in the package folder.\n');
  });

  it('reports a missing bundle as an error of its own, not as an unbuilt CLI', () => {
    const copy = join(folder.path, 'partial');
    mkdirSync(join(copy, 'dist'), { recursive: true });
    cpSync(join(root, 'bin'), join(copy, 'bin'), { recursive: true });
    copyFileSync(join(root, 'dist', 'cli.cjs'), join(copy, 'dist', 'cli.cjs'));

    const result = spawnSync(process.execPath, [join(copy, 'bin', 'connector.cjs'), 'validate'], { cwd: copy, encoding: 'utf8', env: { PATH: process.env.PATH, NODE_DISABLE_COMPILE_CACHE: '1' } });

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^connector: \S+\/dist\/commands\/validate-\w+\.cjs is missing, so this installation is incomplete\. Reinstall it, or run `npm run build` in the package folder\.\n$/);
  });
});
