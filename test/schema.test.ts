import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../src/package-root.js';

// ajv and ajv-formats are CommonJS modules whose default export sits on `.default` under NodeNext.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

type Schema = Record<string, unknown>;

const schemaPath = join(packageRoot(), 'schemas', 'connector.schema.json');
const schemaText = readFileSync(schemaPath, 'utf8');
const schema = JSON.parse(schemaText) as Schema;

/** Compiles the schema with the validator's options, plus `extra` such as the ones the build adds. */
function compile(extra: Options = {}): { ajv: InstanceType<typeof Ajv2020>; validate: ValidateFunction } {
  const ajv = new Ajv2020({ allErrors: true, strict: true, ...extra });
  addFormats(ajv);
  return { ajv, validate: ajv.compile(schema) };
}

const { ajv, validate } = compile();

/** Validates a copy, so defaults or mutations never leak between tests. */
function errorsFor(data: unknown): ErrorObject[] {
  const valid = validate(structuredClone(data));
  return valid ? [] : [...(validate.errors ?? [])];
}

/** Returns the errors a user acts on, leaving out `if` errors that only repeat that a `then` failed. */
function realErrors(data: unknown): ErrorObject[] {
  return errorsFor(data).filter((error) => error.keyword !== 'if');
}

const draftBase = { schemaVersion: 1, name: 'Zylker Files', linkName: 'zylker_files' };

function draftWith(auth: Schema, extra: Schema = {}): Schema {
  return { ...draftBase, auth, ...extra };
}

function readyWith(auth: Schema, extra: Schema = {}): Schema {
  return { ...draftBase, stage: 'ready', auth, ...extra };
}

// The four auth shapes as the format documents them, each complete enough for the ready stage.
const readyBasic = {
  type: 'basic',
  username: { name: 'User name', key: 'username' },
  password: { name: 'Password', key: 'password' },
};

const readyApiKey = {
  type: 'apiKey',
  location: 'header',
  parameters: [
    { name: 'API key', key: 'X-Api-Key' },
    { name: 'Access token', key: 'Authorization', prefix: 'Bearer ' },
  ],
};

const readyOAuth1 = {
  type: 'oauth1',
  consumerKey: 'ck_123',
  consumerSecret: 'env:ZYLKER_CONSUMER_SECRET',
  requestTokenUrl: 'https://api.zylker.com/oauth/request_token',
  authorizationUrl: 'https://api.zylker.com/oauth/authorize',
  accessTokenUrl: 'https://api.zylker.com/oauth/access_token',
  revokeTokenUrl: 'https://api.zylker.com/oauth/revoke',
  signatureMethod: 'HMAC-SHA1',
};

const readyOAuth2 = {
  type: 'oauth2',
  grantType: 'authorizationCode',
  clientId: '1000.ABC',
  clientSecret: 'keychain',
  authorizationUrl: 'https://accounts.zylker.com/oauth/v2/auth',
  deviceAuthorizationUrl: 'https://accounts.zylker.com/oauth/v2/device',
  tokenUrl: 'https://accounts.zylker.com/oauth/v2/token',
  refreshTokenUrl: 'https://accounts.zylker.com/oauth/v2/token',
  revokeTokenUrl: 'https://accounts.zylker.com/oauth/v2/revoke',
  bearerName: 'Bearer',
  expiresIn: 3600,
  pkce: true,
  clientAuthentication: 'body',
  tokenRequestFormat: 'form',
  redirectUri: 'http://127.0.0.1:8765/callback',
  authorizationParams: { access_type: 'offline' },
  tokenParams: {},
};

