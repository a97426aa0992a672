import { describe, expect, it } from 'vitest';

import { UsageError } from '../../src/cli/errors.js';
import { checkKnownKeys, collectInputs, parameterVariable, parseParamFlags, type InputField, type InputSources } from '../../src/connection/parameters-input.js';
import { scriptedPrompter } from '../support/in-process.js';

const subdomain: InputField = { key: 'subdomain', name: 'Subdomain', secret: false };
const region: InputField = { key: 'region', name: 'Region', default: 'us', secret: false };
const password: InputField = { key: 'password', name: 'Password', secret: true };

const noPrompts = { interactive: false, prompter: async () => scriptedPrompter([]) };

function sources(overrides: Partial<InputSources> = {}): InputSources {
  return { flags: new Map(), env: {}, ...overrides };
}

describe('parameterVariable', () => {
  it.each([
    ['subdomain', 'CONNECTOR_PARAM_SUBDOMAIN'],
    ['X-Api-Key', 'CONNECTOR_PARAM_X_API_KEY'],
    ['api.key', 'CONNECTOR_PARAM_API_KEY'],
    ['token2', 'CONNECTOR_PARAM_TOKEN2'],
  ])('maps %s to %s', (key, variable) => {
    expect(parameterVariable(key)).toBe(variable);
  });
});

describe('parseParamFlags', () => {
  it('splits at the first =', () => {
    expect(parseParamFlags(['subdomain=acme', 'token=a=b'])).toEqual(new Map([
      ['subdomain', 'acme'],
      ['token', 'a=b'],
    ]));
  });

  it.each([
    ['no =', ['subdomain'], 'takes KEY=VALUE'],
    ['no key', ['=acme'], 'takes KEY=VALUE'],
    ['an empty value', ['subdomain='], 'has an empty value'],
    ['a repeated key', ['subdomain=a', 'subdomain=b'], 'more than once'],
  ])('rejects %s', (_case, items, message) => {
    expect(() => parseParamFlags(items)).toThrow(UsageError);
    expect(() => parseParamFlags(items)).toThrow(message);
  });
});

describe('checkKnownKeys', () => {
  it('accepts declared keys', () => {
    expect(() => checkKnownKeys([subdomain, password], new Map([['subdomain', 'a']]), 'password')).not.toThrow();
  });

  it('lists the declared keys for an unknown one', () => {
    expect(() => checkKnownKeys([subdomain, password], new Map([['subdomian', 'a']]), undefined)).toThrow(
      'this connector has no parameter "subdomian"; it asks for: subdomain, password',
    );
  });

  it('rejects --param-stdin for an unknown key', () => {
    expect(() => checkKnownKeys([], new Map(), 'password')).toThrow('it asks for none');
  });
});

describe('collectInputs precedence', () => {
  const all = {
    flags: new Map([['password', 'from-flag']]),
    stdin: { key: 'password', value: 'from-stdin' },
    env: { CONNECTOR_PARAM_PASSWORD: 'from-env' },
  };

  it('takes the flag first', async () => {
    expect(await collectInputs([password], sources(all), noPrompts)).toEqual({ password: 'from-flag' });
  });

  it('takes stdin before the environment', async () => {
    expect(await collectInputs([password], sources({ ...all, flags: new Map() }), noPrompts)).toEqual({ password: 'from-stdin' });
  });

  it('takes the environment before a prompt', async () => {
    const prompter = scriptedPrompter([]);

    const values = await collectInputs([password], sources({ env: all.env }), { interactive: true, prompter: async () => prompter });

    expect(values).toEqual({ password: 'from-env' });
    expect(prompter.asked).toEqual([]);
  });

  it('ignores an empty environment variable', async () => {
    expect(await collectInputs([region], sources({ env: { CONNECTOR_PARAM_REGION: '' } }), noPrompts)).toEqual({ region: 'us' });
  });

  it('prompts with the default offered', async () => {
    const prompter = scriptedPrompter([['Region', '']]);

    const values = await collectInputs([region], sources(), { interactive: true, prompter: async () => prompter });

    expect(values).toEqual({ region: 'us' });
  });

  it('asks for secrets with a masked prompt', async () => {
    const prompter = scriptedPrompter([['Password', 'typed']]);
    const masked: string[] = [];
    const recording = { ...prompter, password: async (options: { message: string }) => (masked.push(options.message), prompter.password(options)) };

    const values = await collectInputs([subdomain, password], sources({ flags: new Map([['subdomain', 'acme']]) }), { interactive: true, prompter: async () => recording });

    expect(values).toEqual({ subdomain: 'acme', password: 'typed' });
    expect(masked).toEqual(['Password']);
  });

  it('uses the default without a terminal', async () => {
    expect(await collectInputs([region], sources(), noPrompts)).toEqual({ region: 'us' });
  });
});

describe('collectInputs without a terminal', () => {
  it('names the flag and variable of every missing value', async () => {
    const attempt = collectInputs([subdomain, region, password], sources(), noPrompts);

    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(attempt).rejects.toThrow(
      'missing 2 values for connector connect:\n' +
        '  Subdomain (subdomain): pass --param subdomain=VALUE, or set CONNECTOR_PARAM_SUBDOMAIN\n' +
        '  Password (password): pipe it in with --param-stdin password, pass --param password=VALUE, or set CONNECTOR_PARAM_PASSWORD',
    );
  });
});
