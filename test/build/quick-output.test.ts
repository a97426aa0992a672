import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { root, runCli, temporaryFolder } from '../support/cli.js';

// `connector --version` and `connector --help` print without loading commander (src/cli/entry.ts).
// Any other arguments go through commander, so adding `--no-color` shows what commander prints.

const folder = temporaryFolder();
afterAll(() => folder.remove());

describe('quick output', () => {
  it('--version matches commander', async () => {
    const quick = await runCli(['--version'], { cwd: folder.path });
    const full = await runCli(['--no-color', '--version'], { cwd: folder.path });
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

    expect(quick.code).toBe(0);
    expect(quick.stdout).toBe(`${manifest.version}\n`);
    expect(quick.stdout).toBe(full.stdout);
  });

  it('--help matches commander', async () => {
    const quick = await runCli(['--help'], { cwd: folder.path });
    const full = await runCli(['--no-color', '--help'], { cwd: folder.path });

    expect(quick.code).toBe(0);
    expect(full.code).toBe(0);
    expect(quick.stdout).toContain('Usage: connector');
    expect(quick.stdout).toBe(full.stdout);
    expect(quick.stderr).toBe('');
  });

  it('-h matches --help', async () => {
    const short = await runCli(['-h'], { cwd: folder.path });
    const long = await runCli(['--help'], { cwd: folder.path });

    expect(short.code).toBe(0);
    expect(short.stdout).toBe(long.stdout);
  });

  it('rendered help is in dist', () => {
    const rendered = readFileSync(join(root, 'dist', 'help.txt'), 'utf8');

    expect(rendered).toContain('Usage: connector');
  });
});
