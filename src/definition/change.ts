import { formatDiagnostics, type Diagnostic } from './diagnostics.js';
import { TextEditor } from './edit.js';
import { saveConnectorFile, type LoadedFile } from './file.js';
import { validateSource, type ValidateOptions } from './validate.js';
import { InvalidFileError } from '../cli/errors.js';

const key = (diagnostic: Diagnostic) => `${diagnostic.path}\u0000${diagnostic.message}`;

/**
 * Applies an edit to a loaded connector file and writes it, unless the edit adds an error. Errors
 * the file already had do not block the edit, so a broken file can be fixed one field at a time.
 */
export async function changeConnectorFile(
  loaded: LoadedFile,
  edit: (editor: TextEditor) => void,
  options: ValidateOptions = {},
): Promise<{ changed: boolean; text: string }> {
  const editor = new TextEditor(loaded.source);
  edit(editor);
  const text = editor.result;
  if (text === loaded.source.text) return { changed: false, text };

  const before = await validateSource(loaded.source, options);
  const after = await validateSource({ ...loaded.source, text }, options);
  const known = new Set(before.diagnostics.map(key));
  const added = after.diagnostics.filter((diagnostic) => diagnostic.severity === 'error' && !known.has(key(diagnostic)));
  if (added.length > 0) {
    const details = formatDiagnostics(added, { label: loaded.source.label });
    throw new InvalidFileError(`the change would make ${loaded.source.label} invalid, so nothing was written:\n${details}`);
  }

  await saveConnectorFile(loaded, text);
  return { changed: true, text };
}
