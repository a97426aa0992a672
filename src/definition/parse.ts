import { isCollection, isMap, isScalar, LineCounter, parseAllDocuments, visit, type Document, type Node, type Scalar } from 'yaml';

import { sortDiagnostics, type Diagnostic } from './diagnostics.js';
import type { SourceFile } from './source.js';

/** Deeper nesting than this is refused before parsing: the YAML parser recurses per level. */
export const MAX_NESTING_DEPTH = 64;
/** Aliases have no use in a connector file beyond a few shared values; more suggests an alias bomb. */
export const MAX_ALIAS_COUNT = 50;

export interface ParsedSource {
  source: SourceFile;
  /** Undefined when the text is not a single YAML mapping. */
  document: Document.Parsed | undefined;
  lineCounter: LineCounter;
  /** The plain value of the document, when it could be built. */
  value: unknown;
  diagnostics: Diagnostic[];
}

/** Parses the YAML layer of a connector file and reports every YAML-level problem. */
export function parseSource(source: SourceFile): ParsedSource {
  const lineCounter = countLines(source.text);
  const result: ParsedSource = { source, document: undefined, lineCounter, value: undefined, diagnostics: [] };
  const fileProblem = (message: string, line = 0, column = 0): ParsedSource => {
    result.diagnostics.push({ line, column, path: '', message, severity: 'error' });
    return result;
  };

  if (source.text.trim() === '') return fileProblem('the file is empty; a connector file is a YAML mapping that starts with `schemaVersion: 1`');

  const tooDeep = findExcessiveNesting(source.text);
  if (tooDeep) {
    return fileProblem(`the file nests more than ${MAX_NESTING_DEPTH} levels deep; a connector file needs only a few`, tooDeep.line, tooDeep.column);
  }

  const list = parseDocuments(source.text);
  if (list.length === 0) return fileProblem('the file holds no YAML document');
  if (list.length > 1) {
    const second = list[1]!;
    const position = lineCounter.linePos(second.range[0]);
    return fileProblem(
      `the file holds ${list.length} YAML documents; a connector file holds exactly one (remove the \`---\` separator and what follows it)`,
      position.line,
      position.col,
    );
  }

  const document = list[0]!;
  result.document = document;
  const position = (offset: number) => lineCounter.linePos(offset);

  for (const error of document.errors) {
    let offset = error.pos[0];
    let message = plainYamlMessage(error.code, error.message);
    if (error.code === 'MISSING_CHAR' && /closing .*quote/.test(error.message)) {
      // The parser reports the end of the file; the useful place is where the quote opens.
      const opening = findUnclosedQuote(document, error.pos[0]);
      if (opening !== undefined) offset = opening;
      message = 'a quoted string is never closed; add the closing quote';
    } else if (/^Flow (sequence|map)\b.*end with a [\]}]/.test(error.message)) {
      // The parser reports the line after; the useful place is the bracket that is never closed.
      const opening = findUnclosedBracket(source.text, error.pos[0]);
      if (opening !== undefined) {
        offset = opening;
        const close = source.text[opening] === '[' ? ']' : '}';
        message = `this ${source.text[opening]} is never closed; add the closing ${close}, or quote the value if the bracket is part of the text`;
      }
    }
    const start = position(offset);
    const end = position(Math.max(error.pos[1], offset + 1));
    result.diagnostics.push({ line: start.line, column: start.col, endLine: end.line, endColumn: end.col, path: '', message, severity: 'error' });
  }

  // A loop rather than push(...list): a file of many thousand repeated keys would pass more
  // arguments than the call stack holds.
  for (const diagnostic of findKeyProblems(document, lineCounter)) result.diagnostics.push(diagnostic);
  if (result.diagnostics.length > 0) {
    sortDiagnostics(result.diagnostics);
    return result;
  }

  if (!isMap(document.contents)) {
    const start = position(document.contents?.range?.[0] ?? 0);
    const what = document.contents === null ? 'empty' : describeNode(document.contents);
    return fileProblem(`the top level must be a mapping of keys such as \`name:\` and \`auth:\`, but it is ${what}`, start.line, start.col);
  }

  try {
    result.value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // yaml 2 reports both cases only when it builds the value, as a ReferenceError without a position.
    const unresolved = error instanceof ReferenceError ? /^Unresolved alias.*: (.*)$/.exec(error.message) : null;
    if (unresolved) {
      const name = unresolved[1] ?? '';
      const at = position(findAlias(document, name) ?? 0);
      return fileProblem(`the alias *${name} refers to no anchor; define &${name} on a value before this line, or write the value out`, at.line, at.col);
    }
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      return fileProblem(`the file uses too many aliases (more than ${MAX_ALIAS_COUNT} expansions); write the values out instead`);
    }
    return fileProblem(`the YAML cannot be read: ${(error as Error).message}`);
  }
  return result;
}

