import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { findRepositoryRoot, linkNamesInRepository } from '../../src/definition/repository.js';
import { runCli, temporaryFolder } from '../support/cli.js';
import { writeFixtureRepository, type FixtureRepository } from '../support/fixture-repository.js';
import { runInProcess, scriptedPrompter } from '../support/in-process.js';

let folder: { path: string; remove: () => void };
let repository: FixtureRepository;
beforeEach(() => {
  folder = temporaryFolder();
  repository = writeFixtureRepository(join(folder.path, 'repo'));
});
afterEach(() => folder.remove());

/** HOME sits above the repository, as it does for a real checkout, so the walk up reaches `.git`. */
const cli = (args: string[], cwd = repository.root) => runCli(args, { cwd, env: { HOME: folder.path } });
const read = (path: string) => readFileSync(join(repository.root, path), 'utf8');

describe('validate of a repository folder', () => {
  it('exits 3 and prints the summary line', async () => {
    const result = await cli(['validate', '.']);
    expect(result.code).toBe(3);
    const count = repository.connectors.length;
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(`${count} files checked: ${count - 4} valid, 4 invalid, 4 errors`);
  });

  it('reports each broken file with its position', async () => {
    const lines = (await cli(['validate', '.'])).stdout.split('\n');
    for (const connector of repository.invalid) {
      const { line, column, message } = connector.problem!;
      const prefix = `${connector.path}:${line}:${column}: `;
      const reported = lines.find((candidate) => candidate.startsWith(prefix));
      expect(reported, prefix).toBeDefined();
      expect(reported).toContain(message);
    }
  });

  it('names both files and lines of a duplicate link name', async () => {
    const result = await cli(['validate', '.']);
    expect(result.stdout).toMatch(
      /^connectors\/copy_\d+\/connector\.yaml:3:11: linkName "basic_001" is already used by connectors\/basic_001\/connector\.yaml:3:11; .*such as "basic_001_2"$/m,
    );
  });

  it('locates a quoted duplicate link name', async () => {
    const text = ['# A copy kept for comparison', 'schemaVersion: 1', 'name: Quoted', '', '"linkName":   \'basic_001\'', 'auth: { type: basic, username: { name: U, key: u }, password: { name: P, key: p } }'];
    mkdirSync(join(repository.root, 'quoted'));
    writeFileSync(join(repository.root, 'quoted', 'connector.yaml'), `${text.join('\n')}\n`);
    const result = await cli(['validate', 'connectors/basic_001', 'quoted']);
    expect(result.stdout).toContain('quoted/connector.yaml:5:15: linkName "basic_001" is already used by connectors/basic_001/connector.yaml:3:11');
  });

  it('keeps the first user of a duplicate link name valid', async () => {
    const result = await cli(['validate', '.']);
    expect(result.stdout).toContain('connectors/basic_001/connector.yaml: valid\n');
  });

  it('prints one block per file, in path order', async () => {
    const result = await cli(['validate', '.']);
    const lines = result.stdout.trimEnd().split('\n').slice(0, -1);
    const files = lines.map((line) => line.slice(0, line.indexOf(':')));
    const blocks = files.filter((file, index) => file !== files[index - 1]);
    expect(blocks).toEqual(repository.connectors.map((connector) => connector.path).sort());
  });

  it('skips node_modules and dot-folders', async () => {
    const result = await cli(['validate', '.']);
    expect(result.stdout).not.toContain('node_modules');
    expect(result.stdout).not.toContain('.drafts');
    expect(result.stdout).not.toContain('.github');
  });

  it('finds a duplicate across two folder arguments', async () => {
    const copy = repository.invalid.find((connector) => connector.path.includes('/copy_'))!;
    const result = await cli(['validate', 'connectors/basic_001', copy.path.replace('/connector.yaml', '')]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(`${copy.path}:3:11: linkName "basic_001" is already used by connectors/basic_001/connector.yaml:3:11`);
    expect(result.stdout).toContain('2 files checked: 1 valid, 1 invalid, 1 error');
  });

  it('names the file of each JSON diagnostic', async () => {
    const result = await cli(['validate', '.', '--json']);
    expect(result.code).toBe(3);
    const rows = JSON.parse(result.stdout) as { file: string; line: number; column: number }[];
    expect(rows.map((row) => `${row.file}:${row.line}:${row.column}`).sort()).toEqual(
      repository.invalid.map((connector) => `${connector.path}:${connector.problem!.line}:${connector.problem!.column}`).sort(),
    );
  });

  it('exits 0 when every file is valid', async () => {
    const result = await cli(['validate', 'connectors/basic_001', 'connectors/oauth2_004']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('2 files checked: 2 valid, 0 invalid, 0 errors');
  });
});

describe('commands from a subfolder of a connector', () => {
  const connector = 'connectors/oauth2_004';
  let subfolder: string;
  beforeEach(() => {
    subfolder = join(repository.root, connector, 'docs', 'examples');
    mkdirSync(subfolder, { recursive: true });
  });

  it('get reads the connector file above', async () => {
    const result = await cli(['get', 'name'], subfolder);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('OAuth2 004\n');
  });

  it('set changes the connector file above', async () => {
    const result = await cli(['set', 'description', 'Changed from a subfolder'], subfolder);
    expect(result.code).toBe(0);
    expect(read(`${connector}/connector.yaml`)).toContain('description: Changed from a subfolder');
    expect(existsSync(join(subfolder, 'connector.yaml'))).toBe(false);
  });

  it('validate checks the connector file above', async () => {
    const result = await cli(['validate'], subfolder);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${join(repository.root, connector, 'connector.yaml')}: valid\n`);
  });

  it('validate reports a broken file above with its position', async () => {
    const broken = repository.invalid.find((candidate) => candidate.path.includes('broken_url'))!;
    const below = join(repository.root, broken.path, '..', 'notes');
    mkdirSync(below);
    const result = await cli(['validate'], below);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(`${join(repository.root, broken.path)}:8:13: auth.tokenUrl must be an absolute https URL`);
  });

  it('ready promotes the connector file above', async () => {
    const result = await cli(['ready'], subfolder);
    expect(result.code).toBe(0);
    expect(read(`${connector}/connector.yaml`)).toContain('stage: ready');
  });
});

describe('-f with a folder', () => {
  it('get reads connector.yaml inside the folder', async () => {
    const result = await cli(['get', 'linkName', '-f', 'connectors/apikey_002']);
    expect(result.stdout).toBe('apikey_002\n');
  });

  it('set writes connector.yaml inside the folder', async () => {
    const result = await cli(['set', 'description', 'Set through a folder', '-f', 'connectors/apikey_002']);
    expect(result.code).toBe(0);
    expect(read('connectors/apikey_002/connector.yaml')).toContain('description: Set through a folder');
  });

  it('validate labels positions with the folder path', async () => {
    const broken = repository.invalid.find((candidate) => candidate.path.includes('broken_url'))!;
    const result = await cli(['validate', '-f', broken.path.replace('/connector.yaml', '')]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(`${broken.path}:8:13: `);
  });

  it('ready promotes connector.yaml inside the folder', async () => {
    const result = await cli(['ready', '-f', 'connectors/oauth1_003']);
    expect(result.code).toBe(0);
    expect(read('connectors/oauth1_003/connector.yaml')).toContain('stage: ready');
  });
});

describe('init in a repository', () => {
  it('rejects a derived link name another file uses', async () => {
    const result = await cli(['init', 'connectors/new', '--no-input', '--name', 'OAuth2 004', '--auth', 'basic']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('link name "oauth2_004" is already used by connectors/oauth2_004/connector.yaml');
    expect(result.stderr).toContain('--link-name oauth2_004_2');
    expect(existsSync(join(repository.root, 'connectors', 'new'))).toBe(false);
  });

  it('rejects a taken --link-name', async () => {
    const result = await cli(['init', 'connectors/new', '--no-input', '--name', 'New', '--link-name', 'apikey_002', '--auth', 'basic']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('already used by connectors/apikey_002/connector.yaml');
  });

  it('proposes a name past the taken suffixes', async () => {
    const first = await cli(['init', 'connectors/first', '--no-input', '--name', 'New', '--link-name', 'oauth2_004_2', '--auth', 'basic']);
    expect(first.code).toBe(0);
    const result = await cli(['init', 'connectors/second', '--no-input', '--name', 'OAuth2 004', '--auth', 'basic']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--link-name oauth2_004_3');
  });

  it('accepts the proposed link name', async () => {
    const result = await cli(['init', 'connectors/new', '--no-input', '--name', 'OAuth2 004', '--link-name', 'oauth2_004_2', '--auth', 'basic']);
    expect(result.code).toBe(0);
    expect(read('connectors/new/connector.yaml')).toContain('linkName: oauth2_004_2');
  });

  it('counts the link name of an invalid file as taken', async () => {
    const result = await cli(['init', 'connectors/new', '--no-input', '--name', 'Unknown Auth 060', '--auth', 'basic']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('already used by connectors/unknown_auth_060/connector.yaml');
  });

  it('names the other file relative to the working folder', async () => {
    const result = await cli(['init', 'new', '--no-input', '--name', 'Basic 005', '--auth', 'basic'], join(repository.root, 'connectors'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('already used by basic_005/connector.yaml');
  });

  it('lets --force keep the link name of the file it replaces', async () => {
    const result = await cli(['init', 'connectors/oauth2_004', '--no-input', '--force', '--name', 'OAuth2 004', '--auth', 'basic']);
    expect(result.code).toBe(0);
    expect(read('connectors/oauth2_004/connector.yaml')).toContain('type: basic');
  });

  it('ignores files in node_modules and dot-folders', async () => {
    const result = await cli(['init', 'connectors/new', '--no-input', '--name', 'Skipped', '--auth', 'basic']);
    expect(result.code).toBe(0);
  });

  it('checks nothing outside a git repository', async () => {
    const plain = join(folder.path, 'plain');
    mkdirSync(plain);
    expect((await cli(['init', 'a', '--no-input', '--name', 'Same', '--auth', 'basic'], plain)).code).toBe(0);
    expect((await cli(['init', 'b', '--no-input', '--name', 'Same', '--auth', 'basic'], plain)).code).toBe(0);
  });

  it('proposes the free link name as the prompt default', async () => {
    const prompter = scriptedPrompter([
      ['Name', 'Basic 001'],
      ['Link name', undefined],
      ['Description', ''],
      ['Logo', ''],
      ['Prompt for the user name', undefined],
      ['Prompt for the password', undefined],
    ]);
    const result = await runInProcess(['init', 'connectors/new', '--auth', 'basic'], {
      cwd: repository.root,
      overrides: { interactive: true, prompter: async () => prompter },
    });
    expect(result.stderr).toContain('Created');
    expect(result.code).toBe(0);
    expect(read('connectors/new/connector.yaml')).toContain('linkName: basic_001_2');
  });

  it('asks again when a flag gave a taken name', async () => {
    const prompter = scriptedPrompter([
      ['Link name', undefined],
      ['Description', ''],
      ['Logo', ''],
      ['Prompt for the user name', undefined],
      ['Prompt for the password', undefined],
    ]);
    const result = await runInProcess(['init', 'connectors/new', '--name', 'Basic 001', '--auth', 'basic'], {
      cwd: repository.root,
      overrides: { interactive: true, prompter: async () => prompter },
    });
    expect(result.code).toBe(0);
    expect(prompter.asked).toContain('Link name');
    expect(read('connectors/new/connector.yaml')).toContain('linkName: basic_001_2');
  });

  it('rejects a taken link name typed at the prompt', async () => {
    const prompter = scriptedPrompter([
      ['Name', 'Something New'],
      ['Link name', 'oauth1_003'],
    ]);
    const result = await runInProcess(['init', 'connectors/new', '--auth', 'basic'], {
      cwd: repository.root,
      overrides: { interactive: true, prompter: async () => prompter },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('oauth1_003 is already the link name of connectors/oauth1_003/connector.yaml');
    expect(existsSync(join(repository.root, 'connectors', 'new'))).toBe(false);
  });
});

describe('findRepositoryRoot', () => {
  it('finds the nearest folder with .git', () => {
    expect(findRepositoryRoot(join(repository.root, 'connectors', 'not', 'yet', 'created'), folder.path)).toBe(repository.root);
  });

  it('accepts a .git file, as a worktree has', () => {
    const worktree = join(folder.path, 'worktree');
    mkdirSync(join(worktree, 'inner'), { recursive: true });
    writeFileSync(join(worktree, '.git'), 'gitdir: ../repo/.git/worktrees/worktree\n');
    expect(findRepositoryRoot(join(worktree, 'inner'), folder.path)).toBe(worktree);
  });

  it('stops below the home folder', () => {
    mkdirSync(join(folder.path, '.git'));
    const home = join(folder.path, 'home');
    expect(findRepositoryRoot(join(home, 'project'), home)).toBeUndefined();
  });

  it('returns undefined at the filesystem root', () => {
    const outside = join(folder.path, 'outside');
    expect(findRepositoryRoot(outside, join(folder.path, 'elsewhere'))).toBeUndefined();
  });
});

describe('linkNamesInRepository', () => {
  it('maps each link name to its first file', async () => {
    const inUse = await linkNamesInRepository(join(repository.root, 'connectors'), { home: folder.path, cwd: repository.root });
    expect(inUse.root).toBe(repository.root);
    expect(inUse.complete).toBe(true);
    expect(inUse.names.get('basic_001')).toBe('connectors/basic_001/connector.yaml');
    expect(inUse.names.has('skipped')).toBe(false);
    expect(inUse.names.size).toBe(repository.connectors.length - 2);
  });

  it('leaves out the excluded file', async () => {
    const exclude = join(repository.root, 'connectors', 'oauth2_004', 'connector.yaml');
    const inUse = await linkNamesInRepository(repository.root, { home: folder.path, cwd: repository.root, exclude });
    expect(inUse.names.has('oauth2_004')).toBe(false);
  });

  it('reports an incomplete scan at the entry limit', async () => {
    const inUse = await linkNamesInRepository(repository.root, { home: folder.path, cwd: repository.root, maxEntries: 20 });
    expect(inUse.complete).toBe(false);
    expect(inUse.names.size).toBeLessThan(20);
  });
});

describe('edits in a repository', () => {
  it('set rejects a link name another file uses', async () => {
    const before = read('connectors/basic_005/connector.yaml');
    const result = await cli(['set', 'linkName', 'apikey_002'], join(repository.root, 'connectors', 'basic_005'));
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('already used by');
    expect(result.stderr).toContain('connector set linkName apikey_002_2');
    expect(read('connectors/basic_005/connector.yaml')).toBe(before);
  });

  it('ready rejects a link name another file uses', async () => {
    const path = join(repository.root, 'connectors', 'basic_005', 'connector.yaml');
    writeFileSync(path, read('connectors/basic_005/connector.yaml').replace(/linkName: .*/, 'linkName: apikey_002'));
    const result = await cli(['ready'], join(repository.root, 'connectors', 'basic_005'));
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('link name "apikey_002" is already used by');
  });

  it('validate checks a file named twice once', async () => {
    const result = await cli(['validate', 'connectors/basic_005', './connectors/basic_005/connector.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('already used');
  });
});
