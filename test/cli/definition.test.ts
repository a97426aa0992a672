import { chmodSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { runCli, temporaryFolder } from '../support/cli.js';

let folder: { path: string; remove: () => void };
beforeEach(() => {
  folder = temporaryFolder();
});
afterEach(() => folder.remove());

const cli = (args: string[], stdin?: string) => runCli(args, { cwd: folder.path, stdin });
const file = () => readFileSync(join(folder.path, 'connector.yaml'), 'utf8');

const scriptedInit: Record<string, string[]> = {
  basic: ['--name', 'Acme Basic', '--auth', 'basic', '--base-url', 'https://api.acme.test'],
  apiKey: ['--name', 'Acme Keys', '--auth', 'apiKey', '--location', 'header', '--api-key', 'X-Api-Key=API key'],
  oauth1: [
    '--name', 'Acme OAuth1', '--auth', 'oauth1', '--consumer-key', 'ck_123', '--consumer-secret-env', 'ACME_CONSUMER_SECRET',
    '--request-token-url', 'https://api.acme.test/oauth/request_token', '--authorization-url', 'https://api.acme.test/oauth/authorize',
    '--access-token-url', 'https://api.acme.test/oauth/access_token', '--signature-method', 'HMAC-SHA1',
  ],
  oauth2: [
    '--name', 'Acme OAuth2', '--auth', 'oauth2', '--client-id', '1000.10', '--client-secret-env', 'ACME_CLIENT_SECRET',
    '--authorization-url', 'https://accounts.acme.test/oauth/authorize', '--token-url', 'https://accounts.acme.test/oauth/token',
    '--scope', 'files.read=Read files', '--scope', 'files.write',
  ],
};

describe.each(Object.entries(scriptedInit))('scripted init for %s', (authType, flags) => {
  it('writes a file that validate accepts and ready promotes', async () => {
    const init = await cli(['init', '--no-input', ...flags]);
    expect(init.stderr).toContain('Created');
    expect(init.code).toBe(0);
    const text = file();
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=.*schemas\/connector\.schema\.json$/);
    expect(text).toContain(`type: ${authType}`);
    expect(text).toContain('stage: draft');

    const validate = await cli(['validate']);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain('connector.yaml: valid');

    // A comment the user adds survives the promotion.
    writeFileSync(join(folder.path, 'connector.yaml'), text.replace('stage: draft', 'stage: draft # promoted by CI'));
    const ready = await cli(['ready']);
    expect(ready.stderr).toContain('now Ready');
    expect(ready.code).toBe(0);
    expect(file()).toContain('stage: ready # promoted by CI');

    const stage = await cli(['get', 'stage']);
    expect(stage.stdout).toBe('ready\n');
  });
});

