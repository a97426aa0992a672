import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseSource } from '../../src/definition/parse.js';
import { readSimpleYaml } from '../../src/definition/simple-yaml.js';
import { validateSource } from '../../src/definition/validate.js';

const root = join(import.meta.dirname, '..', '..');

function source(text: string) {
  return { path: undefined, label: 'connector.yaml', text, bom: false, eol: '\n' as const };
}

/** Returns a form of a value that toEqual compares strictly: key order, -0, NaN, and null versus undefined. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return ['sequence', value.map(canonical)];
  if (value !== null && typeof value === 'object') {
    return ['mapping', Object.getPrototypeOf(value) === Object.prototype, Object.entries(value).map(([key, item]) => [key, canonical(item)])];
  }
  if (typeof value === 'number') return ['number', Object.is(value, -0) ? '-0' : String(value)];
  return [typeof value, value];
}

/**
 * The fast reader's contract: it declines the text, or returns exactly the value the `yaml`
 * package builds for a text it parses without any problem.
 */
function expectAgreement(text: string): boolean {
  const fast = readSimpleYaml(text);
  if (fast === undefined) return false;

  const full = parseSource(source(text));
  expect(full.diagnostics, text).toEqual([]);
  expect(canonical(fast), text).toEqual(canonical(full.value));
  return true;
}

const typical = `# yaml-language-server: $schema=https://connector.invalid/schemas/connector.schema.json
schemaVersion: 1
name: Zylker Files   # shown in lists
linkName: zylker_files
description: 'Files and folders in Zylker''s drive'
stage: draft
baseUrl: https://{subdomain}.zylker.invalid
connectionParameters:
  - { name: Subdomain, key: subdomain }
  - name: Region
    key: region
    default: us
auth:
  type: oauth2
  clientId: "1000.ABCDEF"
  expiresIn: 3600
  pkce: true
  authorizationParams: { access_type: offline, region: "{region}" }
  tokenParams: {}
scopes:
  delimiter: space
  items:
  - { name: Read files, value: files.read }
  - { name: 'Write: files', value: files.write }
test: { method: GET, url: /v1/me }
`;

describe('readSimpleYaml', () => {
  it('reads a typical connector as yaml does', () => {
    expect(expectAgreement(typical)).toBe(true);
    expect(expectAgreement(typical.replaceAll('\n', '\r\n'))).toBe(true);
  });

  it('reads every template as yaml does', () => {
    const folder = join(root, 'templates');
    for (const name of readdirSync(folder).filter((file) => file.endsWith('.yaml'))) {
      expect(expectAgreement(readFileSync(join(folder, name), 'utf8')), name).toBe(true);
    }
  });

  it('resolves plain scalars by the core schema', () => {
    const cases: [string, unknown][] = [
      ['~', null],
      ['Null', null],
      ['TRUE', true],
      ['False', false],
      ['0o17', 15],
      ['-12', -12],
      ['+3', 3],
      ['0x1F', 31],
      ['-.Inf', Number.NEGATIVE_INFINITY],
      ['.NaN', Number.NaN],
      ['1e3', 1000],
      ['.5', 0.5],
      ['3.', 3],
      ['1_000', '1_000'],
      ['yes', 'yes'],
      ['0o8', '0o8'],
    ];
    for (const [text, value] of cases) {
      expect(canonical(readSimpleYaml(`key: ${text}\n`)?.key), text).toEqual(canonical(value));
      expect(expectAgreement(`key: ${text}\nlist: [${text}]\n`), text).toBe(true);
    }
  });

  it('declines YAML outside the subset', () => {
    const outside = [
      '',
      '# only a comment\n',
      '---\nname: a\n',
      'name: a\n...\n',
      '%YAML 1.2\n---\nname: a\n',
      'name: &anchor a\nother: *anchor\n',
      'name: !!str 1\n',
      'description: |\n  text\n',
      'description: >\n  text\n',
      'description: first\n  second\n',
      'name: "a\\"b"\n',
      'name: "open\n',
      'name: a\nname: b\n',
      'name:\ta\n',
      '\tname: a\n',
      '- a\n- b\n',
      '  name: a\n',
      'name: a: b\n',
      'list: [a, b,]\n',
      'list: [a, [b]]\n',
      'map: { a: { b: c } }\n',
      'map: {\n  a: b }\n',
      'items:\n  -\n    name: a\n',
      'items:\n  - - a\n',
      '__proto__: a\n',
      'null: a\n',
      'true: a\n',
      '? a\n: b\n',
      'name: a\u2028b\n',
      'name: \ufeffa\n',
      'name a: b\n',
      'name: a\r',
      'name: a\rb\n',
    ];
    for (const text of outside) expect(readSimpleYaml(text), JSON.stringify(text)).toBeUndefined();
  });

  it('agrees with yaml on generated documents', () => {
    let read = 0;
    fc.assert(
      fc.property(documentText, (text) => {
        if (expectAgreement(text)) read++;
      }),
      { numRuns: 1500 },
    );
    // Most generated documents contain a scalar outside the subset; enough must be inside it.
    expect(read).toBeGreaterThan(50);
  });

  it('agrees with yaml on damaged documents', () => {
    const damage = fc.record({
      at: fc.nat({ max: typical.length }),
      remove: fc.nat({ max: 3 }),
      insert: fc.string({ unit: fc.constantFrom(...' :#-\'"{}[],\n\r\t&*!|>?%@`~.0xe\\\u00a0'.split('')), maxLength: 3 }),
    });
    fc.assert(
      fc.property(damage, ({ at, remove, insert }) => {
        expectAgreement(typical.slice(0, at) + insert + typical.slice(at + remove));
      }),
      { numRuns: 1500 },
    );
  });
});

