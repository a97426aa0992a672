/**
 * Mutations of valid connector files for the fuzz tests, as fast-check arbitraries. Each
 * mutation is a plain record, so a failing case prints as a readable list of steps, and
 * `applyByteMutations` / `applyYamlMutations` replay it.
 */

import fc from 'fast-check';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';

import { seedTexts } from './seeds.js';

const utf8 = new TextEncoder();

// Byte level -------------------------------------------------------------------------------

/** Sequences that are never valid UTF-8: a stray continuation byte, a cut-off lead byte, an overlong form, a surrogate, a code point above U+10FFFF, and bytes UTF-8 never uses. */
const invalidUtf8Sequences = [[0x80], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xfe], [0xff]];

/** One byte-level change. `at` is reduced modulo the length, so any natural number is a valid position. */
export type ByteMutation =
  | { kind: 'flipBit'; at: number; bit: number }
  | { kind: 'insertBytes'; at: number; bytes: number[] }
  | { kind: 'deleteBytes'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insertInvalidUtf8'; at: number; sequence: number[] }
  | { kind: 'insertNul'; at: number }
  | { kind: 'changeLineEnding'; at: number; ending: '\r\n' | '\n' | '\r' }
  | { kind: 'allLineEndings'; ending: '\r\n' | '\r' }
  | { kind: 'insertBom'; at: number };

const position = fc.nat({ max: 100_000 });
const lineEnding = fc.constantFrom<'\r\n' | '\n' | '\r'>('\r\n', '\n', '\r');

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flipBit' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('insertBytes' as const), at: position, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('deleteBytes' as const), at: position, length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('insertInvalidUtf8' as const), at: position, sequence: fc.constantFrom(...invalidUtf8Sequences) }),
  fc.record({ kind: fc.constant('insertNul' as const), at: position }),
  fc.record({ kind: fc.constant('changeLineEnding' as const), at: position, ending: lineEnding }),
  fc.record({ kind: fc.constant('allLineEndings' as const), ending: fc.constantFrom<'\r\n' | '\r'>('\r\n', '\r') }),
  fc.record({ kind: fc.constant('insertBom' as const), at: fc.oneof(fc.constant(0), position) }),
);

export interface ByteCase {
  seed: string;
  mutations: ByteMutation[];
}

export const byteCase: fc.Arbitrary<ByteCase> = fc.record({
  seed: fc.constantFrom(...seedTexts),
  mutations: fc.array(byteMutation, { minLength: 1, maxLength: 4 }),
});

export function applyByteMutations(seed: string, mutations: readonly ByteMutation[]): Uint8Array {
  let bytes: Buffer = Buffer.from(utf8.encode(seed));
  for (const mutation of mutations) bytes = applyByteMutation(bytes, mutation);
  return bytes;
}

function applyByteMutation(bytes: Buffer, mutation: ByteMutation): Buffer {
  const at = 'at' in mutation ? mutation.at % (bytes.length + 1) : 0;
  const insert = (inserted: Uint8Array) => Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at)]);

  switch (mutation.kind) {
    case 'flipBit': {
      if (bytes.length === 0) return bytes;
      const copy = Buffer.from(bytes);
      const index = at % bytes.length;
      copy[index] = (copy[index] ?? 0) ^ (1 << mutation.bit);
      return copy;
    }
    case 'insertBytes':
      return insert(Uint8Array.from(mutation.bytes));
    case 'deleteBytes':
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + mutation.length)]);
    case 'truncate':
      return bytes.subarray(0, at);
    case 'insertInvalidUtf8':
      return insert(Uint8Array.from(mutation.sequence));
    case 'insertNul':
      return insert(Uint8Array.of(0));
    case 'changeLineEnding': {
      const newline = bytes.indexOf(0x0a, at);
      if (newline === -1) return bytes;
      const start = newline > 0 && bytes[newline - 1] === 0x0d ? newline - 1 : newline;
      return Buffer.concat([bytes.subarray(0, start), Buffer.from(mutation.ending), bytes.subarray(newline + 1)]);
    }
    case 'allLineEndings':
      return Buffer.from(bytes.toString('latin1').replace(/\r?\n/g, mutation.ending), 'latin1');
    case 'insertBom':
      return insert(Uint8Array.of(0xef, 0xbb, 0xbf));
  }
}