describe('init', () => {
  it('keeps a numeric-looking client id a string', async () => {
    await cli(['init', '--no-input', ...scriptedInit.oauth2!]);
    expect(file()).toContain('clientId: "1000.10"');
    expect((await cli(['get', 'auth.clientId'])).stdout).toBe('1000.10\n');
  });

  it('names the missing flags under --no-input', async () => {
    const result = await cli(['init', '--no-input']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--name NAME');
    expect(result.stderr).toContain('--auth basic|apiKey|oauth1|oauth2');
  });

  it('never prompts when stdin is not a terminal', async () => {
    const result = await cli(['init', '--name', 'No Terminal']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--auth');
  });

  it('refuses to overwrite without --force', async () => {
    await cli(['init', '--no-input', ...scriptedInit.basic!]);
    const before = file();
    const again = await cli(['init', '--no-input', '--name', 'Other', '--auth', 'basic']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(file()).toBe(before);

    const forced = await cli(['init', '--no-input', '--name', 'Other', '--auth', 'basic', '--force']);
    expect(forced.code).toBe(0);
    expect(file()).toContain('name: Other');
  });

  it('derives the link name with accents folded', async () => {
    await cli(['init', '--no-input', '--name', 'Café Crème API!', '--auth', 'basic']);
    expect(file()).toContain('linkName: cafe_creme_api');
  });

  it('writes into a new folder given as DIR', async () => {
    const result = await cli(['init', 'connectors/acme', '--no-input', ...scriptedInit.basic!]);
    expect(result.code).toBe(0);
    const text = readFileSync(join(folder.path, 'connectors', 'acme', 'connector.yaml'), 'utf8');
    expect(text).toContain('# yaml-language-server: $schema=../../');
  });

  it('sets any field with --set, typed by the schema', async () => {
    const result = await cli(['init', '--no-input', ...scriptedInit.oauth2!, '--set', 'auth.expiresIn=600', '--set', 'auth.tokenParams.audience=api', '--set', 'auth.pkce=false']);
    expect(result.code).toBe(0);
    const text = file();
    expect(text).toContain('expiresIn: 600');
    expect(text).toContain('audience: api');
    expect(text).toContain('pkce: false');
  });

  it('refuses an unknown --set key with a suggestion', async () => {
    const result = await cli(['init', '--no-input', ...scriptedInit.oauth2!, '--set', 'auth.tokenUrll=https://x.test/token']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('did you mean auth.tokenUrl');
  });

  it('refuses an invalid URL flag and writes nothing', async () => {
    const result = await cli(['init', '--no-input', '--name', 'Bad', '--auth', 'oauth2', '--token-url', 'accounts.acme.test/token']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('auth.tokenUrl must be an absolute https URL');
    expect(readdirSync(folder.path)).not.toContain('connector.yaml');
  });

  it('refuses a bad link name', async () => {
    const result = await cli(['init', '--no-input', '--name', 'Bad', '--link-name', 'Bad-Name', '--auth', 'basic']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--link-name');
  });

  it('refuses a missing logo', async () => {
    const result = await cli(['init', '--no-input', '--name', 'Logo', '--auth', 'basic', '--logo', 'missing.png']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--logo');
  });

  it('reports what ready still needs, in JSON too', async () => {
    const result = await cli(['init', '--no-input', '--name', 'Partial', '--auth', 'oauth2', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { missingForReady: string[]; stage: string };
    expect(report.stage).toBe('draft');
    expect(report.missingForReady.some((message) => message.includes('auth.clientId'))).toBe(true);
  });

  it('lists the templates', async () => {
    const result = await cli(['init', '--list-templates', '--json']);
    expect(result.code).toBe(0);
    const names = (JSON.parse(result.stdout) as { name: string }[]).map((template) => template.name);
    for (const name of ['basic', 'api-key', 'oauth1', 'oauth2', 'dropbox', 'github', 'google', 'slack', 'zoom', 'salesforce', 'x', 'trello']) {
      expect(names).toContain(name);
    }
  });

  it('starts from every template and keeps its comments', async () => {
    const list = JSON.parse((await cli(['init', '--list-templates', '--json'])).stdout) as { name: string }[];
    for (const { name } of list) {
      const target = `t-${name}`;
      const result = await cli(['init', target, '--no-input', '--template', name, '--name', `From ${name}`]);
      expect(result.code, `${name}: ${result.stderr}`).toBe(0);
      const text = readFileSync(join(folder.path, target, 'connector.yaml'), 'utf8');
      expect(text).toMatch(/^# yaml-language-server: \$schema=/);
      expect(text).toContain('# template:');
      const validate = await cli(['validate', join(target, 'connector.yaml')]);
      expect(validate.code, `${name}: ${validate.stdout}`).toBe(0);
    }
  });

  it('refuses an unknown template', async () => {
    const result = await cli(['init', '--no-input', '--template', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--list-templates');
  });
});

describe('validate', () => {
  const broken = [
    'schemaVersion: 1',
    'name: Broken',
    'linkName: Broken-Name',
    'auth:',
    '  type: oauth2',
    '  tokenUrll: https://accounts.acme.test/token',
    '  authorizationUrl: accounts.acme.test/authorize',
    '  clientId: 12345',
    '',
  ].join('\n');

  it('prints every problem as FILE:LINE:COL and exits 3', async () => {
    writeFileSync(join(folder.path, 'connector.yaml'), broken);
    const result = await cli(['validate']);
    expect(result.code).toBe(3);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContain('connector.yaml:3:11: linkName must start with a lower-case letter and use only a-z, 0-9 and _, e.g. zylker_files (got "Broken-Name")');
    expect(lines.some((line) => line.startsWith('connector.yaml:6:3: unknown key `tokenUrll` in auth; did you mean `tokenUrl`?'))).toBe(true);
    expect(lines.some((line) => line.startsWith('connector.yaml:7:21: auth.authorizationUrl must be an absolute https URL'))).toBe(true);
    expect(lines.some((line) => line.startsWith('connector.yaml:8:13: auth.clientId must be a string') && line.includes('quote it'))).toBe(true);
  });

  it('prints JSON diagnostics', async () => {
    writeFileSync(join(folder.path, 'connector.yaml'), broken);
    const result = await cli(['validate', '--json']);
    expect(result.code).toBe(3);
    const rows = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(rows[0]!).sort()).toEqual(['column', 'line', 'message', 'path', 'severity']);
    expect(rows.find((row) => row.path === 'linkName')).toMatchObject({ line: 3, column: 11, severity: 'error' });
  });

  it('reads a file from stdin with -', async () => {
    const result = await cli(['validate', '-'], broken);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('-:3:11: linkName');
  });

  it('exits 2 for a missing file, naming it', async () => {
    const result = await cli(['validate', 'nope.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('connector file not found: nope.yaml');
  });

  it('exits 2 for an unknown option', async () => {
    const result = await cli(['validate', '--frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--frobnicate');
  });

  it('refuses a file over 1 MiB with the limit named', async () => {
    writeFileSync(join(folder.path, 'connector.yaml'), `# ${'x'.repeat(1024 * 1024)}\n`);
    const result = await cli(['validate']);
    expect(result.code).toBe(3);
    expect(result.stdout + result.stderr).toContain('1 MiB');
  });

  it('checks several files and names both places of a duplicate link name', async () => {
    await cli(['init', 'a', '--no-input', '--name', 'Same', '--auth', 'basic']);
    await cli(['init', 'b', '--no-input', '--name', 'Same', '--auth', 'basic']);
    const result = await cli(['validate', 'a', 'b']);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/b\/connector\.yaml:\d+:\d+: linkName "same" is already used by a\/connector\.yaml:\d+/);
    expect(result.stdout).toContain('2 files checked: 1 valid, 1 invalid');
  });

  it('never prints a stack for a broken file', async () => {
    for (const text of ['[', 'a: b: c', '\u0000', 'name: [[[[[[[', '- 1\n- 2']) {
      writeFileSync(join(folder.path, 'connector.yaml'), text);
      const result = await cli(['validate']);
      expect(result.code).toBe(3);
      expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('ready and draft', () => {
  it('lists every missing piece and exits 3', async () => {
    await cli(['init', '--no-input', '--name', 'Partial', '--auth', 'oauth2']);
    const before = file();
    const result = await cli(['ready']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('auth.clientId is missing');
    expect(result.stderr).toContain('auth.tokenUrl is missing');
    expect(result.stderr).toContain('auth.authorizationUrl is missing');
    expect(file()).toBe(before);
  });

  it('is harmless twice, and draft gives back the original bytes', async () => {
    await cli(['init', '--no-input', ...scriptedInit.oauth2!]);
    const original = file();
    expect((await cli(['ready'])).code).toBe(0);
    const once = file();
    const twice = await cli(['ready', '--json']);
    expect(twice.code).toBe(0);
    expect(JSON.parse(twice.stdout)).toEqual({ file: 'connector.yaml', stage: 'ready', changed: false });
    expect(file()).toBe(once);
    expect((await cli(['draft'])).code).toBe(0);
    expect(file()).toBe(original);
  });

  it('keeps CRLF, the byte order mark and the file mode', async () => {
    await cli(['init', '--no-input', ...scriptedInit.basic!]);
    const path = join(folder.path, 'connector.yaml');
    const crlf = `\uFEFF${file().replace(/\n/g, '\r\n')}`;
    writeFileSync(path, crlf);
    chmodSync(path, 0o640);
    expect((await cli(['ready'])).code).toBe(0);
    const after = readFileSync(path, 'utf8');
    expect(after.startsWith('\uFEFF')).toBe(true);
    expect(after.replace(/\r\n/g, '')).not.toContain('\n');
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect((await cli(['draft'])).code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(crlf);
    expect(readdirSync(folder.path).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses an invalid file with exit 3', async () => {
    writeFileSync(join(folder.path, 'connector.yaml'), 'name: [\n');
    const result = await cli(['ready']);
    expect(result.code).toBe(3);
  });
});

describe('get and set', () => {
  beforeEach(async () => {
    await cli(['init', '--no-input', ...scriptedInit.oauth2!]);
  });

  it('reads a value as the schema type', async () => {
    expect((await cli(['set', 'auth.clientId', '123'])).code).toBe(0);
    expect(file()).toContain('clientId: "123"');
    expect((await cli(['set', 'auth.expiresIn', '600'])).code).toBe(0);
    expect(file()).toContain('expiresIn: 600');
    expect((await cli(['get', 'auth.expiresIn', '--json'])).stdout.trim()).toBe('600');
  });

  it('refuses a value of the wrong type', async () => {
    const result = await cli(['set', 'auth.expiresIn', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('whole number');
  });

  it('refuses a change that makes the file invalid and writes nothing', async () => {
    const before = file();
    const result = await cli(['set', 'auth.tokenUrl', 'accounts.acme.test/token']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('nothing was written');
    expect(file()).toBe(before);
  });

  it('suggests a key for a typo', async () => {
    const result = await cli(['set', 'auth.clientld', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('did you mean auth.clientId');
  });

  it('removes a field with --unset', async () => {
    expect((await cli(['set', 'auth.revokeTokenUrl', 'https://accounts.acme.test/revoke'])).code).toBe(0);
    expect((await cli(['set', 'auth.revokeTokenUrl', '--unset'])).code).toBe(0);
    expect(file()).not.toContain('revokeTokenUrl');
  });

  it('exits 1 for a field that is not set', async () => {
    const result = await cli(['get', 'auth.revokeTokenUrl']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not set');
  });

  it('refuses to change the stage directly', async () => {
    const result = await cli(['set', 'stage', 'ready']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('connector ready');
  });
});

describe('scopes', () => {
  beforeEach(async () => {
    await cli(['init', '--no-input', ...scriptedInit.oauth2!]);
  });

  it('lists, searches, adds, edits and removes', async () => {
    const list = JSON.parse((await cli(['scopes', 'list', '--json'])).stdout) as { name: string; value: string }[];
    expect(list).toEqual([
      { name: 'Read files', value: 'files.read' },
      { name: 'files.write', value: 'files.write' },
    ]);

    expect((await cli(['scopes', 'add', '--name', 'Delete files', '--value', 'files.delete'])).code).toBe(0);
    const search = JSON.parse((await cli(['scopes', 'list', '--search', 'DELETE', '--json'])).stdout) as unknown[];
    expect(search).toEqual([{ name: 'Delete files', value: 'files.delete' }]);

    expect((await cli(['scopes', 'edit', 'files.write', '--name', 'Write files'])).code).toBe(0);
    expect(file()).toContain('{ name: Write files, value: files.write }');

    expect((await cli(['scopes', 'remove', 'files.read', 'files.delete'])).code).toBe(0);
    const after = JSON.parse((await cli(['scopes', 'list', '--json'])).stdout) as { value: string }[];
    expect(after.map((scope) => scope.value)).toEqual(['files.write']);
    expect((await cli(['validate'])).code).toBe(0);
  });

  it('refuses a duplicate and an unknown value', async () => {
    const duplicate = await cli(['scopes', 'add', '--value', 'files.read']);
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toContain('already there');
    const unknown = await cli(['scopes', 'remove', 'files.red']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('did you mean files.read');
  });

  it('refuses scopes on a connector that is not OAuth 2.0', async () => {
    await cli(['init', 'basic', '--no-input', '--name', 'B', '--auth', 'basic']);
    const result = await cli(['scopes', 'add', '--value', 'read', '-f', 'basic']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('only to OAuth 2.0');
  });
});

describe('schema', () => {
  it('prints the JSON Schema', async () => {
    const result = await cli(['schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as { $schema: string };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });
});

describe('walking up', () => {
  it('finds connector.yaml from a subfolder', async () => {
    await cli(['init', '--no-input', ...scriptedInit.basic!]);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(folder.path, 'deep', 'er'), { recursive: true });
    const result = await runCli(['get', 'linkName'], { cwd: join(folder.path, 'deep', 'er'), env: {} });
    expect(result.stdout).toBe('acme_basic\n');
  });
});

describe('guards found by trying the tool', () => {
  it('set refuses a literal secret and writes nothing', async () => {
    await cli(['init', '--no-input', ...scriptedInit.oauth2!]);
    const before = file();
    const result = await cli(['set', 'auth.clientSecret', 'sk_live_ABCDEF123456']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('connector secret set clientSecret');
    expect(result.stderr).not.toContain('sk_live_ABCDEF123456');
    expect(file()).toBe(before);
    expect((await cli(['set', 'auth.clientSecret', 'env:OTHER_SECRET'])).code).toBe(0);
  });

  it('init --set refuses a literal secret', async () => {
    const result = await cli(['init', '--no-input', ...scriptedInit.oauth2!, '--set', 'auth.clientSecret=plain-value']);
    expect(result.code).toBe(2);
    expect(readdirSync(folder.path)).not.toContain('connector.yaml');
  });

  it('refuses control characters in the name and shows them escaped', async () => {
    await cli(['init', '--no-input', ...scriptedInit.basic!]);
    writeFileSync(join(folder.path, 'connector.yaml'), file().replace('name: Acme Basic', 'name: "Acme \\e[31mRed\\u202E"'));
    const result = await cli(['validate']);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('name must not contain line breaks, control characters or text-direction overrides');
    expect(result.stdout).not.toContain('\u001b');
    const list = await cli(['list']);
    expect(list.stdout).not.toContain('\u001b');
    expect(list.stdout).not.toContain('\u202e');
  });

  it('init refuses a file given as DIR', async () => {
    await cli(['init', '--no-input', ...scriptedInit.basic!]);
    const result = await cli(['init', 'connector.yaml', '--no-input', '--name', 'X', '--auth', 'basic']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is a file');
    expect(result.stderr).not.toContain('unexpected');
  });

  it('scopes list refuses a connector that is not OAuth 2.0', async () => {
    await cli(['init', '--no-input', ...scriptedInit.basic!]);
    const result = await cli(['scopes', 'list']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('only to OAuth 2.0');
  });

  it('exits 3 when an edit meets a file with YAML errors', async () => {
    writeFileSync(join(folder.path, 'connector.yaml'), 'name: [\n');
    const result = await cli(['set', 'name', 'x']);
    expect(result.code).toBe(3);
  });

  it('prints a JSON error for a bad flag under --json', async () => {
    const result = await cli(['validate', '--json', '--frobnicate']);
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as { error: { exitCode: number; message: string } };
    expect(report.error.exitCode).toBe(2);
    expect(report.error.message).toContain('--frobnicate');
  });
});

describe('guards found by a second trial', () => {
  it('set refuses a secret inside a mapping set at the parent key', async () => {
    await cli(['init', '--no-input', ...scriptedInit.oauth2!]);
    const before = file();
    const result = await cli(['set', 'auth', '{"type":"oauth2","clientId":"a","clientSecret":"RAWSECRET123","tokenUrl":"https://a.test/t"}']);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('RAWSECRET123');
    expect(file()).toBe(before);
  });

  it('set refuses a file: reference for a client secret', async () => {
    await cli(['init', '--no-input', ...scriptedInit.oauth2!]);
    const result = await cli(['set', 'auth.clientSecret', 'file:secret.txt']);
    expect(result.code).toBe(2);
  });

  it('validate refuses a device that never ends', async () => {
    const result = await cli(['validate', '/dev/zero']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a regular file');
  });

  it('keeps both of two concurrent edits or refuses one', async () => {
    await cli(['init', '--no-input', ...scriptedInit.oauth2!]);
    for (let round = 0; round < 5; round++) {
      const [first, second] = await Promise.all([cli(['set', 'description', `d${round}`]), cli(['set', 'auth.clientId', `c${round}`])]);
      const text = file();
      if (first.code === 0) expect(text).toContain(`description: d${round}`);
      else expect(first.stderr).toContain('changed while this command ran');
      if (second.code === 0) expect(text).toContain(`clientId: "c${round}"`);
      else expect(second.stderr).toContain('changed while this command ran');
    }
  });

  it('prints a JSON error when no command is given', async () => {
    const result = await cli(['--json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { message: 'no command given', exitCode: 2 } });
  });
});

describe('error output', () => {
  it('escapes control characters from a file name', async () => {
    const result = await cli(['validate', '\u001b[31mred.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('\u001b');
    expect(result.stderr).toContain('\\u{1b}[31mred.yaml');
  });
});
