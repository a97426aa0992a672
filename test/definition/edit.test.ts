import { describe, expect, it } from 'vitest';

import { TextEditor } from '../../src/definition/edit.js';
import type { SourceFile } from '../../src/definition/source.js';

function source(text: string): SourceFile {
  return { path: undefined, label: 'connector.yaml', text, bom: false, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

const original = `# yaml-language-server: $schema=../schemas/connector.schema.json
# Zylker's connector: keep this comment.
schemaVersion: 1
name: 'Zylker Files'   # the display name
linkName: zylker_files
stage: draft

auth:
  type: oauth2
  clientId: "1000.ABC"
  tokenUrl: https://accounts.zylker.com/oauth/v2/token
  authorizationParams: { access_type: offline }

# Scopes the connector may request.
scopes:
  delimiter: comma
  items:
    - { name: Read files, value: files.read }
    - name: Write files
      value: files.write
`;

describe('TextEditor', () => {
  it('changes only the bytes of one value', () => {
    const editor = new TextEditor(source(original));
    editor.set(['stage'], 'ready');
    expect(editor.result).toBe(original.replace('stage: draft', 'stage: ready'));
  });

  it('gives back the original bytes after ready then draft', () => {
    const editor = new TextEditor(source(original));
    editor.set(['stage'], 'ready');
    editor.set(['stage'], 'draft');
    expect(editor.result).toBe(original);
  });

  it('keeps the quoting style of the old value', () => {
    const editor = new TextEditor(source(original));
    editor.set(['name'], "Zylker's Files");
    editor.set(['auth', 'clientId'], '2000.XYZ');
    expect(editor.result).toContain(`name: 'Zylker''s Files'   # the display name`);
    expect(editor.result).toContain('clientId: "2000.XYZ"');
  });

  it('quotes a string that would read as a number', () => {
    const editor = new TextEditor(source(original));
    editor.set(['linkName'], 'zylker');
    editor.set(['auth', 'tokenUrl'], '123');
    expect(editor.result).toContain('tokenUrl: "123"');
  });

  it('adds a missing key under its mapping with the same indentation', () => {
    const editor = new TextEditor(source(original));
    editor.set(['auth', 'revokeTokenUrl'], 'https://accounts.zylker.com/oauth/v2/revoke');
    expect(editor.result).toContain('  authorizationParams: { access_type: offline }\n  revokeTokenUrl: https://accounts.zylker.com/oauth/v2/revoke\n\n# Scopes');
  });

  it('adds a key inside a flow mapping', () => {
    const editor = new TextEditor(source(original));
    editor.set(['auth', 'authorizationParams', 'prompt'], 'consent');
    expect(editor.result).toContain('authorizationParams: { access_type: offline, prompt: consent }');
  });

  it('creates missing parent mappings', () => {
    const editor = new TextEditor(source(original));
    editor.set(['test', 'url'], '/v1/me');
    expect(editor.result.endsWith('test:\n  url: /v1/me\n')).toBe(true);
  });

  it('appends a scope in the style of the last item', () => {
    const flowLast = original.replace('    - name: Write files\n      value: files.write\n', '');
    const editor = new TextEditor(source(flowLast));
    editor.append(['scopes', 'items'], { name: 'Delete files', value: 'files.delete' });
    expect(editor.result.endsWith('    - { name: Read files, value: files.read }\n    - { name: Delete files, value: files.delete }\n')).toBe(true);

    const blockLast = new TextEditor(source(original));
    blockLast.append(['scopes', 'items'], { name: 'Delete files', value: 'files.delete' });
    expect(blockLast.result.endsWith('      value: files.write\n    - name: Delete files\n      value: files.delete\n')).toBe(true);
  });

  it('removes a list item with its lines', () => {
    const editor = new TextEditor(source(original));
    editor.delete(['scopes', 'items', 0]);
    expect(editor.result).toBe(original.replace('    - { name: Read files, value: files.read }\n', ''));
  });

  it('removes a key and keeps the comments around it', () => {
    const editor = new TextEditor(source(original));
    expect(editor.delete(['auth', 'authorizationParams'])).toBe(true);
    expect(editor.result).toBe(original.replace('  authorizationParams: { access_type: offline }\n', ''));
    expect(editor.delete(['auth', 'nothing'])).toBe(false);
  });

  it('keeps CRLF line endings', () => {
    const crlf = original.replace(/\n/g, '\r\n');
    const editor = new TextEditor(source(crlf));
    editor.set(['stage'], 'ready');
    editor.set(['auth', 'revokeTokenUrl'], 'https://accounts.zylker.com/oauth/v2/revoke');
    editor.append(['scopes', 'items'], { name: 'Delete files', value: 'files.delete' });
    expect(editor.result.replace(/\r\n/g, '')).not.toContain('\n');
    expect(editor.result).toContain('stage: ready\r\n');
  });

  it('adds a scopes section when there is none', () => {
    const bare = 'schemaVersion: 1\nname: Bare\nlinkName: bare\nauth:\n  type: oauth2\n';
    const editor = new TextEditor(source(bare));
    editor.append(['scopes', 'items'], { name: 'Read', value: 'read' });
    expect(editor.result).toBe(`${bare}scopes:\n  items:\n    - name: Read\n      value: read\n`);
  });

  it('handles a file without a final line break', () => {
    const editor = new TextEditor(source('schemaVersion: 1\nname: Bare\nlinkName: bare'));
    editor.set(['stage'], 'ready');
    expect(editor.result).toBe('schemaVersion: 1\nname: Bare\nlinkName: bare\nstage: ready\n');
  });

  it('switches to double quotes for a line break', () => {
    const editor = new TextEditor(source(original));
    editor.set(['name'], 'Zylker\nFiles');
    expect(editor.result).toContain('name: "Zylker\\nFiles"   # the display name');
  });
});