// YAML level -------------------------------------------------------------------------------

/** Tags a hostile file may carry: standard ones on the wrong node, YAML 1.1 types, and language-specific tags that unsafe loaders execute. */
const tags = [
  '!!binary',
  '!!js/function',
  '!!js/undefined',
  '!!js/regexp',
  '!!python/object/apply:os.system',
  '!!set',
  '!!omap',
  '!!pairs',
  '!!timestamp',
  '!!float',
  '!!int',
  '!!bool',
  '!!null',
  '!!str',
  '!!map',
  '!!seq',
  '!!merge',
  '!custom',
  '!<tag:yaml.org,2002:str>',
  '!<!>',
];

/** Plain scalars that YAML 1.1 or 1.2 reads as something other than a string, and text with YAML indicators. */
const trickyScalars = ['', '~', 'null', 'yes', 'no', 'on', 'NaN', '.nan', '.inf', '-.inf', '0x1F', '0o17', '1e999', '-0', '12:30:00', '2001-12-14', '"', "'", '#', '&a', '*a', '!x', '{', '[', '- x', ': x', '%x', '@x', '`x`', '|', '>'];

const scalarValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(...trickyScalars),
);

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  scalarValue,
  fc.array(scalarValue, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), scalarValue, { maxKeys: 3 }),
);

export type YamlMutation =
  | { kind: 'dropKey'; target: number }
  | { kind: 'changeValue'; target: number; value: unknown }
  | { kind: 'addTag'; target: number; tag: string }
  | { kind: 'duplicateKey'; target: number }
  | { kind: 'aliasValue'; target: number; source: number }
  | { kind: 'undefinedAlias'; target: number }
  | { kind: 'aliasBomb'; levels: number; width: number }
  | { kind: 'mergeKey'; target: number }
  | { kind: 'deepNesting'; target: number; depth: number; style: 'flow' | 'block' | 'compactSequence' | 'explicitKey' }
  | { kind: 'hugeString'; target: number; length: number; style: 'plain' | 'double' | 'single' | 'literal' | 'folded' }
  | { kind: 'longLine'; length: number; shape: 'comment' | 'flowSequence' | 'plainScalar' | 'key' }
  | { kind: 'directive'; text: string }
  | { kind: 'extraDocument' }
  | { kind: 'collectionKey'; target: number };

const target = fc.nat({ max: 1000 });

export const yamlMutation: fc.Arbitrary<YamlMutation> = fc.oneof(
  fc.record({ kind: fc.constant('dropKey' as const), target }),
  fc.record({ kind: fc.constant('changeValue' as const), target, value: anyValue }),
  fc.record({ kind: fc.constant('addTag' as const), target, tag: fc.constantFrom(...tags) }),
  fc.record({ kind: fc.constant('duplicateKey' as const), target }),
  fc.record({ kind: fc.constant('aliasValue' as const), target, source: target }),
  fc.record({ kind: fc.constant('undefinedAlias' as const), target }),
  fc.record({ kind: fc.constant('aliasBomb' as const), levels: fc.integer({ min: 1, max: 12 }), width: fc.integer({ min: 2, max: 10 }) }),
  fc.record({ kind: fc.constant('mergeKey' as const), target }),
  fc.record({
    kind: fc.constant('deepNesting' as const),
    target,
    depth: fc.integer({ min: 1, max: 3000 }),
    style: fc.constantFrom<'flow' | 'block' | 'compactSequence' | 'explicitKey'>('flow', 'block', 'compactSequence', 'explicitKey'),
  }),
  fc.record({
    kind: fc.constant('hugeString' as const),
    target,
    // Up to past the 1 MiB file limit, so both sides of it are reached.
    length: fc.oneof(fc.integer({ min: 1_000, max: 100_000 }), fc.integer({ min: 1_000_000, max: 1_100_000 })),
    style: fc.constantFrom<'plain' | 'double' | 'single' | 'literal' | 'folded'>('plain', 'double', 'single', 'literal', 'folded'),
  }),
  fc.record({
    kind: fc.constant('longLine' as const),
    length: fc.integer({ min: 1_000, max: 64_000 }),
    shape: fc.constantFrom<'comment' | 'flowSequence' | 'plainScalar' | 'key'>('comment', 'flowSequence', 'plainScalar', 'key'),
  }),
  fc.record({
    kind: fc.constant('directive' as const),
    text: fc.constantFrom('%YAML 1.1', '%YAML 1.2', '%YAML 9.9', '%TAG ! tag:zylker.com,2024:', '%TAG !! tag:zylker.com,2024:', '%FOO bar'),
  }),
  fc.record({ kind: fc.constant('extraDocument' as const) }),
  fc.record({ kind: fc.constant('collectionKey' as const), target }),
);

