import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { runCli, temporaryFolder } from '../support/cli.js';

let folder: { path: string; remove: () => void };
beforeEach(() => {
  folder = temporaryFolder();
  writeFileSync(join(folder.path, 'connector.yaml'), '');
});
afterEach(() => folder.remove());

function installed(shell: string): boolean {
  return spawnSync(shell, ['-c', 'exit 0']).status === 0;
}

/** Writes the script for `shell` into the test folder and returns its path. */
async function script(shell: string): Promise<string> {
  const result = await runCli(['completion', shell], { cwd: folder.path });
  expect(result.code).toBe(0);
  const path = join(folder.path, `completion.${shell}`);
  writeFileSync(path, result.stdout);
  return path;
}

function run(shell: string, args: string[], code: string): string {
  const result = spawnSync(shell, [...args, code], { cwd: folder.path, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: folder.path } });
  if (result.status !== 0) throw new Error(`${shell} failed: ${result.stderr}`);
  return result.stdout;
}

describe('bash completion', () => {
  /** Completes the last word of `line`, as bash does when Tab is pressed at its end. */
  async function complete(line: string): Promise<string[]> {
    const path = await script('bash');
    const words = line.split(' ');
    const array = words.map((word) => `'${word}'`).join(' ');
    const output = run('bash', ['-c'], `source '${path}'; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _connector; printf '%s\\n' "\${COMPREPLY[@]}"`);
    return output.split('\n').filter((word) => word !== '');
  }

  it('completes command names', async () => {
    expect(await complete('connector to')).toEqual(['token']);
  });

  it('completes subcommands', async () => {
    expect(await complete('connector scopes ')).toEqual(['list', 'add', 'edit', 'remove']);
  });

  it('completes the flags of a command', async () => {
    const flags = await complete('connector request -');

    expect(flags).toEqual(expect.arrayContaining(['-H', '--data', '--data-json', '--allow-host', '--timeout', '--connection', '--json', '--verbose']));
  });

  it('completes the choices of a flag value', async () => {
    expect(await complete('connector init --auth ')).toEqual(['basic', 'apiKey', 'oauth1', 'oauth2']);
  });

  it('skips flag values when finding the command', async () => {
    expect(await complete('connector -f connector.yaml completion ')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('completes file names for -f', async () => {
    expect(await complete('connector token -f conn')).toEqual(['connector.yaml']);
  });
});

describe.skipIf(!installed('zsh'))('zsh completion', () => {
  /** Runs `_connector` with the completion system's functions replaced by ones that print their candidates. */
  async function complete(line: string): Promise<string[]> {
    const path = await script('zsh');
    const words = line.split(' ').map((word) => `'${word}'`).join(' ');
    const output = run(
      'zsh',
      ['-f', '-c'],
      `compdef() { :; }
_describe() { local name=$4; print -l -- "\${(@P)name}"; }
compadd() { shift; print -l -- "$@"; }
_files() { print -- '(files)'; }
_message() { :; }
source '${path}'
words=(${words}); CURRENT=$#words; PREFIX=\${words[-1]}
_connector`,
    );
    return output.split('\n').filter((entry) => entry !== '');
  }

  it('passes zsh -n', async () => {
    const path = await script('zsh');

    expect(spawnSync('zsh', ['-n', path]).status).toBe(0);
  });

  it('describes subcommands', async () => {
    expect(await complete('connector scopes ')).toEqual(['list:list scopes', 'add:add a scope', 'edit:change a scope', 'remove:remove scopes']);
  });

  it('completes the choices of a flag value', async () => {
    expect(await complete('connector init --grant-type ')).toEqual(['authorizationCode', 'clientCredentials', 'deviceCode']);
  });

  it('offers files for -f', async () => {
    expect(await complete('connector check -f ')).toEqual(['(files)']);
  });
});

describe.skipIf(!installed('fish'))('fish completion', () => {
  async function complete(line: string): Promise<string[]> {
    const path = await script('fish');
    const output = run('fish', ['--no-config', '-c'], `source '${path}'; complete -C '${line}'`);
    return output.split('\n').filter((entry) => entry !== '');
  }

  it('passes fish -n', async () => {
    const path = await script('fish');

    expect(spawnSync('fish', ['-n', path]).status).toBe(0);
  });

  it('completes subcommands with descriptions', async () => {
    expect(await complete('connector scopes ')).toEqual(['add\tadd a scope', 'edit\tchange a scope', 'list\tlist scopes', 'remove\tremove scopes']);
  });

  it('skips flag values when finding the command', async () => {
    expect(await complete('connector -f x.yaml request --allow')).toEqual([
      '--allow-host\talso send the credentials to this host (HOST or HOST:PORT); repeatable',
    ]);
  });
});

it('prints the script as JSON under --json', async () => {
  const result = await runCli(['completion', 'fish', '--json'], { cwd: folder.path });
  const parsed = JSON.parse(result.stdout) as { shell: string; script: string };

  expect(parsed.shell).toBe('fish');
  expect(parsed.script).toContain('complete -c connector');
});

it('rejects an unknown shell with exit 2', async () => {
  const result = await runCli(['completion', 'tcsh'], { cwd: folder.path });

  expect(result.code).toBe(2);
  expect(result.stderr).toContain('bash, zsh, fish');
});
