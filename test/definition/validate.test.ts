import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { Diagnostic } from '../../src/definition/diagnostics.js';
import { validateSource } from '../../src/definition/validate.js';

const folder = mkdtempSync(join(tmpdir(), 'connector-validate-'));

async function diagnose(text: string, strict = false): Promise<Diagnostic[]> {
  const result = await validateSource({ path: join(folder, 'connector.yaml'), label: 'connector.yaml', text, bom: false, eol: '\n' }, { strict });
  return result.diagnostics;
}

const oauth2 = `schemaVersion: 1
name: Zylker Files
linkName: zylker_files
stage: draft
auth:
  type: oauth2
  grantType: authorizationCode
  clientId: "1000.ABC"
  clientSecret: env:ZYLKER_SECRET
  authorizationUrl: https://accounts.zylker.com/oauth/v2/auth
  tokenUrl: https://accounts.zylker.com/oauth/v2/token
scopes:
  delimiter: comma
  items:
    - { name: Read files, value: files.read }
`;

describe('validateSource', () => {
  it('accepts a complete OAuth 2.0 connector', async () => {
    expect(await diagnose(oauth2)).toEqual([]);
    expect(await diagnose(oauth2, true)).toEqual([]);
  });

  it('fills in schema defaults', async () => {
    const result = await validateSource({ path: join(folder, 'c.yaml'), label: 'c.yaml', text: oauth2, bom: false, eol: '\n' });
    const auth = result.connector?.auth;
    expect(auth?.type).toBe('oauth2');
    if (auth?.type !== 'oauth2') return;
    expect(auth.bearerName).toBe('Bearer');
    expect(auth.expiresIn).toBe(3600);
    expect(auth.pkce).toBe(true);
    expect(auth.clientAuthentication).toBe('body');
  });

  it('explains a URL without a scheme with the expected form', async () => {
    const [problem] = await diagnose(oauth2.replace('https://accounts.zylker.com/oauth/v2/token', 'accounts.zylker.com/oauth/v2/token'));
    expect(problem?.message).toContain('auth.tokenUrl must be an absolute https URL');
    expect(problem?.message).toContain('https://accounts.zylker.com/oauth/v2/token');
    expect(problem?.line).toBe(11);
    expect(problem?.column).toBe(13);
  });

  it('refuses http for a remote host but allows loopback', async () => {
    const remote = await diagnose(oauth2.replace('https://accounts.zylker.com/oauth/v2/token', 'http://accounts.zylker.com/token'));
    expect(remote[0]?.message).toMatch(/must use https/);
    const loopback = await diagnose(oauth2.replace('https://accounts.zylker.com/oauth/v2/token', 'http://127.0.0.1:9000/token'));
    expect(loopback).toEqual([]);
  });

  it('suggests the closest key for an unknown one', async () => {
    const [problem] = await diagnose(oauth2.replace('  tokenUrl:', '  tokenUrll:'));
    expect(problem?.message).toMatch(/unknown key `tokenUrll` in auth; did you mean `tokenUrl`\?/);
    expect(problem?.line).toBe(11);
    expect(problem?.column).toBe(3);
  });

  it('asks to quote a number where a string belongs', async () => {
    const problems = await diagnose(oauth2.replace('clientId: "1000.ABC"', 'clientId: 1000.10'));
    const problem = problems.find((item) => item.path === 'auth.clientId');
    expect(problem?.message).toContain('quote it');
    expect(problem?.message).toContain('clientId: "1000.10"');
  });

  it('reports duplicate scope values', async () => {
    const text = `${oauth2}    - { name: Again, value: files.read }\n`;
    const [problem] = await diagnose(text);
    expect(problem?.message).toMatch(/duplicate scope value "files.read"/);
    expect(problem?.line).toBe(16);
  });

  it('reports a placeholder with no connection parameter', async () => {
    const text = oauth2.replace('https://accounts.zylker.com/oauth/v2/token', 'https://{tenant}.zylker.com/oauth/v2/token');
    const [problem] = await diagnose(text);
    expect(problem?.message).toMatch(/placeholder \{tenant\}/);
    const declared = text.replace('stage: draft\n', 'stage: draft\nconnectionParameters:\n  - { name: Tenant, key: tenant }\n');
    expect(await diagnose(declared)).toEqual([]);
  });

  it('reports duplicate connection parameter keys', async () => {
    const text = oauth2.replace('stage: draft\n', 'stage: draft\nconnectionParameters:\n  - { name: Region, key: region }\n  - { name: Region again, key: region }\n');
    const [problem] = await diagnose(text);
    expect(problem?.message).toMatch(/duplicate connection parameter key "region"/);
  });

  it('refuses scopes on a connector that is not OAuth 2.0', async () => {
    const text = `schemaVersion: 1\nname: Keys\nlinkName: keys\nauth:\n  type: apiKey\n  location: header\n  parameters:\n    - { name: API key, key: X-Api-Key }\nscopes:\n  items:\n    - { name: Read, value: read }\n`;
    const problems = await diagnose(text);
    expect(problems.some((problem) => /scopes apply only to OAuth 2.0/.test(problem.message))).toBe(true);
  });

  it('warns about a literal secret', async () => {
    const problems = await diagnose(oauth2.replace('env:ZYLKER_SECRET', 's3cr3t-value'));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.severity).toBe('warning');
    expect(problems[0]?.message).toMatch(/literal secret/);
    expect(problems[0]?.message).not.toContain('s3cr3t-value');
  });

  it('checks the logo exists, is an image and is small', async () => {
    const missing = await diagnose(oauth2.replace('stage: draft', 'logo: ./nope.png\nstage: draft'));
    expect(missing[0]?.message).toMatch(/logo file not found/);

    writeFileSync(join(folder, 'text.png'), 'not an image');
    const wrongType = await diagnose(oauth2.replace('stage: draft', 'logo: ./text.png\nstage: draft'));
    expect(wrongType[0]?.message).toMatch(/not a PNG, JPEG, GIF or SVG/);

    writeFileSync(join(folder, 'big.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(1024 * 1024)]));
    const tooBig = await diagnose(oauth2.replace('stage: draft', 'logo: ./big.png\nstage: draft'));
    expect(tooBig[0]?.message).toMatch(/over the 1 MiB limit/);

    writeFileSync(join(folder, 'logo.svg'), '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>');
    expect(await diagnose(oauth2.replace('stage: draft', 'logo: ./logo.svg\nstage: draft'))).toEqual([]);
  });

  it('lists every missing piece in strict mode', async () => {
    const draft = `schemaVersion: 1\nname: Bare\nlinkName: bare\nauth:\n  type: oauth2\n`;
    expect(await diagnose(draft)).toEqual([]);
    const problems = await diagnose(draft, true);
    const paths = problems.map((problem) => problem.path);
    expect(paths).toContain('auth.clientId');
    expect(paths).toContain('auth.tokenUrl');
    expect(paths).toContain('auth.authorizationUrl');
  });

  it('reports every problem at once', async () => {
    const text = oauth2
      .replace('linkName: zylker_files', 'linkName: Zylker-Files')
      .replace('  tokenUrl:', '  tokenUrll:')
      .replace('https://accounts.zylker.com/oauth/v2/auth', 'ftp://accounts.zylker.com/auth');
    const problems = await diagnose(text);
    expect(problems.length).toBeGreaterThanOrEqual(3);
    expect(problems.map((problem) => problem.line)).toEqual([...problems.map((problem) => problem.line)].sort((a, b) => a - b));
  });

  it('refuses a wrong auth type with the allowed ones', async () => {
    const problems = await diagnose(oauth2.replace('type: oauth2', 'type: ouath2'));
    const problem = problems.find((item) => item.path === 'auth.type');
    expect(problem?.message).toMatch(/must be one of/);
    expect(problem?.message).toMatch(/did you mean oauth2/);
  });

  it('refuses a linkName in the wrong form with an example', async () => {
    const problems = await diagnose(oauth2.replace('linkName: zylker_files', 'linkName: 9files'));
    expect(problems[0]?.message).toMatch(/must start with a lower-case letter/);
  });

  it('points an unclosed bracket at where it opens', async () => {
    const [problem] = await diagnose('schemaVersion: 1\nname: [Files\nlinkName: x\n');
    expect(problem?.line).toBe(2);
    expect(problem?.column).toBe(7);
    expect(problem?.message).toMatch(/this \[ is never closed/);
  });

  it('lists YAML problems in file order', async () => {
    const problems = await diagnose('schemaVersion: 1\nname: a\nname: b\nauth:\n  type: basic\n\tx: 1\n');
    const lines = problems.map((problem) => problem.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });
});
