/** `connector secret set|delete` run in this process with an in-memory secret store. */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { temporaryFolder } from '../support/cli.js';
import { runInProcess, scriptedPrompter } from '../support/in-process.js';
import { MemoryStore } from '../support/memory-store.js';

let folder: { path: string; remove: () => void };
let store: MemoryStore;
beforeEach(() => {
  folder = temporaryFolder();
  store = new MemoryStore();
});
afterEach(() => folder.remove());

function writeOAuth2(clientSecret: string): void {
  writeFileSync(
    join(folder.path, 'connector.yaml'),
    `schemaVersion: 1
name: Zylker Files
linkName: zylker_files
stage: draft
auth:
  type: oauth2
  grantType: clientCredentials
  clientId: "1000.ABC"
  clientSecret: ${clientSecret} # where the secret comes from
  tokenUrl: https://accounts.zylker.test/oauth/token
`,
  );
}

function writeOAuth1Rsa(): void {
  writeFileSync(
    join(folder.path, 'connector.yaml'),
    `schemaVersion: 1
name: Zylker Social
linkName: zylker_social
stage: draft
auth:
  type: oauth1
  consumerKey: ck_123
  consumerSecret: keychain
  requestTokenUrl: https://api.zylker.test/oauth/request_token
  authorizationUrl: https://api.zylker.test/oauth/authorize
  accessTokenUrl: https://api.zylker.test/oauth/access_token
  signatureMethod: RSA-SHA1
`,
  );
}

const run = (args: string[], options: { stdin?: string; terminal?: boolean; answers?: [string, unknown][] } = {}) =>
  runInProcess(args, {
    cwd: folder.path,
    stdin: options.stdin,
    terminal: options.terminal,
    overrides: { secretStore: async () => store, prompter: async () => scriptedPrompter(options.answers ?? []) },
  });

const stored = (linkName: string, name: string) => store.entries.get(`connector:${linkName}\u0000secret:${name}`);
const connectorText = () => readFileSync(join(folder.path, 'connector.yaml'), 'utf8');

describe('secret set', () => {
  it('stores a piped value without its trailing line break', async () => {
    writeOAuth2('keychain');

    const result = await run(['secret', 'set', 'clientSecret', '--json'], { stdin: 'piped-secret\n' });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ connector: 'zylker_files', name: 'clientSecret', stored: true });
    expect(stored('zylker_files', 'clientSecret')).toBe('piped-secret');
    expect(result.stderr).not.toContain('piped-secret');
  });

  it('asks with a masked prompt on a terminal', async () => {
    writeOAuth2('keychain');

    const result = await run(['secret', 'set', 'clientSecret'], { terminal: true, answers: [['Client secret', 'typed-secret']] });

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Stored clientSecret of zylker_files in the keychain.');
    expect(stored('zylker_files', 'clientSecret')).toBe('typed-secret');
  });

  it('rejects a name other than clientSecret and consumerSecret', async () => {
    writeOAuth2('keychain');

    const result = await run(['secret', 'set', 'password'], { stdin: 'x' });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown connector secret "password"; the names are clientSecret (OAuth 2.0) and consumerSecret (OAuth 1.0a)');
  });

  it('rejects the secret of another auth type', async () => {
    writeOAuth2('keychain');

    const result = await run(['secret', 'set', 'consumerSecret'], { stdin: 'x' });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('zylker_files uses oauth2 authentication, which has no consumerSecret');
    expect(result.stderr).toContain('did you mean connector secret set clientSecret?');
  });

  it('rejects a non-keychain field in a script', async () => {
    writeOAuth2('env:ZYLKER_SECRET');

    const result = await run(['secret', 'set', 'clientSecret'], { stdin: 'x' });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('auth.clientSecret in connector.yaml reads the environment variable ZYLKER_SECRET');
    expect(result.stderr).toContain('connector set auth.clientSecret keychain');
    expect(store.entries.size).toBe(0);
  });

  it('offers the switch on a terminal and keeps the comment', async () => {
    writeOAuth2('env:ZYLKER_SECRET');

    const result = await run(['secret', 'set', 'clientSecret'], {
      terminal: true,
      answers: [
        ['Change it to keychain', true],
        ['Client secret', 'typed-secret'],
      ],
    });

    expect(result.code).toBe(0);
    expect(stored('zylker_files', 'clientSecret')).toBe('typed-secret');
    expect(connectorText()).toContain('clientSecret: keychain # where the secret comes from');
    expect(result.stderr).toContain('auth.clientSecret now says keychain.');
  });

  it('stores nothing when the switch is declined', async () => {
    writeOAuth2('env:ZYLKER_SECRET');

    const result = await run(['secret', 'set', 'clientSecret'], { terminal: true, answers: [['Change it to keychain', false]] });

    expect(result.code).toBe(1);
    expect(store.entries.size).toBe(0);
    expect(connectorText()).toContain('clientSecret: env:ZYLKER_SECRET');
  });

  it('rejects --stdin on a terminal', async () => {
    writeOAuth2('keychain');

    const result = await run(['secret', 'set', 'clientSecret', '--stdin'], { terminal: true });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--stdin reads a piped value, but stdin is a terminal');
  });

  it('rejects an empty stdin', async () => {
    writeOAuth2('keychain');

    const result = await run(['secret', 'set', 'clientSecret'], { stdin: '' });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('stdin was empty');
  });

  it('stores an RSA private key piped in', async () => {
    writeOAuth1Rsa();
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

    const result = await run(['secret', 'set', 'consumerSecret'], { stdin: pem });

    expect(result.code).toBe(0);
    expect(stored('zylker_social', 'consumerSecret')).toBe(pem.replace(/\n$/, ''));
  });

  it('rejects text that is not a private key for RSA-SHA1', async () => {
    writeOAuth1Rsa();

    const result = await run(['secret', 'set', 'consumerSecret'], { stdin: 'not a key' });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('does not hold an RSA private key in PEM form');
    expect(store.entries.size).toBe(0);
  });

  it('rejects a prompt for an RSA private key', async () => {
    writeOAuth1Rsa();

    const result = await run(['secret', 'set', 'consumerSecret'], { terminal: true });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('connector secret set consumerSecret < key.pem');
  });
});

describe('secret delete', () => {
  it('deletes a stored secret and warns that the file still refers to it', async () => {
    writeOAuth2('keychain');
    await run(['secret', 'set', 'clientSecret'], { stdin: 'x' });

    const result = await run(['secret', 'delete', 'clientSecret', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ connector: 'zylker_files', name: 'clientSecret', deleted: true });
    expect(result.stderr).toContain('warning: auth.clientSecret still says keychain');
    expect(store.entries.size).toBe(0);
  });

  it('reports deleted false when nothing was stored', async () => {
    writeOAuth2('keychain');

    const result = await run(['secret', 'delete', 'clientSecret']);

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('zylker_files had no clientSecret stored; nothing was deleted.');
  });
});