/**
 * Parses every YAML document in `text`, tuned for files with thousands of syntax errors. yaml
 * 2.9 builds an Error per syntax error. With `prettyErrors` it also scans the text for each one
 * to quote its line, which the diagnostic does not need and which makes such a file take
 * minutes. Capturing the errors' stacks, which no diagnostic shows either, was about half of the
 * remaining time in a CPU profile of a file of 65,000 stray commas.
 */
function parseDocuments(text: string) {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const documents = parseAllDocuments(text, { uniqueKeys: false, keepSourceTokens: true, prettyErrors: false });
    return Array.isArray(documents) ? documents : [];
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Records where each line of `text` starts. The parser can fill a LineCounter as it goes, but
 * yaml 2.9 skips line breaks inside some multi-line scalars that follow a syntax error, which
 * put every later diagnostic a line too high.
 */
function countLines(text: string): LineCounter {
  const counter = new LineCounter();
  counter.addNewLine(0);
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) counter.addNewLine(index + 1);
  return counter;
}

function plainYamlMessage(code: string, message: string): string {
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'a tab is used for indentation; YAML allows only spaces there';
    case 'BAD_INDENT':
      return `the indentation is wrong here: ${firstSentence(message)}`;
    case 'MULTILINE_IMPLICIT_KEY':
      return 'a key runs over several lines; is a colon or a quote missing on the line before?';
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
    default:
      return `invalid YAML: ${firstSentence(message)}`;
  }
}

/** Returns the first line of a yaml library message without the position it appends, because the diagnostic has one. */
function firstSentence(message: string): string {
  const line = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
  return line.charAt(0).toLowerCase() + line.slice(1);
}

function describeNode(node: unknown): string {
  if (isScalar(node)) return `a single value (${JSON.stringify(node.value)})`;
  if (node && typeof node === 'object' && 'items' in node) return 'a list';
  return 'not a mapping';
}

/** Finds the opening quote of the quoted scalar that runs to `errorOffset`. */
function findUnclosedQuote(document: Document.Parsed, errorOffset: number): number | undefined {
  let found: number | undefined;
  visit(document, {
    Scalar(_key, node) {
      const range = node.range;
      if (!range || (node.type !== 'QUOTE_DOUBLE' && node.type !== 'QUOTE_SINGLE')) return;
      if (range[0] <= errorOffset && errorOffset <= range[2]) found = range[0];
    },
  });
  return found;
}

