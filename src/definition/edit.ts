import { isMap, isPair, isScalar, isSeq, parse, stringify, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';

import { InvalidFileError, UsageError } from '../cli/errors.js';
import type { SourceFile } from './source.js';
import { parseSource } from './parse.js';

/**
 * Edits a connector file as text, splicing only the bytes of the value being changed, so
 * comments, key order, quoting, blank lines and line endings elsewhere stay exactly as they
 * were. The yaml Document gives the positions; re-serialising the whole Document would
 * reformat parts the user wrote by hand.
 */
export class TextEditor {
  private text: string;
  private readonly eol: string;

  constructor(private readonly source: SourceFile) {
    this.text = source.text;
    this.eol = source.eol;
  }

  get result(): string {
    return this.text;
  }

  /** Sets the value at `path`, adding the key (and missing parent mappings) when absent. */
  set(path: (string | number)[], value: unknown): void {
    const document = this.parse();
    const existing = nodeAt(document, this.text, path);
    if (existing && isScalar(existing.node) && isScalarValue(value)) {
      this.replaceScalar(existing.node, value, existing.inFlow);
      return;
    }
    if (existing?.node) {
      this.replaceNode(existing.node, value, existing.inFlow, existing.parentIndent);
      return;
    }

    // Find the deepest existing mapping on the path and add what is missing below it.
    for (let depth = path.length - 1; depth >= 0; depth--) {
      const parent = depth === 0 ? { node: document.contents as Node, inFlow: false, parentIndent: -1 } : nodeAt(document, this.text, path.slice(0, depth));
      if (!parent?.node) continue;
      if (!isMap(parent.node)) {
        throw new UsageError(`cannot set ${path.join('.')}: ${path.slice(0, depth).join('.')} is not a mapping`);
      }
      const key = path[depth];
      if (typeof key !== 'string') throw new UsageError(`cannot set ${path.join('.')}: list items are added with their own command`);
      const rest = path.slice(depth + 1);
      let nested: unknown = value;
      for (let index = rest.length - 1; index >= 0; index--) nested = { [String(rest[index])]: nested };
      this.insertPair(parent.node, key, nested);
      return;
    }
    throw new UsageError(`cannot set ${path.join('.')}`);
  }

  /** Removes the key at `path`; returns false when it was not there. */
  delete(path: (string | number)[]): boolean {
    const document = this.parse();
    const parentPath = path.slice(0, -1);
    const parent = parentPath.length === 0 ? (document.contents as Node) : nodeAt(document, this.text, parentPath)?.node;
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last));
      if (!pair) return false;
      this.removeEntry(parent, pair);
      return true;
    }
    if (isSeq(parent) && typeof last === 'number') {
      const item = parent.items[last] as Node | undefined;
      if (!item) return false;
      this.removeEntry(parent, item);
      return true;
    }
    return false;
  }

  /** Appends an item to the list at `path`, creating the list (and parents) when absent. */
  append(path: (string | number)[], item: unknown): void {
    const document = this.parse();
    const found = nodeAt(document, this.text, path);
    if (!found?.node || (isScalar(found.node) && found.node.value === null)) {
      this.set(path, [item]);
      return;
    }
    if (!isSeq(found.node)) throw new UsageError(`cannot add to ${path.join('.')}: it is not a list`);
    const seq = found.node;
    const range = seq.range!;

    if (seq.flow) {
      const last = seq.items[seq.items.length - 1] as Node | undefined;
      if (last?.range) {
        this.splice(last.range[1], last.range[1], `, ${flowText(item)}`);
      } else {
        const close = this.text.lastIndexOf(']', range[1]);
        this.splice(close, close, flowText(item));
      }
      return;
    }

    const lastItem = seq.items[seq.items.length - 1] as Node | undefined;
    const lastStart = lastItem?.range?.[0] ?? range[0];
    const dashColumn = this.text.lastIndexOf('-', lastStart) - this.lineStart(lastStart);
    const indent = ' '.repeat(Math.max(0, dashColumn));
    const asFlow = lastItem !== undefined && (isMap(lastItem) || isSeq(lastItem)) && lastItem.flow === true;
    const itemText = asFlow || !isPlainObject(item) ? flowText(item) : this.blockText(item, indent.length + 2).trimStart();
    const at = this.endOfLine(range[1] > 0 ? range[1] - 1 : range[1]);
    this.insertLine(at, `${indent}- ${itemText}`);
  }

  private parse(): Document.Parsed {
    const parsed = parseSource({ ...this.source, text: this.text });
    if (!parsed.document || parsed.diagnostics.some((d) => d.severity === 'error')) {
      throw new InvalidFileError(`cannot edit ${this.source.label}: fix its YAML errors first (run connector validate)`);
    }
    return parsed.document;
  }

  private replaceScalar(node: Node, value: string | number | boolean, inFlow: boolean): void {
    const range = node.range!;
    const original = this.text.slice(range[0], range[1]);
    const type = isScalar(node) ? node.type : undefined;
    let replacement = scalarText(value, inFlow, type);
    // A block scalar's range ends with its line break; the replacement keeps it.
    if (/\n$/.test(original)) replacement += this.eol;
    this.splice(range[0], range[1], replacement);
  }

  private replaceNode(node: Node, value: unknown, inFlow: boolean, parentIndent: number): void {
    const range = node.range!;
    if (inFlow || isScalarValue(value) || (isMap(node) || isSeq(node) ? node.flow : false)) {
      this.splice(range[0], range[1], isScalarValue(value) ? scalarText(value, inFlow) : flowText(value));
      return;
    }
    // A block collection is replaced by a block of the same indentation, starting on a new line.
    const keyLineEnd = this.text.lastIndexOf('\n', range[0]);
    const childIndent = Math.max(0, parentIndent) + this.indentStep();
    const block = this.blockText(value, childIndent);
    this.splice(keyLineEnd + 1, range[1], block);
  }

  private insertPair(map: YAMLMap, key: string, value: unknown): void {
    const range = map.range!;
    const keyText = scalarText(key, map.flow === true);

    if (map.flow) {
      const last = map.items[map.items.length - 1];
      if (last) {
        const end = (last.value as Node | null)?.range?.[1] ?? (last.key as Node).range![1];
        this.splice(end, end, `, ${keyText}: ${flowText(value)}`);
      } else {
        const close = this.text.lastIndexOf('}', range[1]);
        this.splice(close, close, ` ${keyText}: ${flowText(value)} `);
      }
      return;
    }

    const firstKey = map.items[0]?.key as Node | undefined;
    const keyStart = firstKey?.range?.[0] ?? range[0];
    const indent = keyStart - this.lineStart(keyStart);
    const lastPair = map.items[map.items.length - 1] as Pair | undefined;
    const lastEnd = (lastPair?.value as Node | null | undefined)?.range?.[1] ?? (lastPair?.key as Node | undefined)?.range?.[1] ?? range[1];
    const at = this.endOfLine(Math.max(0, lastEnd - (this.text[lastEnd - 1] === '\n' ? 1 : 0)));

    if (isScalarValue(value)) {
      this.insertLine(at, `${' '.repeat(indent)}${keyText}: ${scalarText(value, false)}`);
      return;
    }
    const block = this.blockText({ [key]: value }, indent).replace(/\r?\n$/, '');
    this.insertLine(at, block);
  }

  private removeEntry(collection: YAMLMap | YAMLSeq, entry: Pair | Node): void {
    const start = isPair(entry) ? (entry.key as Node).range![0] : (entry as Node).range![0];
    const valueNode = isPair(entry) ? ((entry.value as Node | null) ?? (entry.key as Node)) : (entry as Node);
    const end = valueNode.range![1];

    if (collection.flow) {
      // Remove the entry with one adjacent comma.
      let from = start;
      let to = end;
      const after = this.text.slice(to).match(/^\s*,\s*/);
      if (after) to += after[0].length;
      else {
        const before = this.text.slice(0, from).match(/,\s*$/);
        if (before) from -= before[0].length;
      }
      this.splice(from, to, '');
      return;
    }

    const from = this.lineStart(start);
    const to = end > 0 && this.text[end - 1] === '\n' ? end : this.nextLineStart(end);
    this.splice(from, to, '');
  }

  private blockText(value: unknown, indent: number): string {
    const text = stringify(value, { indent: this.indentStep(), lineWidth: 0, defaultStringType: 'PLAIN' });
    const pad = ' '.repeat(indent);
    return text
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => pad + line)
      .join(this.eol) + this.eol;
  }

  /** Returns the indentation step the file uses for nested mappings, or 2 when it has none. */
  private indentStep(): number {
    const match = /\n( +)[^\s-]/.exec(this.text);
    return match ? Math.min(8, match[1]!.length) : 2;
  }

  private insertLine(at: number, line: string): void {
    const needsBreak = at > 0 && this.text[at - 1] !== '\n';
    const text = (needsBreak ? this.eol : '') + line.replace(/\r?\n$/, '') + this.eol;
    this.splice(at, at, text);
  }

  private lineStart(offset: number): number {
    return this.text.lastIndexOf('\n', offset - 1) + 1;
  }

  /** Returns the offset just after the line break that ends the line containing `offset`. */
  private endOfLine(offset: number): number {
    const newline = this.text.indexOf('\n', offset);
    return newline === -1 ? this.text.length : newline + 1;
  }

  private nextLineStart(offset: number): number {
    return this.endOfLine(offset);
  }

  private splice(from: number, to: number, replacement: string): void {
    const fixed = this.eol === '\r\n' ? replacement.replace(/\r?\n/g, '\r\n') : replacement;
    this.text = this.text.slice(0, from) + fixed + this.text.slice(to);
  }
}