const fullReadyFile = {
  schemaVersion: 1,
  name: 'Zylker Files',
  linkName: 'zylker_files',
  description: 'Files in Zylker Drive',
  logo: './logo.png',
  stage: 'ready',
  baseUrl: 'https://api.zylker.com',
  connectionParameters: [
    { name: 'Subdomain', key: 'subdomain' },
    { name: 'Region', key: 'region', default: 'us' },
  ],
  auth: readyOAuth2,
  scopes: { delimiter: 'comma', items: [{ name: 'Read files', value: 'files.read' }] },
  test: { method: 'GET', url: '/v1/me' },
};

// Helpers that walk the schema as JSON.

interface Located {
  pointer: string;
  node: Schema;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Collects every subschema with its JSON pointer. `if` subschemas are left out, because they
 * only select a branch and describe no property a user writes.
 */
function allSubschemas(node: Schema = schema, pointer = ''): Located[] {
  const found: Located[] = [{ pointer, node }];

  for (const key of ['properties', '$defs']) {
    const map = node[key];
    if (!isSchema(map)) continue;
    for (const [name, child] of Object.entries(map)) {
      if (isSchema(child)) found.push(...allSubschemas(child, `${pointer}/${key}/${escapePointer(name)}`));
    }
  }

  for (const key of ['items', 'additionalProperties', 'propertyNames', 'then', 'else', 'not']) {
    const child = node[key];
    if (isSchema(child)) found.push(...allSubschemas(child, `${pointer}/${key}`));
  }

  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = node[key];
    if (!Array.isArray(list)) continue;
    list.forEach((child, index) => {
      if (isSchema(child)) found.push(...allSubschemas(child, `${pointer}/${key}/${index}`));
    });
  }

  return found;
}

/** Collects every entry of every `properties` map with its JSON pointer. */
function allProperties(): Located[] {
  const found: Located[] = [];
  for (const { pointer, node } of allSubschemas()) {
    const properties = node.properties;
    if (!isSchema(properties)) continue;
    for (const [name, child] of Object.entries(properties)) {
      if (isSchema(child)) found.push({ pointer: `${pointer}/properties/${escapePointer(name)}`, node: child });
    }
  }
  return found;
}

