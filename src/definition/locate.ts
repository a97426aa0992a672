import { isMap, isPair, isScalar, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';

import { formatPath, type Diagnostic } from './diagnostics.js';
import type { ParsedSource } from './parse.js';
import type { SemanticProblem } from './semantic.js';

export interface Located {
  node: Node | undefined;
  keyNode: Node | undefined;
}

export interface Position {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/**
 * Returns the span of the node at `path`: its key when `atKey`, otherwise its value. A path that
 * does not exist (a missing field) points at the closest ancestor that does.
 */
export function positionOf(document: Document.Parsed, lineCounter: LineCounter, path: (string | number)[], atKey: boolean): Position {
  const located = locate(document, path);
  const anchor = atKey ? (located.keyNode ?? located.node) : (located.node ?? located.keyNode);
  const range = (anchor ?? nearestExisting(document, path))?.range;
  const start = lineCounter.linePos(range?.[0] ?? 0);
  const end = lineCounter.linePos(range?.[1] ?? range?.[0] ?? 0);
  return { line: start.line, column: start.col, endLine: end.line, endColumn: end.col };
}

export function locateProblem(parsed: ParsedSource, problem: SemanticProblem): Diagnostic {
  const position = parsed.document
    ? positionOf(parsed.document, parsed.lineCounter, problem.path, problem.atKey ?? false)
    : { line: 0, column: 0 };
  return { ...position, path: formatPath(problem.path), message: problem.message, severity: problem.severity };
}

export function locate(document: Document.Parsed, path: (string | number)[]): Located {
  let node: unknown = document.contents;
  let keyNode: Node | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = pairsByKey(node).get(String(segment));
      if (!pair) return { node: undefined, keyNode: undefined };
      keyNode = pair.key as Node;
      node = pair.value;
    } else if (node && typeof node === 'object' && 'items' in node && typeof segment === 'number') {
      node = (node as { items: unknown[] }).items[segment];
      keyNode = undefined;
    } else {
      return { node: undefined, keyNode: undefined };
    }
  }
  return { node: (node ?? undefined) as Node | undefined, keyNode };
}

/**
 * Each mapping's pairs by key text, the first pair winning as in a linear search. Built once per
 * mapping, because a file with thousands of unknown keys gets one lookup per key, and a scan per
 * lookup would make that quadratic. No caller changes a document after parsing it, so an index
 * stays valid.
 */
const keyIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairsByKey(map: YAMLMap): Map<string, Pair> {
  let index = keyIndexes.get(map);
  if (index !== undefined) return index;

  index = new Map();
  for (const item of map.items) {
    if (!isPair(item) || !isScalar(item.key)) continue;
    const key = String(item.key.value);
    if (!index.has(key)) index.set(key, item);
  }
  keyIndexes.set(map, index);
  return index;
}

/** For a missing field, points at the closest ancestor that exists: its key, so `auth:` is underlined. */
function nearestExisting(document: Document.Parsed, path: (string | number)[]): Node | undefined {
  for (let length = path.length - 1; length >= 0; length--) {
    const located = locate(document, path.slice(0, length));
    const found = located.keyNode ?? located.node;
    if (found?.range) return found;
  }
  return undefined;
}