describe('validateSource on the fast path', () => {
  it('builds the document on first access', async () => {
    const text = typical.replace('tokenParams: {}', 'tokenUrl: https://accounts.zylker.invalid/token');
    const result = await validateSource(source(text));
    const full = parseSource(source(text));

    expect(result.diagnostics).toEqual([]);
    expect(result.parsed.document?.toJS()).toEqual(full.document?.toJS());
    expect(result.parsed.lineCounter.lineStarts).toEqual(full.lineCounter.lineStarts);
  });
});

// Generated documents: a tree of mappings, sequences and scalars, written in the styles the
// subset covers, with scalars that are easy to get wrong.

const trickyScalar = fc.constantFrom(
  'files.read', 'Zylker Files', 'https://{subdomain}.zylker.invalid', 'null', '~', 'True', 'FALSE', '0o17', '0x1F', '-12', '+3', '1.50',
  '.5', '1e3', '.inf', '-.Inf', '.nan', '1_000', 'yes', 'a: b', 'a:b', 'a #b', 'a#b', '-', '- a', '-a', '? a', '?a', ':a', '@x',
  '`x', '%x', '&a', '*a', '!t', '|', '>', '"q"', "'q'", "'it''s'", '"tab\\t"', 'a  b', '\u00a0x', 'x\u00a0', '{a}', '[a]', 'a,b',
  'é', '', '"', "'", 'a]', 'a}', '[]', '{}', '[ ]', '{ }', '-0', '0', '00', '1.', 'a:', 'http://127.0.0.1:8765/callback',
);
const safeScalar = fc.constantFrom('files.read', 'Zylker Files', 'https://api.zylker.invalid/v1', '3600', 'true', '~', '"1000.ABC"', "'it''s'", '{region}x');
const anyScalar = fc.oneof(
  { weight: 4, arbitrary: safeScalar },
  { weight: 2, arbitrary: trickyScalar },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'ab :#-\'"{},.0e\u00a0'.split('')), maxLength: 6 }) },
);
const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('name', 'value', 'linkName', 'a-b', 'a.b', 'x_1', '"quoted key"', "'single'") },
  { weight: 1, arbitrary: fc.constantFrom('null', 'true', '1a', 'a b', '__proto__', 'name', '"a": b', '-x') },
);

type Tree = { kind: 'scalar'; text: string } | { kind: 'mapping'; entries: [string, Tree][] } | { kind: 'sequence'; items: Tree[] };

const { tree } = fc.letrec<{ tree: Tree }>((recurse) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    anyScalar.map((text): Tree => ({ kind: 'scalar', text })),
    fc.array(fc.tuple(key, recurse('tree')), { minLength: 1, maxLength: 4 }).map((entries): Tree => ({ kind: 'mapping', entries })),
    fc.array(recurse('tree'), { minLength: 1, maxLength: 4 }).map((items): Tree => ({ kind: 'sequence', items })),
  ),
}));

interface Style {
  indent: number;
  sameIndentSequences: boolean;
  flowCollections: boolean;
  comments: boolean;
}

const style = fc.record({ indent: fc.constantFrom(1, 2, 4), sameIndentSequences: fc.boolean(), flowCollections: fc.boolean(), comments: fc.boolean() });

const documentText = fc
  .tuple(fc.array(fc.tuple(key, tree), { minLength: 1, maxLength: 5 }), style, fc.boolean())
  .map(([entries, chosen, crlf]) => {
    const text = renderMapping(entries, 0, chosen).join('\n') + '\n';
    return crlf ? text.replaceAll('\n', '\r\n') : text;
  });

function renderMapping(entries: [string, Tree][], column: number, chosen: Style): string[] {
  const pad = ' '.repeat(column);
  const lines: string[] = [];
  for (const [name, value] of entries) {
    const inline = inlineForm(value, chosen);
    if (inline !== undefined) {
      lines.push(`${pad}${name}: ${inline}${chosen.comments ? ' # note' : ''}`);
      continue;
    }
    lines.push(`${pad}${name}:`);
    const childColumn = value.kind === 'sequence' && chosen.sameIndentSequences ? column : column + chosen.indent;
    lines.push(...renderBlock(value, childColumn, chosen));
  }
  return lines;
}

function renderBlock(value: Tree, column: number, chosen: Style): string[] {
  if (value.kind === 'mapping') return renderMapping(value.entries, column, chosen);
  if (value.kind === 'scalar') return [`${' '.repeat(column)}${value.text}`];

  const lines: string[] = [];
  for (const item of value.items) {
    const inline = inlineForm(item, chosen);
    if (inline !== undefined) {
      lines.push(`${' '.repeat(column)}- ${inline}`);
    } else if (item.kind === 'mapping') {
      const nested = renderMapping(item.entries, column + 2, chosen);
      lines.push(`${' '.repeat(column)}- ${nested[0]!.trimStart()}`, ...nested.slice(1));
    } else {
      lines.push(`${' '.repeat(column)}-`, ...renderBlock(item, column + chosen.indent, chosen));
    }
  }
  return lines;
}

/** Returns the one-line form of a value: a scalar, or a flow collection of scalars when the style allows it. */
function inlineForm(value: Tree, chosen: Style): string | undefined {
  if (value.kind === 'scalar') return value.text;
  if (!chosen.flowCollections) return undefined;
  if (value.kind === 'sequence' && value.items.every((item) => item.kind === 'scalar')) {
    return `[${value.items.map((item) => (item as { text: string }).text).join(', ')}]`;
  }
  if (value.kind === 'mapping' && value.entries.every(([, item]) => item.kind === 'scalar')) {
    return `{ ${value.entries.map(([name, item]) => `${name}: ${(item as { text: string }).text}`).join(', ')} }`;
  }
  return undefined;
}