function resolve(ref: string): Schema {
  let node: unknown = schema;
  for (const part of ref.replace(/^#\//, '').split('/')) {
    node = (node as Schema)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (!isSchema(node)) throw new Error(`unresolved $ref ${ref}`);
  return node;
}

/** Returns true when unknown keys fail here, directly or through every branch the object dispatches to. */
function isClosed(node: Schema): boolean {
  if (node.additionalProperties === false || node.unevaluatedProperties === false) return true;
  if (typeof node.$ref === 'string') return isClosed(resolve(node.$ref));

  const branches = Array.isArray(node.allOf) ? node.allOf.filter(isSchema) : [];
  return branches.length > 0 && branches.every((branch) => isSchema(branch.then) && isClosed(branch.then));
}

describe('connector schema', () => {
  it('declares draft 2020-12 and an id that is never fetched', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe('https://connector.invalid/schemas/connector.schema.json');
  });

  it('compiles under Ajv2020 strict mode with formats', () => {
    expect(() => compile()).not.toThrow();
  });

  it('compiles under strict mode with defaults applied', () => {
    expect(() => compile({ useDefaults: true, verbose: true })).not.toThrow();
  });

  it('uses no format keyword, because {key} placeholders break format: uri', () => {
    const withFormat = allSubschemas().filter(({ node }) => 'format' in node);
    expect(withFormat.map(({ pointer }) => pointer)).toEqual([]);
  });

  it('describes every property at every depth', () => {
    const properties = allProperties();
    expect(properties.length).toBeGreaterThan(50);

    const undescribed = properties
      .filter(({ node }) => typeof node.description !== 'string' || node.description.trim() === '')
      .map(({ pointer }) => pointer);
    expect(undescribed).toEqual([]);
  });

  it('gives examples for every property at every depth', () => {
    const withoutExamples = allProperties()
      .filter(({ node }) => !Array.isArray(node.examples) || node.examples.length === 0)
      .map(({ pointer }) => pointer);
    expect(withoutExamples).toEqual([]);
  });

  it('has examples that satisfy their own property schema', () => {
    const invalid: string[] = [];
    for (const { pointer, node } of allProperties()) {
      const check = ajv.getSchema(`${String(schema.$id)}#${pointer}`);
      if (check === undefined) throw new Error(`no schema at ${pointer}`);
      for (const example of node.examples as unknown[]) {
        if (!check(structuredClone(example))) invalid.push(`${pointer}: ${JSON.stringify(example)}`);
      }
    }
    expect(invalid).toEqual([]);
  });

  it('has root examples that validate', () => {
    for (const example of schema.examples as unknown[]) expect(errorsFor(example)).toEqual([]);
  });

  it('closes every object that has properties', () => {
    const open = allSubschemas()
      .filter(({ node }) => node.type === 'object' && isSchema(node.properties))
      .filter(({ node }) => !isClosed(node))
      .map(({ pointer }) => pointer);
    expect(open).toEqual([]);
  });

  it.each([
    ['stage', ['properties', 'stage'], 'draft'],
    ['schemaVersion', ['properties', 'schemaVersion'], 1],
    ['scopes.delimiter', ['properties', 'scopes', 'properties', 'delimiter'], 'comma'],
    ['apiKey location', ['$defs', 'apiKeyAuth', 'properties', 'location'], 'header'],
    ['signatureMethod', ['$defs', 'oauth1Auth', 'properties', 'signatureMethod'], 'HMAC-SHA1'],
    ['grantType', ['$defs', 'oauth2Auth', 'properties', 'grantType'], 'authorizationCode'],
    ['bearerName', ['$defs', 'oauth2Auth', 'properties', 'bearerName'], 'Bearer'],
    ['expiresIn', ['$defs', 'oauth2Auth', 'properties', 'expiresIn'], 3600],
    ['pkce', ['$defs', 'oauth2Auth', 'properties', 'pkce'], true],
    ['clientAuthentication', ['$defs', 'oauth2Auth', 'properties', 'clientAuthentication'], 'body'],
    ['tokenRequestFormat', ['$defs', 'oauth2Auth', 'properties', 'tokenRequestFormat'], 'form'],
  ])('declares the default of %s', (_label, path, expected) => {
    expect(resolve(`#/${path.join('/')}`).default).toEqual(expected);
  });
});

describe('connector schema: drafts', () => {
  it('accepts a minimal draft', () => {
    expect(errorsFor(draftWith({ type: 'oauth2' }))).toEqual([]);
  });

  it.each(['basic', 'apiKey', 'oauth1', 'oauth2'])('accepts a draft with only auth.type %s', (type) => {
    expect(errorsFor(draftWith({ type }))).toEqual([]);
  });

  it('accepts an explicit draft stage without endpoints', () => {
    expect(errorsFor(draftWith({ type: 'oauth2', clientId: 'abc' }, { stage: 'draft' }))).toEqual([]);
  });

  it.each(['schemaVersion', 'name', 'linkName', 'auth'])('requires %s even in a draft', (key) => {
    const data: Schema = draftWith({ type: 'oauth2' });
    delete data[key];
    const errors = realErrors(data);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.params).toEqual({ missingProperty: key });
  });

  it('requires auth.type even in a draft', () => {
    const errors = realErrors(draftWith({}));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.instancePath).toBe('/auth');
    expect(errors[0]?.params).toEqual({ missingProperty: 'type' });
  });
});

