import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { decodeSource, isSourceProblem } from '../../src/definition/source.js';
import { validateSource } from '../../src/definition/validate.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'yaml-layer');

async function check(name: string) {
  const bytes = readFileSync(join(fixtures, name));
  const decoded = decodeSource(bytes, join(fixtures, name), name);
  if (isSourceProblem(decoded)) return [{ line: decoded.line, column: decoded.column, message: decoded.message, severity: 'error' as const }];
  const result = await validateSource(decoded);
  return result.diagnostics;
}

describe('broken YAML layer', () => {
  it('points an unclosed quote at where it opens', async () => {
    const [first] = await check('unclosed-quote.yaml');
    expect(first?.line).toBe(2);
    expect(first?.column).toBe(14);
    expect(first?.message).toMatch(/quoted string is never closed/);
  });

  it('names a duplicate key and its first line', async () => {
    const [first] = await check('duplicate-key.yaml');
    expect(first?.line).toBe(4);
    expect(first?.message).toMatch(/`name` appears twice/);
    expect(first?.message).toMatch(/first on line 2/);
  });

  it('reports a tab used as indentation', async () => {
    const [first] = await check('tab-indent.yaml');
    expect(first?.line).toBe(3);
    expect(first?.message).toMatch(/tab/);
  });

  it('refuses an alias bomb quickly', async () => {
    const started = performance.now();
    const [first] = await check('alias-bomb.yaml');
    expect(first?.message).toMatch(/too many aliases/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses deep nesting without recursing', async () => {
    const [first] = await check('deep-nesting.yaml');
    expect(first?.message).toMatch(/nests more than 64 levels/);
  });

  it('refuses two documents', async () => {
    const [first] = await check('two-documents.yaml');
    expect(first?.message).toMatch(/exactly one/);
    expect(first?.line).toBe(2);
  });

  it('refuses an empty file', async () => {
    const [first] = await check('empty.yaml');
    expect(first?.message).toMatch(/the file is empty/);
  });

  it('refuses a top-level list', async () => {
    const [first] = await check('not-a-mapping.yaml');
    expect(first?.message).toMatch(/top level must be a mapping/);
    expect(first?.line).toBe(1);
  });

  it('refuses bytes that are not UTF-8', async () => {
    const [first] = await check('latin1.yaml');
    expect(first?.message).toMatch(/not valid UTF-8/);
    expect(first?.line).toBe(1);
    expect(first?.column).toBe(10);
  });

  it('reads a byte order mark as if absent', async () => {
    const decoded = decodeSource(readFileSync(join(fixtures, 'bom.yaml')), undefined, 'bom.yaml');
    expect(isSourceProblem(decoded)).toBe(false);
    if (isSourceProblem(decoded)) return;
    expect(decoded.bom).toBe(true);
    expect(decoded.text.startsWith('name')).toBe(true);
  });

  it('keeps CRLF line endings in view', () => {
    const decoded = decodeSource(readFileSync(join(fixtures, 'crlf.yaml')), undefined, 'crlf.yaml');
    if (isSourceProblem(decoded)) throw new Error(decoded.message);
    expect(decoded.eol).toBe('\r\n');
  });
});
