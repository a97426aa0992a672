import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { binary, temporaryFolder } from '../support/cli.js';

const python = spawnSync('python3', ['--version']).status === 0 ? 'python3' : undefined;
if (!python) console.warn('skipping the pseudo-terminal test: python3 is not installed');

const driver = join(import.meta.dirname, '..', 'support', 'pty-driver.py');
const enter = '\r';
const down = '\u001b[B';

let folder: { path: string; remove: () => void };
beforeEach(() => {
  folder = temporaryFolder();
});
afterEach(() => folder.remove());

describe.skipIf(!python)('init in a real terminal', () => {
  it('creates an API key connector from typed answers', () => {
    const script: [string, string][] = [
      ['Name', `Acme Keys${enter}`],
      ['Link name', enter],
      ['Description', `Keys for Acme${enter}`],
      ['Logo', enter],
      ['Auth type', `${down}${down}${enter}`],
      ['Where is the key sent', enter],
      ['Parameter key', enter],
      ['Prompt shown', enter],
      ['Value prefix', enter],
      ['Add another parameter', `n${enter}`],
      ['Created', ''],
    ];
    const raw = execFileSync(python!, [driver, JSON.stringify(script), '--', process.execPath, binary, 'init'], {
      cwd: folder.path,
      env: { PATH: process.env.PATH, HOME: folder.path, TERM: 'xterm', CONNECTOR_CONFIG_DIR: join(folder.path, '.config') },
      encoding: 'utf8',
    });
    const result = JSON.parse(raw) as { code: number; output: string; failedStep: number | null };
    expect(result.failedStep, result.output).toBeNull();
    expect(result.code).toBe(0);

    const text = readFileSync(join(folder.path, 'connector.yaml'), 'utf8');
    expect(text).toContain('name: Acme Keys');
    expect(text).toContain('linkName: acme_keys');
    expect(text).toContain('type: apiKey');
    expect(text).toContain('{ name: API key, key: X-Api-Key }');
  });
});
