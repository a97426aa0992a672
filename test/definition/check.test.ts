import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { checkSource, positionInSource } from '../../src/definition/check.js';
import { parseSource } from '../../src/definition/parse.js';
import { positionOf } from '../../src/definition/locate.js';
import { validateSource } from '../../src/definition/validate.js';

const folder = mkdtempSync(join(tmpdir(), 'connector-check-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function source(text: string) {
  return { path: join(folder, 'connector.yaml'), label: 'connector.yaml', text, bom: false, eol: '\n' as const };
}

const ready = `schemaVersion: 1
name: Zylker Files
linkName: zylker_files
stage: ready
auth:
  type: oauth2
  grantType: authorizationCode
  clientId: "1000.ABC"
  clientSecret: env:ZYLKER_SECRET
  authorizationUrl: https://accounts.zylker.invalid/oauth/v2/auth
  tokenUrl: https://accounts.zylker.invalid/oauth/v2/token
scopes:
  items:
    - { name: Read files, value: files.read }
`;

// Each text is checked loosely and strictly: on the fast path (the first two), with a warning,
// with schema and semantic errors, with a YAML error, and outside the fast reader's subset.
const texts = {
  valid: ready,
  draft: ready.replace('stage: ready', 'stage: draft').replace('  clientId: "1000.ABC"\n', ''),
  literalSecret: ready.replace('env:ZYLKER_SECRET', 'literal-secret'),
  invalid: ready.replace('linkName: zylker_files', 'linkName: Zylker Files').replace('https://accounts.zylker.invalid/oauth/v2/token', 'accounts.zylker.invalid/token'),
  yamlError: ready.replace('name: Zylker Files', 'name: "Zylker Files'),
  anchors: ready.replace('name: Zylker Files', 'name: &name Zylker Files').replace('    - { name: Read files', '    - { name: *name'),
};

describe('checkSource', () => {
  for (const [name, text] of Object.entries(texts)) {
    for (const strict of [false, true]) {
      it(`matches validateSource: ${name}${strict ? ', strict' : ''}`, async () => {
        const checked = await checkSource(source(text), { strict });
        const validated = await validateSource(source(text), { strict });

        expect(checked.diagnostics).toEqual(validated.diagnostics);
        expect(checked.connector).toEqual(validated.connector);
        expect(checked.value).toEqual(validated.parsed.value);
      });
    }
  }

  it('fills in defaults on the fast path', async () => {
    const checked = await checkSource(source(ready));

    expect(checked.connector?.scopes?.delimiter).toBe('comma');
  });
});

describe('positionInSource', () => {
  it('matches positionOf', async () => {
    const parsed = parseSource(source(ready));
    const expected = positionOf(parsed.document!, parsed.lineCounter, ['linkName'], false);

    expect(await positionInSource(source(ready), ['linkName'])).toEqual(expected);
    expect(expected.line).toBe(3);
  });

  it('is undefined without one document', async () => {
    expect(await positionInSource(source(''), ['linkName'])).toBeUndefined();
    expect(await positionInSource(source('name: a\n---\nname: b\n'), ['name'])).toBeUndefined();
  });
});