export interface YamlCase {
  seed: string;
  mutations: YamlMutation[];
}

export const yamlCase: fc.Arbitrary<YamlCase> = fc.record({
  seed: fc.constantFrom(...seedTexts),
  mutations: fc.array(yamlMutation, { minLength: 1, maxLength: 3 }),
});

export function applyYamlMutations(seed: string, mutations: readonly YamlMutation[]): string {
  let text = seed;
  for (const mutation of mutations) text = applyYamlMutation(text, mutation);
  return text;
}

/** A `key: value` line of a block mapping, possibly as the first entry of a list item. */
const keyLinePattern = /^( *)((?:- +)?)([A-Za-z_][\w.-]*):( +(.*))?$/;

interface KeyLine {
  index: number;
  indent: string;
  dash: string;
  key: string;
  /** The text after `key: `, without a trailing comment; undefined when the value is on the next lines. */
  value: string | undefined;
}

function keyLines(lines: readonly string[]): KeyLine[] {
  const found: KeyLine[] = [];
  lines.forEach((line, index) => {
    const match = keyLinePattern.exec(line.replace(/\r$/, ''));
    if (!match) return;
    const value = match[5]?.replace(/\s+#.*$/, '');
    found.push({ index, indent: match[1] ?? '', dash: match[2] ?? '', key: match[3] ?? '', value: value === '' ? undefined : value });
  });
  return found;
}

function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

function repeatTo(unit: string, length: number): string {
  return unit.repeat(Math.max(1, Math.ceil(length / unit.length))).slice(0, Math.max(1, length));
}

/** Replaces the value on a key line, keeping its key and indentation. */
function withValue(lines: string[], line: KeyLine, value: string): string {
  const copy = [...lines];
  copy[line.index] = `${line.indent}${line.dash}${line.key}: ${value}`;
  return copy.join('\n');
}

function applyYamlMutation(text: string, mutation: YamlMutation): string {
  const lines = text.split('\n');
  const candidates = keyLines(lines);
  const line = 'target' in mutation ? pick(candidates, mutation.target) : undefined;
  const withScalar = candidates.filter((candidate) => candidate.value !== undefined);
  const scalarLine = 'target' in mutation ? pick(withScalar, mutation.target) : undefined;

  switch (mutation.kind) {
    case 'dropKey':
    case 'changeValue':
      return editDocument(text, mutation);
    case 'addTag':
      return scalarLine ? withValue(lines, scalarLine, `${mutation.tag} ${scalarLine.value}`) : text;
    case 'duplicateKey': {
      if (!line) return text;
      const copy = [...lines];
      copy.splice(line.index + 1, 0, `${line.indent}${' '.repeat(line.dash.length)}${line.key}: duplicate`);
      return copy.join('\n');
    }
    case 'aliasValue': {
      const source = pick(withScalar, mutation.source);
      if (!scalarLine || !source || source.index === scalarLine.index) return text;
      const copy = [...lines];
      copy[source.index] = `${source.indent}${source.dash}${source.key}: &shared ${source.value}`;
      return withValue(copy, scalarLine, '*shared');
    }
    case 'undefinedAlias':
      return scalarLine ? withValue(lines, scalarLine, '*nowhere') : text;
    case 'aliasBomb':
      return `${text}${aliasBomb(mutation.levels, mutation.width)}`;
    case 'mergeKey': {
      if (!line) return text;
      const copy = [...lines];
      copy.splice(line.index + 1, 0, `${line.indent}${' '.repeat(line.dash.length)}<<: *base`);
      return `base: &base { name: Merged }\n${copy.join('\n')}`;
    }
    case 'deepNesting':
      return scalarLine ? nest(lines, scalarLine, mutation.depth, mutation.style) : text;
    case 'hugeString':
      return scalarLine ? withValue(lines, scalarLine, hugeScalar(scalarLine, mutation.length, mutation.style)) : text;
    case 'longLine':
      return `${text}${longLine(mutation.length, mutation.shape)}\n`;
    case 'directive':
      return `${mutation.text}\n---\n${text}`;
    case 'extraDocument':
      return `${text}---\nname: Second document\n`;
    case 'collectionKey': {
      if (!line) return text;
      const copy = [...lines];
      copy.splice(line.index + 1, 0, `${line.indent}${' '.repeat(line.dash.length)}? [${line.key}, again]`, `${line.indent}${' '.repeat(line.dash.length)}: value`);
      return copy.join('\n');
    }
  }
}

/** Drops a key or replaces a value through the YAML document model, which also reaches entries of flow mappings. */
function editDocument(text: string, mutation: Extract<YamlMutation, { kind: 'dropKey' | 'changeValue' }>): string {
  try {
    const document = parseDocument(text);
    if (document.errors.length > 0) return text;

    const paths = nodePaths(document.contents as Node | null, []);
    const path = pick(paths, mutation.target);
    if (!path) return text;

    if (mutation.kind === 'dropKey') document.deleteIn(path);
    else document.setIn(path, mutation.value);
    return document.toString();
  } catch {
    // The YAML library cannot read a text that an earlier mutation nested thousands of levels
    // deep, nor write some values back, such as a lone surrogate in a key. The case then keeps its text.
    return text;
  }
}

function nodePaths(node: Node | null, prefix: (string | number)[]): (string | number)[][] {
  const paths: (string | number)[][] = [];
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const path = [...prefix, String(pair.key.value)];
      paths.push(path, ...nodePaths(pair.value as Node | null, path));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const path = [...prefix, index];
      paths.push(path, ...nodePaths(item as Node | null, path));
    });
  }
  return paths;
}

