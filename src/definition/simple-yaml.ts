/**
 * Reads the plain subset of YAML that connector files are written in, for the checks that
 * need only the value and no positions.
 *
 * Hand-written because the `yaml` package's full parser also builds a document with source
 * positions. On a connector with 10,000 scopes it took about ten times as long as Node's own
 * start-up, and on a typical connector loading and running it was about a third of what
 * `connector validate` adds to that start-up (measured with scripts/bench.mjs on a 2-core
 * machine). The caller falls back to that parser whenever this returns undefined, and whenever
 * a problem has to be shown with its position.
 *
 * The subset: block mappings and sequences indented with spaces; keys that are identifiers
 * (letters, digits, `_`, `-`, `.`) or quoted; single-line plain, single-quoted and
 * double-quoted scalars without escapes; flow mappings and sequences of scalars on one line;
 * comments and blank lines. Plain scalars resolve as in the YAML 1.2 core schema, as the
 * `yaml` package does by default. Anything else (anchors, tags, block scalars, multi-line
 * scalars, `---`, duplicate keys, tabs) returns undefined, so every value this returns is the
 * one `yaml` would build, and `yaml` would report no error for the text.
 */

/** Returned by the helpers below for text outside the subset. */
class OutsideSubset extends Error {}

interface Line {
  indent: number;
  /** The line without its indentation and its line break. */
  text: string;
}

/** Deeper indentation than this is left to the full parser, which limits nesting. */
const MAX_INDENT = 64;