/** Returns the start offset of the first alias `*name`. */
function findAlias(document: Document.Parsed, name: string): number | undefined {
  let found: number | undefined;
  visit(document, {
    Alias(_key, node) {
      if (node.source !== name || node.range === undefined || node.range === null) return undefined;
      found = node.range[0];
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * Reports each repeated key with the line of its first use, which the parser alone does not
 * give. Also reports each key that is a list or mapping, because a plain object cannot have one
 * and the YAML library would only print a process warning when it turns the key into text, and
 * each scalar tagged `!!merge`.
 */
function findKeyProblems(document: Document.Parsed, lineCounter: LineCounter): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  visit(document, {
    Scalar(_key, node) {
      if (isMergeValue(node)) diagnostics.push(mergeTagProblem(node, lineCounter));
    },
    Map(_key, map) {
      const seen = new Map<string, Node>();
      for (const pair of map.items) {
        if (isCollection(pair.key)) {
          const at = lineCounter.linePos(pair.key.range?.[0] ?? 0);
          diagnostics.push({
            line: at.line,
            column: at.col,
            path: '',
            message: 'a key is a list or mapping; a connector file uses plain keys such as `name`',
            severity: 'error',
          });
          continue;
        }
        if (!isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        const first = seen.get(name);
        if (!first) {
          seen.set(name, pair.key);
          continue;
        }
        const at = lineCounter.linePos(pair.key.range?.[0] ?? 0);
        const end = lineCounter.linePos(pair.key.range?.[1] ?? 0);
        const firstLine = lineCounter.linePos(first.range?.[0] ?? 0).line;
        diagnostics.push({
          line: at.line,
          column: at.col,
          endLine: end.line,
          endColumn: end.col,
          path: name,
          message: `the key \`${name}\` appears twice in the same mapping (first on line ${firstLine}); keep one`,
          severity: 'error',
        });
      }
    },
  });
  return diagnostics;
}

/**
 * Tells whether `node` is a scalar tagged `!!merge`. The tag turns it into the merge-key marker,
 * a symbol, which is no value a connector file can contain and which structuredClone cannot copy.
 */
function isMergeValue(node: unknown): node is Scalar {
  return isScalar(node) && typeof node.value === 'symbol';
}

function mergeTagProblem(node: Scalar, lineCounter: LineCounter): Diagnostic {
  const at = lineCounter.linePos(node.range?.[0] ?? 0);
  return {
    line: at.line,
    column: at.col,
    path: '',
    message: 'the tag `!!merge` marks a merge key (`<<`) and cannot stand on a value; remove the tag',
    severity: 'error',
  };
}

/**
 * Scans for flow brackets nested deeper than the limit, and for block indentation that deep,
 * without building a tree. Quoted strings and comments are skipped.
 */
function findExcessiveNesting(text: string): { line: number; column: number } | undefined {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let quote: '"' | "'" | undefined;

  const firstColumn = blockIndentation(text, 0);
  if (firstColumn > MAX_NESTING_DEPTH * 4) return { line, column: firstColumn + 1 };

  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '\n') {
      line++;
      lineStart = index + 1;
      const indent = blockIndentation(text, lineStart);
      if (indent > MAX_NESTING_DEPTH * 4 && quote === undefined) return { line, column: indent + 1 };
      continue;
    }
    if (quote !== undefined) {
      if (char === '\\' && quote === '"') index++;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === '"' || char === "'") {
      const previous = text[index - 1];
      // A quote inside a plain scalar (don't) does not open a string.
      if (previous === undefined || /[\s[{,:-]/.test(previous)) quote = char;
    } else if (char === '#' && (index === 0 || /\s/.test(text[index - 1] ?? ''))) {
      const end = text.indexOf('\n', index);
      index = end === -1 ? text.length : end - 1;
    } else if (char === '[' || char === '{') {
      depth++;
      if (depth > MAX_NESTING_DEPTH) return { line, column: index - lineStart + 1 };
    } else if ((char === ']' || char === '}') && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

/**
 * Returns how far the line at `lineStart` is indented, counting the compact indicators `- `,
 * `? ` and `: ` as indentation: `- - - x` nests three lists on one line, and the YAML parser
 * recurses once per level whether the levels are spaces or indicators.
 */
function blockIndentation(text: string, lineStart: number): number {
  let index = lineStart;
  for (;;) {
    while (text[index] === ' ') index++;
    const isIndicator = (text[index] === '-' || text[index] === '?' || text[index] === ':') && /[ \t]/.test(text[index + 1] ?? '');
    if (!isIndicator) return index - lineStart;
    index += 2;
  }
}

/**
 * Returns the offset of the last `[` or `{` still open at `upTo`, skipping quoted strings and
 * comments, or undefined when every bracket before it is closed.
 */
function findUnclosedBracket(text: string, upTo: number): number | undefined {
  const open: number[] = [];
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < Math.min(upTo, text.length); index++) {
    const char = text[index];
    if (quote !== undefined) {
      if (char === '\\' && quote === '"') index++;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === '"' || char === "'") {
      if (index === 0 || /[\s[{,:-]/.test(text[index - 1] ?? '')) quote = char;
    } else if (char === '#' && (index === 0 || /\s/.test(text[index - 1] ?? ''))) {
      const end = text.indexOf('\n', index);
      index = end === -1 ? text.length : end - 1;
    } else if (char === '[' || char === '{') {
      open.push(index);
    } else if (char === ']' || char === '}') {
      open.pop();
    }
  }
  return open[open.length - 1];
}
