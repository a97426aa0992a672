import { join, relative } from 'node:path';
import { Document, isMap, isSeq } from 'yaml';

import { packageRoot } from '../package-root.js';
import { TextEditor } from './edit.js';
import { decodeSource, isSourceProblem } from './source.js';

/** The first line of every file the tool writes, so editors validate as the user types. */
export function schemaHeader(connectorFolder: string): string {
  const schemaPath = join(packageRoot(), 'schemas', 'connector.schema.json');
  const reference = relative(connectorFolder, schemaPath).split('\\').join('/');
  return `# yaml-language-server: $schema=${reference}`;
}

const HEADER_LINE = /^# yaml-language-server: \$schema=.*$/m;

/** A field to write, as a dotted path and a value. */
export type FieldValue = [path: (string | number)[], value: unknown];

/**
 * Renders a new connector file from ordered fields. Lists of small mappings (scopes,
 * parameters) are written in flow style, one item a line, as DESIGN.md shows them.
 */
export function renderNewFile(value: Record<string, unknown>, header: string): string {
  const document = new Document(value);
  for (const path of [['connectionParameters'], ['scopes', 'items'], ['auth', 'parameters']]) {
    const node = document.getIn(path, true);
    if (isSeq(node)) for (const item of node.items) if (isMap(item)) item.flow = true;
  }
  for (const path of [['auth', 'username'], ['auth', 'password']]) {
    const node = document.getIn(path, true);
    if (isMap(node)) node.flow = true;
  }
  return `${header}\n${document.toString({ lineWidth: 0 })}`;
}

/** Applies fields to a template's text with the text editor, so the template's comments stay. */
export function applyToTemplate(templateText: string, fields: FieldValue[], header: string, templateName: string): string {
  const decoded = decodeSource(Buffer.from(templateText), undefined, `template ${templateName}`);
  if (isSourceProblem(decoded)) throw new Error(`template ${templateName} is not valid UTF-8`);
  const editor = new TextEditor(decoded);
  for (const [path, value] of fields) editor.set(path, value);
  const text = editor.result;
  return HEADER_LINE.test(text) ? text.replace(HEADER_LINE, header) : `${header}\n${text}`;
}