describe('connector schema: ready stage', () => {
  it('accepts the complete example file', () => {
    expect(errorsFor(fullReadyFile)).toEqual([]);
  });

  it.each([
    ['basic', readyBasic],
    ['apiKey', readyApiKey],
    ['oauth1', readyOAuth1],
    ['oauth2', readyOAuth2],
  ])('accepts the documented %s auth', (_type, auth) => {
    expect(errorsFor(readyWith(auth))).toEqual([]);
  });

  it('names tokenUrl when a ready oauth2 auth lacks it', () => {
    const { tokenUrl: _omitted, ...auth } = readyOAuth2;
    const errors = realErrors(readyWith(auth));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.keyword).toBe('required');
    expect(errors[0]?.instancePath).toBe('/auth');
    expect(errors[0]?.params).toEqual({ missingProperty: 'tokenUrl' });
  });

  it.each([
    ['basic', readyBasic, 'username'],
    ['basic', readyBasic, 'password'],
    ['apiKey', readyApiKey, 'location'],
    ['apiKey', readyApiKey, 'parameters'],
    ['oauth1', readyOAuth1, 'consumerKey'],
    ['oauth1', readyOAuth1, 'consumerSecret'],
    ['oauth1', readyOAuth1, 'requestTokenUrl'],
    ['oauth1', readyOAuth1, 'authorizationUrl'],
    ['oauth1', readyOAuth1, 'accessTokenUrl'],
    ['oauth2', readyOAuth2, 'clientId'],
    ['oauth2', readyOAuth2, 'authorizationUrl'],
  ])('requires %s %s in the ready stage', (_type, auth, key) => {
    const incomplete: Schema = { ...auth };
    delete incomplete[key];
    const errors = realErrors(readyWith(incomplete));
    expect(errors.map((error) => [error.instancePath, error.params])).toEqual([['/auth', { missingProperty: key }]]);
  });

  it('accepts the same incomplete auth as a draft', () => {
    const { clientId: _omitted, ...auth } = readyOAuth2;
    expect(errorsFor(draftWith(auth))).toEqual([]);
  });

  it('treats a missing grantType as authorizationCode', () => {
    const errors = realErrors(readyWith({ type: 'oauth2', clientId: 'abc', tokenUrl: 'https://a.zylker.com/token' }));
    expect(errors.map((error) => error.params)).toEqual([{ missingProperty: 'authorizationUrl' }]);
  });

  it('requires deviceAuthorizationUrl for the deviceCode grant', () => {
    const auth = { type: 'oauth2', grantType: 'deviceCode', clientId: 'abc', tokenUrl: 'https://a.zylker.com/token' };
    const errors = realErrors(readyWith(auth));
    expect(errors.map((error) => error.params)).toEqual([{ missingProperty: 'deviceAuthorizationUrl' }]);
  });

  it('requires clientSecret for the clientCredentials grant', () => {
    const auth = { type: 'oauth2', grantType: 'clientCredentials', clientId: 'abc', tokenUrl: 'https://a.zylker.com/token' };
    const errors = realErrors(readyWith(auth));
    expect(errors.map((error) => error.params)).toEqual([{ missingProperty: 'clientSecret' }]);
  });

  it('needs no authorizationUrl for the clientCredentials grant', () => {
    const auth = {
      type: 'oauth2',
      grantType: 'clientCredentials',
      clientId: 'abc',
      clientSecret: 'env:ZYLKER_SECRET',
      tokenUrl: 'https://a.zylker.com/token',
    };
    expect(errorsFor(readyWith(auth))).toEqual([]);
  });

  it('rejects an empty parameter list for apiKey', () => {
    const errors = realErrors(readyWith({ ...readyApiKey, parameters: [] }));
    expect(errors.map((error) => [error.instancePath, error.keyword])).toEqual([['/auth/parameters', 'minItems']]);
  });
});