interface Found {
  node: Node | undefined;
  inFlow: boolean;
  /** Column of the key that contains the node, or -1 at the top level. */
  parentIndent: number;
}

function nodeAt(document: Document.Parsed, text: string, path: (string | number)[]): Found | undefined {
  let node: unknown = document.contents;
  let inFlow = false;
  let parentIndent = -1;
  for (const segment of path) {
    if (isMap(node)) {
      inFlow ||= node.flow === true;
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return undefined;
      parentIndent = columnOf(text, (pair.key as Node).range![0]);
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      inFlow ||= node.flow === true;
      node = node.items[segment];
      if (node === undefined) return undefined;
    } else {
      return undefined;
    }
  }
  return { node: (node ?? undefined) as Node | undefined, inFlow, parentIndent };
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

function isScalarValue(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Writes a scalar in the style it had, or plain when plain reads back as the same string. */
export function scalarText(value: string | number | boolean, inFlow: boolean, originalType?: string | null): string {
  if (typeof value !== 'string') return String(value);
  // Single quotes cannot escape a line break or a control character; double quotes can.
  if (originalType === 'QUOTE_SINGLE' && !/[\u0000-\u001f\u007f]/.test(value)) return `'${value.replace(/'/g, "''")}'`;
  if (originalType === 'QUOTE_DOUBLE') return JSON.stringify(value);
  if (isSafePlain(value, inFlow)) return value;
  return JSON.stringify(value);
}

function isSafePlain(value: string, inFlow: boolean): boolean {
  if (value === '' || value !== value.trim() || /[\n\r\t]/.test(value)) return false;
  if (inFlow && /[,[\]{}]/.test(value)) return false;
  try {
    const parsed = inFlow ? parse(`{ k: ${value} }`) : parse(`k: ${value}`);
    return parsed?.k === value;
  } catch {
    return false;
  }
}

/** Renders a value in compact flow style, for list items and values inside flow collections. */
export function flowText(value: unknown): string {
  if (isScalarValue(value)) return scalarText(value, true);
  if (Array.isArray(value)) return `[${value.map(flowText).join(', ')}]`;
  if (isPlainObject(value)) {
    const entries = Object.entries(value).map(([key, item]) => `${scalarText(key, true)}: ${flowText(item)}`);
    return `{ ${entries.join(', ')} }`;
  }
  return 'null';
}