/** Returns the "billion laughs" shape, where each level refers `width` times to the level before it. */
function aliasBomb(levels: number, width: number): string {
  const out = ['bomb0: &bomb0 [lol]'];
  for (let level = 1; level <= levels; level++) {
    const references = Array.from({ length: width }, () => `*bomb${level - 1}`).join(', ');
    out.push(`bomb${level}: &bomb${level} [${references}]`);
  }
  return `${out.join('\n')}\n`;
}

function nest(lines: string[], line: KeyLine, depth: number, style: 'flow' | 'block' | 'compactSequence' | 'explicitKey'): string {
  const indent = line.indent.length + line.dash.length;
  switch (style) {
    case 'flow':
      return withValue(lines, line, `${'['.repeat(depth)}x${']'.repeat(depth)}`);
    case 'compactSequence':
      return withValue(lines, line, `\n${' '.repeat(indent + 2)}${'- '.repeat(depth)}x`);
    case 'explicitKey':
      return withValue(lines, line, `\n${' '.repeat(indent + 2)}${'? '.repeat(depth)}x`);
    case 'block': {
      const block = Array.from({ length: depth }, (_, level) => `${' '.repeat(indent + 2 * (level + 1))}level${level}:`);
      return withValue(lines, line, `\n${block.join('\n')} x`);
    }
  }
}

function hugeScalar(line: KeyLine, length: number, style: 'plain' | 'double' | 'single' | 'literal' | 'folded'): string {
  const body = repeatTo('Zylker files ', length).trim() || 'x';
  const blockIndent = ' '.repeat(line.indent.length + line.dash.length + 2);
  switch (style) {
    case 'plain':
      return body;
    case 'double':
      return `"${body}"`;
    case 'single':
      return `'${body}'`;
    case 'literal':
      return `|\n${blockIndent}${body}`;
    case 'folded':
      return `>-\n${blockIndent}${body}`;
  }
}

function longLine(length: number, shape: 'comment' | 'flowSequence' | 'plainScalar' | 'key'): string {
  switch (shape) {
    case 'comment':
      return `# ${repeatTo('x', length)}`;
    case 'flowSequence':
      return `list: [${repeatTo('item, ', length)}end]`;
    case 'plainScalar':
      return `note: ${repeatTo('word ', length)}`;
    case 'key':
      return `${repeatTo('k', length)}: value`;
  }
}