describe('connector schema: unknown keys', () => {
  it('rejects an unknown top-level key', () => {
    const errors = realErrors({ ...fullReadyFile, colour: 'blue' });
    expect(errors.map((error) => [error.instancePath, error.params])).toEqual([['', { additionalProperty: 'colour' }]]);
  });

  it.each([
    ['basic', readyBasic],
    ['apiKey', readyApiKey],
    ['oauth1', readyOAuth1],
    ['oauth2', readyOAuth2],
  ])('rejects an unknown key in %s auth', (_type, auth) => {
    const errors = realErrors(readyWith({ ...auth, tokenLifetime: 10 }));
    expect(errors.map((error) => [error.instancePath, error.params])).toEqual([['/auth', { additionalProperty: 'tokenLifetime' }]]);
  });

  it('rejects a basic key in oauth2 auth', () => {
    const errors = realErrors(readyWith({ ...readyOAuth2, username: { name: 'User name', key: 'username' } }));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.keyword).toBe('additionalProperties');
    expect(errors[0]?.params).toEqual({ additionalProperty: 'username' });
  });

  it('rejects an oauth2 key in oauth1 auth', () => {
    const errors = realErrors(draftWith({ type: 'oauth1', clientId: 'abc' }));
    expect(errors.map((error) => error.params)).toEqual([{ additionalProperty: 'clientId' }]);
  });

  it.each([
    ['scopes', { scopes: { delimiter: 'space', items: [], separator: ',' } }, '/scopes', 'separator'],
    ['a scope', { scopes: { items: [{ name: 'Read', value: 'read', id: 1 }] } }, '/scopes/items/0', 'id'],
    ['test', { test: { method: 'GET', url: '/me', body: '' } }, '/test', 'body'],
    ['a connection parameter', { connectionParameters: [{ name: 'Region', key: 'region', hint: 'eu' }] }, '/connectionParameters/0', 'hint'],
  ])('rejects an unknown key in %s', (_label, extra, instancePath, key) => {
    const errors = realErrors(draftWith({ type: 'oauth2' }, extra));
    expect(errors.map((error) => [error.instancePath, error.params])).toEqual([[instancePath, { additionalProperty: key }]]);
  });

  it('rejects an unknown key in an auth field object', () => {
    const errors = realErrors(readyWith({ ...readyBasic, password: { name: 'Password', key: 'password', mask: true } }));
    expect(errors.map((error) => [error.instancePath, error.params])).toEqual([['/auth/password', { additionalProperty: 'mask' }]]);
  });

  it('reports an unknown auth type on auth.type alone', () => {
    const errors = realErrors(draftWith({ type: 'oauth3', clientId: 'abc' }));
    expect(errors.map((error) => [error.instancePath, error.keyword])).toEqual([['/auth/type', 'enum']]);
  });
});

