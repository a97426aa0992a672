import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { OperationError } from '../../src/cli/errors.js';
import { temporaryFolder } from '../support/cli.js';
import { runInProcess, scriptedPrompter } from '../support/in-process.js';
import { MemoryStore } from '../support/memory-store.js';

let folder: { path: string; remove: () => void };
beforeEach(() => {
  folder = temporaryFolder();
});
afterEach(() => folder.remove());

const file = () => readFileSync(join(folder.path, 'connector.yaml'), 'utf8');

describe('interactive init', () => {
  it('walks all three steps for OAuth 2.0', async () => {
    const store = new MemoryStore();
    const prompter = scriptedPrompter([
      ['Name', 'Zylker Files'],
      ['Link name', undefined],
      ['Description', 'Files in Zylker Drive'],
      ['Logo', ''],
      ['Auth type', 'oauth2'],
      ['Grant type', undefined],
      ['Client ID', '1000.ABC'],
      ['Client secret', 'typed-secret-value'],
      ['Authorization URL', 'https://accounts.zylker.com/oauth/v2/auth'],
      ['Token URL', 'https://accounts.zylker.com/oauth/v2/token'],
      ['Authorization header prefix', undefined],
      ['Token lifetime', undefined],
      ['Use PKCE', undefined],
      ['Scope value', 'files.read'],
      ['Display name', 'Read files'],
      ['Another scope value', 'files.write'],
      ['Display name', ''],
      ['Another scope value', ''],
      ['Scope delimiter', 'space'],
    ]);

    const result = await runInProcess(['init'], {
      cwd: folder.path,
      overrides: { interactive: true, prompter: async () => prompter, secretStore: async () => store },
    });
    expect(result.stderr).toContain('Created');
    expect(result.code).toBe(0);

    const text = file();
    expect(text).toContain('linkName: zylker_files');
    expect(text).toContain('clientSecret: keychain');
    expect(text).toContain('bearerName: Bearer');
    expect(text).toContain('expiresIn: 3600');
    expect(text).toContain('pkce: true');
    expect(text).toContain('grantType: authorizationCode');
    expect(text).toContain('delimiter: space');
    expect(text).toContain('{ name: Read files, value: files.read }');
    expect(text).not.toContain('typed-secret-value');
    expect(await store.get('connector:zylker_files', 'secret:clientSecret')).toBe('typed-secret-value');
    expect(result.stdout + result.stderr).not.toContain('typed-secret-value');
  });

  it('asks only what flags did not give', async () => {
    const prompter = scriptedPrompter([
      ['Description', ''],
      ['Logo', ''],
      ['Prompt for the user name', undefined],
      ['Prompt for the password', 'API token'],
    ]);
    const result = await runInProcess(['init', '--name', 'Acme', '--auth', 'basic'], {
      cwd: folder.path,
      overrides: { interactive: true, prompter: async () => prompter },
    });
    expect(result.code).toBe(0);
    expect(prompter.asked.some((message) => message.startsWith('Name'))).toBe(false);
    expect(file()).toContain('password: { name: Password, key: password }');
  });

  it('collects several API key parameters', async () => {
    const prompter = scriptedPrompter([
      ['Name', 'Keys'],
      ['Link name', undefined],
      ['Description', ''],
      ['Logo', ''],
      ['Auth type', 'apiKey'],
      ['Where is the key sent', 'query'],
      ['Parameter key', 'api_key'],
      ['Prompt shown', 'API key'],
      ['Value prefix', ''],
      ['Add another', true],
      ['Parameter key', 'Authorization'],
      ['Prompt shown', 'Token'],
      ['Value prefix', 'Token '],
      ['Add another', false],
    ]);
    const result = await runInProcess(['init'], { cwd: folder.path, overrides: { interactive: true, prompter: async () => prompter } });
    expect(result.code).toBe(0);
    const text = file();
    expect(text).toContain('location: query');
    expect(text).toContain('{ name: API key, key: api_key }');
    expect(text).toContain('{ name: Token, key: Authorization, prefix: "Token " }');
  });

  it('offers an env: reference when no keychain is reachable', async () => {
    const prompter = scriptedPrompter([
      ['Name', 'Twitterish'],
      ['Link name', undefined],
      ['Description', ''],
      ['Logo', ''],
      ['Auth type', 'oauth1'],
      ['Consumer key', 'ck_123'],
      ['Consumer secret', 'typed-consumer-secret'],
      ['Request token URL', 'https://api.example.test/oauth/request_token'],
      ['Authorization URL', 'https://api.example.test/oauth/authorize'],
      ['Access token URL', 'https://api.example.test/oauth/access_token'],
      ['Signature method', 'HMAC-SHA1'],
      ['Environment variable', undefined],
    ]);
    const result = await runInProcess(['init'], {
      cwd: folder.path,
      overrides: {
        interactive: true,
        prompter: async () => prompter,
        secretStore: async () => {
          throw new OperationError('No keychain is available to store secrets: no Secret Service on the session bus.', { hint: 'Start one.' });
        },
      },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('No keychain is available');
    const text = file();
    expect(text).toContain('consumerSecret: env:TWITTERISH_CONSUMER_SECRET');
    expect(text).not.toContain('typed-consumer-secret');
  });

  it('refuses a secret from stdin without a keychain, writing nothing', async () => {
    const result = await runInProcess(
      ['init', '--no-input', '--name', 'Acme', '--auth', 'oauth2', '--client-id', 'abc', '--client-secret-stdin'],
      {
        cwd: folder.path,
        stdin: 'piped-secret\n',
        overrides: {
          secretStore: async () => {
            throw new OperationError('No keychain is available to store secrets: no Secret Service.');
          },
        },
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--client-secret-env');
    expect(result.stderr).not.toContain('piped-secret');
    expect(() => file()).toThrow();
  });

  it('stores a piped secret in the store', async () => {
    const store = new MemoryStore();
    const result = await runInProcess(
      ['init', '--no-input', '--name', 'Acme', '--auth', 'oauth2', '--client-id', 'abc', '--client-secret-stdin'],
      { cwd: folder.path, stdin: 'piped-secret\n', overrides: { secretStore: async () => store } },
    );
    expect(result.code).toBe(0);
    expect(file()).toContain('clientSecret: keychain');
    expect(await store.get('connector:acme', 'secret:clientSecret')).toBe('piped-secret');
  });

  it('exits 130 when a prompt is cancelled', async () => {
    const cancelled = Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    const result = await runInProcess(['init'], {
      cwd: folder.path,
      overrides: {
        interactive: true,
        prompter: async () => ({
          input: async () => {
            throw cancelled;
          },
          password: async () => '',
          select: async () => {
            throw cancelled;
          },
          confirm: async () => false,
        }),
      },
    });
    expect(result.code).toBe(130);
    expect(() => file()).toThrow();
  });
});
