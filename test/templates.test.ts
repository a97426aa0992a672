import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';

import { UsageError } from '../src/cli/errors.js';
import { listTemplates, readTemplate } from '../src/definition/templates.js';
import { packageRoot } from '../src/package-root.js';

// ajv and ajv-formats are CommonJS modules whose default export sits on `.default` under NodeNext.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

type Connector = Record<string, unknown> & { auth: Record<string, unknown> };

const root = packageRoot();
const templatesFolder = join(root, 'templates');
const schema = JSON.parse(readFileSync(join(root, 'schemas', 'connector.schema.json'), 'utf8')) as object;

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(schema);

const SCHEMA_LINE = '# yaml-language-server: $schema=../schemas/connector.schema.json';

const templateFiles = readdirSync(templatesFolder)
  .filter((file) => file.endsWith('.yaml'))
  .sort();

const templates = templateFiles.map((file) => {
  const text = readFileSync(join(templatesFolder, file), 'utf8');
  return { name: file.slice(0, -'.yaml'.length), text };
});

function parseTemplate(text: string): Connector {
  const document = parseDocument(text);
  expect(document.errors).toEqual([]);
  return document.toJS() as Connector;
}

function schemaErrors(data: unknown): string[] {
  return validate(data) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}

/** Fills in, with dummy values, what a user sets before promoting a template to ready. */
function completed(connector: Connector): Connector {
  const auth = { ...connector.auth };
  if (auth.type === 'oauth2') auth.clientId = 'client-id';
  if (auth.type === 'oauth1') auth.consumerKey = 'consumer-key';
  return { ...connector, stage: 'ready', auth };
}

describe('templates', () => {
  it('include the generic and provider templates', () => {
    const expected = [
      'api-key', 'basic', 'dropbox', 'github', 'google', 'oauth1', 'oauth2',
      'salesforce', 'slack', 'trello', 'x', 'zoom',
    ];
    const names = templates.map((template) => template.name);
    for (const name of expected) expect(names).toContain(name);
  });

  it.each(templates)('$name starts with the $schema line', ({ text }) => {
    expect(text.split('\n')[0]).toBe(SCHEMA_LINE);
  });

  it.each(templates)('$name has a "# template:" description on line 2', ({ text }) => {
    expect(text.split('\n')[1]).toMatch(/^# template: \S.{9,}$/);
  });

  it.each(templates)('$name parses and passes the schema as a draft', ({ text }) => {
    const connector = parseTemplate(text);
    expect(connector.stage ?? 'draft').toBe('draft');
    expect(schemaErrors(connector)).toEqual([]);
  });

  it.each(templates)('$name passes the ready stage once its ids are filled in', ({ text }) => {
    expect(schemaErrors(completed(parseTemplate(text)))).toEqual([]);
  });

  it.each(templates)('$name holds no client id, consumer key or literal secret', ({ text }) => {
    const { auth } = parseTemplate(text);
    expect(auth.clientId).toBeUndefined();
    expect(auth.consumerKey).toBeUndefined();
    for (const key of ['clientSecret', 'consumerSecret']) {
      const secret = auth[key];
      if (secret !== undefined) expect(secret === 'keychain' || String(secret).startsWith('env:')).toBe(true);
    }
  });

  it.each(templates)('$name has a base URL and a test request', ({ text }) => {
    const connector = parseTemplate(text);
    expect(connector.baseUrl).toMatch(/^https:\/\//);
    expect(connector.test).toMatchObject({ method: expect.any(String), url: expect.stringMatching(/^\//) });
  });

  it.each(templates)('$name is listed in templates/README.md', ({ name }) => {
    const readme = readFileSync(join(templatesFolder, 'README.md'), 'utf8');
    expect(readme).toContain(`\`${name}.yaml\``);
  });

  it.each([
    ['google', { access_type: 'offline', prompt: 'consent' }],
    ['dropbox', { token_access_type: 'offline' }],
  ])('%s asks for a refresh token', (name, params) => {
    const { auth } = parseTemplate(templates.find((template) => template.name === name)!.text);
    expect(auth.authorizationParams).toEqual(params);
  });

  it.each([
    ['slack', 'comma'],
    ['github', 'space'],
    ['google', 'space'],
    ['dropbox', 'space'],
    ['salesforce', 'space'],
  ])('%s joins scopes with %s', (name, delimiter) => {
    const connector = parseTemplate(templates.find((template) => template.name === name)!.text);
    expect(connector.scopes).toMatchObject({ delimiter });
  });

  it.each(['zoom', 'slack'])('%s sends client credentials with HTTP Basic', (name) => {
    const { auth } = parseTemplate(templates.find((template) => template.name === name)!.text);
    expect(auth.clientAuthentication).toBe('basic');
  });
});

describe('listTemplates', () => {
  it('returns every template file, sorted by name', async () => {
    const listed = await listTemplates();
    expect(listed.map((template) => template.name)).toEqual(templates.map((template) => template.name));
  });

  it('reports the auth type of each template', async () => {
    const listed = await listTemplates();
    for (const template of listed) {
      const connector = parseTemplate(readFileSync(template.file, 'utf8'));
      expect(template.authType).toBe(connector.auth.type);
    }
  });

  it.each([
    ['basic', 'basic'],
    ['api-key', 'apiKey'],
    ['oauth1', 'oauth1'],
    ['oauth2', 'oauth2'],
    ['x', 'oauth1'],
    ['trello', 'oauth1'],
    ['github', 'oauth2'],
  ])('gives %s the auth type %s', async (name, authType) => {
    const listed = await listTemplates();
    expect(listed.find((template) => template.name === name)?.authType).toBe(authType);
  });

  it('takes the description from the "# template:" line', async () => {
    const listed = await listTemplates();
    const basic = listed.find((template) => template.name === 'basic');
    expect(basic?.description).toBe('HTTP Basic authentication with a user name and password (generic)');
  });

  it('points each entry at its file', async () => {
    const listed = await listTemplates();
    for (const template of listed) expect(template.file).toBe(join(templatesFolder, `${template.name}.yaml`));
  });
});

describe('readTemplate', () => {
  it('returns the file text unchanged, comments included', async () => {
    const text = await readTemplate('google');
    expect(text).toBe(readFileSync(join(templatesFolder, 'google.yaml'), 'utf8'));
  });

  it('rejects an unknown name with a UsageError', async () => {
    await expect(readTemplate('gitlab')).rejects.toBeInstanceOf(UsageError);
  });

  it('lists the available names for an unknown name', async () => {
    const error = (await readTemplate('gitlab').catch((caught: unknown) => caught)) as UsageError;
    expect(error.message).toContain('gitlab');
    for (const { name } of templates) expect(error.message).toContain(name);
  });

  it('points to --list-templates for an unknown name', async () => {
    const error = (await readTemplate('gitlab').catch((caught: unknown) => caught)) as UsageError;
    expect(error.hint).toContain('connector init --list-templates');
  });

  it.each(['../package', 'google.yaml', 'README', ''])('rejects %j', async (name) => {
    await expect(readTemplate(name)).rejects.toBeInstanceOf(UsageError);
  });
});