const PLAIN_KEY = /[A-Za-z_][A-Za-z0-9_.-]*/y;
/** Plain keys that the core schema would resolve to null or a boolean. */
const NON_STRING_KEYS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);
/** Characters that cannot start a plain scalar, or that start a construct outside the subset. */
const INDICATORS = new Set([',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);
/** Anything but printable characters, line feeds and carriage returns: tabs, controls, NEL, line and paragraph separators, byte order marks. */
const OUTSIDE_CHARACTERS = /[^\n\r\u0020-\u007e\u00a0-\u2027\u202a-\ufefe\uff00-\ufffd\ud800-\udfff]/;

/**
 * Returns the value of `text` when it is a YAML mapping written in the subset described
 * above, or undefined when the full parser must read it.
 */
export function readSimpleYaml(text: string): Record<string, unknown> | undefined {
  if (OUTSIDE_CHARACTERS.test(text)) return undefined;

  try {
    const reader = new Reader(splitLines(text));
    return reader.document();
  } catch (error) {
    if (error instanceof OutsideSubset) return undefined;
    throw error;
  }
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const rawLines = text.split('\n');
  for (const [index, line] of rawLines.entries()) {
    // Only a carriage return before a line feed ends a line; YAML reads any other one as content.
    const followedByLineFeed = index < rawLines.length - 1;
    const raw = followedByLineFeed && line.endsWith('\r') ? line.slice(0, -1) : line;
    if (raw.includes('\r')) throw new OutsideSubset();
    // Document markers (`---`, `...`) and directives start at the first column.
    if (raw.startsWith('---') || raw.startsWith('...') || raw.startsWith('%')) throw new OutsideSubset();

    let indent = 0;
    while (raw.charCodeAt(indent) === 0x20) indent++;
    const content = raw.slice(indent);
    if (content === '' || content.startsWith('#')) continue;
    if (indent > MAX_INDENT) throw new OutsideSubset();
    lines.push({ indent, text: trimSpaces(content) });
  }
  return lines;
}

class Reader {
  private index = 0;

  constructor(private readonly lines: Line[]) {}

  document(): Record<string, unknown> {
    const first = this.lines[0];
    if (first === undefined || first.indent !== 0 || isSequenceEntry(first.text)) throw new OutsideSubset();

    const value = this.mapping(0, undefined);
    if (this.index !== this.lines.length) throw new OutsideSubset();
    return value;
  }

  /**
   * Reads the entries of a block mapping whose keys start at `column`. `firstEntry` is the
   * text after `- ` when the mapping starts on a sequence entry's line.
   */
  private mapping(column: number, firstEntry: string | undefined): Record<string, unknown> {
    const result: Record<string, unknown> = {};

    if (firstEntry !== undefined) this.entry(result, firstEntry, column);
    for (;;) {
      const line = this.lines[this.index];
      if (line === undefined || line.indent < column) return result;
      if (line.indent > column || isSequenceEntry(line.text)) throw new OutsideSubset();

      this.index++;
      this.entry(result, line.text, column);
    }
  }

  /** Reads `key: value` into `target`; the value may continue on the following lines. */
  private entry(target: Record<string, unknown>, text: string, column: number): void {
    const { key, rest } = blockKey(text);
    if (Object.hasOwn(target, key)) throw new OutsideSubset();

    if (rest === '') {
      target[key] = this.nestedValue(column);
      return;
    }
    target[key] = inlineValue(rest);
    this.expectNoContinuation(column);
  }

  /** Reads the value of a key with nothing after its colon: a deeper block, a sequence at the key's column, or null. */
  private nestedValue(column: number): unknown {
    const next = this.lines[this.index];
    if (next === undefined || next.indent < column) return null;
    if (next.indent === column) return isSequenceEntry(next.text) ? this.sequence(column) : null;
    return isSequenceEntry(next.text) ? this.sequence(next.indent) : this.mapping(next.indent, undefined);
  }

  private sequence(column: number): unknown[] {
    const result: unknown[] = [];
    for (;;) {
      const line = this.lines[this.index];
      if (line === undefined || line.indent !== column || !isSequenceEntry(line.text)) return result;
      this.index++;

      const item = line.text.slice(1);
      const rest = item.slice(skipSpaces(item, 0));
      // `-` alone (the item on the next lines) and `- - x` are left to the full parser.
      if (rest === '' || isSequenceEntry(rest)) throw new OutsideSubset();

      if (startsMappingEntry(rest)) {
        result.push(this.mapping(column + 1 + (item.length - rest.length), rest));
      } else {
        result.push(inlineValue(rest));
        this.expectNoContinuation(column);
      }
    }
  }

  /** Rejects a deeper line after a scalar, which would continue the scalar over several lines. */
  private expectNoContinuation(column: number): void {
    const next = this.lines[this.index];
    if (next !== undefined && next.indent > column) throw new OutsideSubset();
  }
}

function isSequenceEntry(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** Tells whether a sequence entry's text starts a compact mapping (`- key: value`) rather than a scalar. */
function startsMappingEntry(text: string): boolean {
  return splitKey(text) !== undefined;
}

/** Splits `key: rest` into the key and the text after the colon, without a comment. */
function blockKey(text: string): { key: string; rest: string } {
  const entry = splitKey(text);
  if (entry === undefined) throw new OutsideSubset();
  return entry;
}

function splitKey(text: string): { key: string; rest: string } | undefined {
  const read = readKey(text, 0);
  if (read === undefined || text[read.end] !== ':') return undefined;

  const after = read.end + 1;
  if (after < text.length && text[after] !== ' ') return undefined;
  const rest = text.slice(skipSpaces(text, after));
  return { key: read.key, rest: rest.startsWith('#') ? '' : rest };
}

/**
 * Reads a plain identifier key or a quoted key at `start`. Returns the key and the offset after
 * it, or undefined when no key of the subset starts there. It does not throw, because every
 * sequence entry is tested with it, and an exception per line would cost more than the read.
 */
function readKey(text: string, start: number): { key: string; end: number } | undefined {
  const first = text[start];
  let key: string;
  let end: number;
  if (first === '"' || first === "'") {
    const quoted = findQuoted(text, start);
    if (quoted === undefined) return undefined;
    ({ value: key, end } = quoted);
  } else {
    PLAIN_KEY.lastIndex = start;
    const match = PLAIN_KEY.exec(text);
    if (match === null || NON_STRING_KEYS.has(match[0])) return undefined;
    key = match[0];
    end = start + key.length;
  }
  // The `yaml` package defines `__proto__` as an own property; plain assignment would not.
  return key === '__proto__' ? undefined : { key, end };
}

/** The value after `key: ` or `- `, which must end on its line, optionally before a comment. */
function inlineValue(text: string): unknown {
  const first = text[0];
  if (first === '{' || first === '[') {
    const { value, end } = first === '{' ? readFlowMapping(text, 0) : readFlowSequence(text, 0);
    expectLineEnd(text, end);
    return value;
  }
  if (first === '"' || first === "'") {
    const { value, end } = readQuoted(text, 0);
    expectLineEnd(text, end);
    return value;
  }
  return resolvePlain(readBlockPlain(text));
}

/** Only spaces and a comment may follow a value on its line. */
function expectLineEnd(text: string, end: number): void {
  if (end === text.length) return;
  const next = skipSpaces(text, end);
  if (next === end || (next < text.length && text[next] !== '#')) throw new OutsideSubset();
}

function readBlockPlain(text: string): string {
  const comment = text.indexOf(' #');
  const value = trimSpaces(comment === -1 ? text : text.slice(0, comment));
  checkPlainStart(value);
  if (value.includes(': ') || value.endsWith(':')) throw new OutsideSubset();
  return value;
}

/** Rejects plain scalars that start with an indicator, or with `-`, `?` or `:` followed by a space. */
function checkPlainStart(value: string): void {
  const first = value[0];
  if (first === undefined || INDICATORS.has(first)) throw new OutsideSubset();
  if ((first === '-' || first === '?' || first === ':') && (value.length === 1 || value[1] === ' ')) throw new OutsideSubset();
}

function readQuoted(text: string, start: number): { value: string; end: number } {
  const quoted = findQuoted(text, start);
  if (quoted === undefined) throw new OutsideSubset();
  return quoted;
}

/** Reads a quoted scalar that closes on the same line; double-quoted escapes are left out. */
function findQuoted(text: string, start: number): { value: string; end: number } | undefined {
  const quote = text[start];
  let value = '';
  let index = start + 1;
  for (;;) {
    const next = text.indexOf(quote!, index);
    if (next === -1) return undefined;
    const part = text.slice(index, next);
    if (quote === '"' && part.includes('\\')) return undefined;
    value += part;

    if (quote === "'" && text[next + 1] === "'") {
      value += "'";
      index = next + 2;
      continue;
    }
    return { value, end: next + 1 };
  }
}

function readFlowMapping(text: string, start: number): { value: Record<string, unknown>; end: number } {
  const result: Record<string, unknown> = {};
  let index = skipSpaces(text, start + 1);
  if (text[index] === '}') return { value: result, end: index + 1 };

  for (;;) {
    const read = readKey(text, index);
    if (read === undefined) throw new OutsideSubset();
    const { key, end } = read;
    if (text[end] !== ':' || text[end + 1] !== ' ' || Object.hasOwn(result, key)) throw new OutsideSubset();

    const scalar = readFlowScalar(text, skipSpaces(text, end + 1));
    result[key] = scalar.value;
    index = skipSpaces(text, scalar.end);

    if (text[index] === '}') return { value: result, end: index + 1 };
    if (text[index] !== ',') throw new OutsideSubset();
    index = skipSpaces(text, index + 1);
    // A trailing comma is valid YAML but left to the full parser.
    if (text[index] === '}') throw new OutsideSubset();
  }
}

function readFlowSequence(text: string, start: number): { value: unknown[]; end: number } {
  const result: unknown[] = [];
  let index = skipSpaces(text, start + 1);
  if (text[index] === ']') return { value: result, end: index + 1 };

  for (;;) {
    const scalar = readFlowScalar(text, index);
    result.push(scalar.value);
    index = skipSpaces(text, scalar.end);

    if (text[index] === ']') return { value: result, end: index + 1 };
    if (text[index] !== ',') throw new OutsideSubset();
    index = skipSpaces(text, index + 1);
    if (text[index] === ']') throw new OutsideSubset();
  }
}

/** Reads a scalar inside a flow collection: quoted, or plain up to the next `,`, `]` or `}`. */
function readFlowScalar(text: string, start: number): { value: unknown; end: number } {
  const first = text[start];
  if (first === '"' || first === "'") return readQuoted(text, start);

  let end = start;
  while (end < text.length && !',[]{}'.includes(text[end]!)) end++;
  const raw = text.slice(start, end);
  const value = trimSpaces(raw);
  checkPlainStart(value);
  if (value.includes(': ') || value.endsWith(':') || value.includes(' #')) throw new OutsideSubset();
  // A nested collection is left to the full parser.
  if (text[end] === '[' || text[end] === '{') throw new OutsideSubset();
  return { value: resolvePlain(value), end: start + raw.length };
}

/** Resolves a plain scalar as the YAML 1.2 core schema does: null, booleans, numbers, else the string. */
function resolvePlain(value: string): unknown {
  // Every null, boolean and number starts with one of these characters, or is empty.
  if (value !== '' && !'~nNtTfF0123456789+-.'.includes(value[0]!)) return value;
  if (/^(?:~|[Nn]ull|NULL)?$/.test(value)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(value)) return value[0] === 't' || value[0] === 'T';
  if (/^0o[0-7]+$/.test(value)) return parseInt(value.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(value)) return parseInt(value, 10);
  if (/^0x[0-9a-fA-F]+$/.test(value)) return parseInt(value.slice(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(value)) {
    if (value.slice(-3).toLowerCase() === 'nan') return Number.NaN;
    return value[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(value)) return parseFloat(value);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(value)) return parseFloat(value);
  return value;
}

function skipSpaces(text: string, index: number): number {
  while (text[index] === ' ') index++;
  return index;
}

/** Removes trailing spaces only; String.prototype.trim would also remove characters YAML keeps, such as U+00A0. */
function trimSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x20) end--;
  return text.slice(0, end);
}