describe('connector schema: values', () => {
  it('rejects a number for clientId', () => {
    const errors = realErrors(readyWith({ ...readyOAuth2, clientId: 1000 }));
    expect(errors.map((error) => [error.instancePath, error.keyword, error.params])).toEqual([['/auth/clientId', 'type', { type: 'string' }]]);
  });

  it.each([
    ['consumerKey', readyWith({ ...readyOAuth1, consumerKey: 12345 }), '/auth/consumerKey'],
    ['a parameter key', readyWith({ ...readyBasic, username: { name: 'User name', key: 42 } }), '/auth/username/key'],
    ['a scope value', draftWith({ type: 'oauth2' }, { scopes: { items: [{ name: 'Read', value: 100 }] } }), '/scopes/items/0/value'],
  ])('rejects a number for %s', (_label, data, instancePath) => {
    const errors = realErrors(data);
    expect(errors.map((error) => [error.instancePath, error.keyword])).toEqual([[instancePath, 'type']]);
  });

  it.each([
    ['a 50-character name', { name: 'n'.repeat(50) }],
    ['a 50-character link name', { linkName: 'a'.repeat(50) }],
    ['a 255-character description', { description: 'd'.repeat(255) }],
    ['a link name with digits and underscores', { linkName: 'zylker_files_2' }],
    ['a JPEG logo', { logo: 'images/logo.JPG' }],
  ])('accepts %s', (_label, change) => {
    expect(errorsFor({ ...draftWith({ type: 'oauth2' }), ...change })).toEqual([]);
  });

  it.each([
    ['an empty name', { name: '' }, '/name', 'minLength'],
    ['a name of spaces', { name: '   ' }, '/name', 'pattern'],
    ['a 51-character name', { name: 'n'.repeat(51) }, '/name', 'maxLength'],
    ['a link name with upper case', { linkName: 'Zylker' }, '/linkName', 'pattern'],
    ['a link name starting with a digit', { linkName: '2zylker' }, '/linkName', 'pattern'],
    ['a link name with a hyphen', { linkName: 'zylker-files' }, '/linkName', 'pattern'],
    ['a 51-character link name', { linkName: 'a'.repeat(51) }, '/linkName', 'maxLength'],
    ['a 256-character description', { description: 'd'.repeat(256) }, '/description', 'maxLength'],
    ['a logo that is not an image', { logo: './logo.pdf' }, '/logo', 'pattern'],
    ['schemaVersion 2', { schemaVersion: 2 }, '/schemaVersion', 'const'],
    ['an unknown stage', { stage: 'published' }, '/stage', 'enum'],
  ])('rejects %s', (_label, change, instancePath, keyword) => {
    const errors = realErrors({ ...draftWith({ type: 'oauth2' }), ...change });
    expect(errors.map((error) => [error.instancePath, error.keyword])).toEqual([[instancePath, keyword]]);
  });

  it.each([
    ['expiresIn 0', { expiresIn: 0 }, '/auth/expiresIn', 'exclusiveMinimum'],
    ['a negative expiresIn', { expiresIn: -60 }, '/auth/expiresIn', 'exclusiveMinimum'],
    ['a fractional expiresIn', { expiresIn: 1.5 }, '/auth/expiresIn', 'type'],
    ['expiresIn as text', { expiresIn: '3600' }, '/auth/expiresIn', 'type'],
    ['an unknown grant type', { grantType: 'password' }, '/auth/grantType', 'enum'],
    ['an empty bearerName', { bearerName: '' }, '/auth/bearerName', 'minLength'],
    ['a bearerName with a space', { bearerName: 'Bearer token' }, '/auth/bearerName', 'pattern'],
    ['pkce as text', { pkce: 'yes' }, '/auth/pkce', 'type'],
    ['an unknown client authentication', { clientAuthentication: 'jwt' }, '/auth/clientAuthentication', 'enum'],
    ['an unknown token request format', { tokenRequestFormat: 'xml' }, '/auth/tokenRequestFormat', 'enum'],
    ['a non-string authorization parameter', { authorizationParams: { include_granted_scopes: true } }, '/auth/authorizationParams/include_granted_scopes', 'type'],
    ['a non-string token parameter', { tokenParams: { ttl: 60 } }, '/auth/tokenParams/ttl', 'type'],
    ['an empty tokenUrl', { tokenUrl: '' }, '/auth/tokenUrl', 'minLength'],
    ['a redirectUri that is not a string', { redirectUri: 8765 }, '/auth/redirectUri', 'type'],
  ])('rejects %s in oauth2 auth', (_label, change, instancePath, keyword) => {
    const errors = realErrors(readyWith({ ...readyOAuth2, ...change }));
    expect(errors.map((error) => [error.instancePath, error.keyword])).toEqual([[instancePath, keyword]]);
  });

  it('rejects an empty authorization parameter name', () => {
    const errors = realErrors(readyWith({ ...readyOAuth2, authorizationParams: { '': 'x' } }));
    expect(errors.some((error) => error.keyword === 'propertyNames')).toBe(true);
  });

  it.each([
    ['an unknown signature method', { signatureMethod: 'HMAC-MD5' }, '/auth/signatureMethod', 'enum'],
    ['an empty consumerSecret', { consumerSecret: '' }, '/auth/consumerSecret', 'minLength'],
  ])('rejects %s in oauth1 auth', (_label, change, instancePath, keyword) => {
    const errors = realErrors(readyWith({ ...readyOAuth1, ...change }));
    expect(errors.map((error) => [error.instancePath, error.keyword])).toEqual([[instancePath, keyword]]);
  });

  it('accepts a file: consumer secret for RSA-SHA1', () => {
    expect(errorsFor(readyWith({ ...readyOAuth1, signatureMethod: 'RSA-SHA1', consumerSecret: 'file:./key.pem' }))).toEqual([]);
  });

  it.each([
    ['an unknown location', { location: 'cookie' }, '/auth/location', 'enum'],
    ['a parameter without a key', { parameters: [{ name: 'API key' }] }, '/auth/parameters/0', 'required'],
    ['a parameter with an empty key', { parameters: [{ name: 'API key', key: '' }] }, '/auth/parameters/0/key', 'minLength'],
  ])('rejects %s in apiKey auth', (_label, change, instancePath, keyword) => {
    const errors = realErrors(readyWith({ ...readyApiKey, ...change }));
    expect(errors.map((error) => [error.instancePath, error.keyword])).toEqual([[instancePath, keyword]]);
  });

  it.each([
    ['an empty scope name', { items: [{ name: '', value: 'read' }] }, '/scopes/items/0/name', 'minLength'],
    ['an empty scope value', { items: [{ name: 'Read', value: '' }] }, '/scopes/items/0/value', 'minLength'],
    ['a scope value with a space', { items: [{ name: 'Read', value: 'files read' }] }, '/scopes/items/0/value', 'pattern'],
    ['a scope without a value', { items: [{ name: 'Read' }] }, '/scopes/items/0', 'required'],
    ['an unknown delimiter', { delimiter: 'semicolon' }, '/scopes/delimiter', 'enum'],
  ])('rejects %s', (_label, scopes, instancePath, keyword) => {
    const errors = realErrors(draftWith({ type: 'oauth2' }, { scopes }));
    expect(errors.map((error) => [error.instancePath, error.keyword])).toEqual([[instancePath, keyword]]);
  });

  it.each(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])('accepts test method %s', (method) => {
    expect(errorsFor(draftWith({ type: 'oauth2' }, { test: { method, url: '/v1/me' } }))).toEqual([]);
  });

  it.each([
    ['a lower-case method', { method: 'get', url: '/v1/me' }, '/test/method', 'enum'],
    ['TRACE', { method: 'TRACE', url: '/v1/me' }, '/test/method', 'enum'],
    ['a missing url', { method: 'GET' }, '/test', 'required'],
  ])('rejects a test request with %s', (_label, test, instancePath, keyword) => {
    const errors = realErrors(draftWith({ type: 'oauth2' }, { test }));
    expect(errors.map((error) => [error.instancePath, error.keyword])).toEqual([[instancePath, keyword]]);
  });

  it.each([
    ['an empty key', { name: 'Region', key: '' }, '/connectionParameters/0/key', 'minLength'],
    ['a key with braces', { name: 'Region', key: '{region}' }, '/connectionParameters/0/key', 'pattern'],
    ['a number as default', { name: 'Port', key: 'port', default: 443 }, '/connectionParameters/0/default', 'type'],
  ])('rejects a connection parameter with %s', (_label, parameter, instancePath, keyword) => {
    const errors = realErrors(draftWith({ type: 'oauth2' }, { connectionParameters: [parameter] }));
    expect(errors.map((error) => [error.instancePath, error.keyword])).toEqual([[instancePath, keyword]]);
  });

  it('accepts placeholders in URLs', () => {
    const auth = { ...readyOAuth2, tokenUrl: 'https://{subdomain}.zylker.com/oauth/token' };
    const file = { ...fullReadyFile, baseUrl: 'https://{subdomain}.zylker.com', auth };
    expect(errorsFor(file)).toEqual([]);
  });
});
