/**
 * `connector connect` run in this process with injected dependencies: Ctrl-C through
 * deps.signal, the browser opener, prompts on a terminal, and pasting a URL while waiting.
 * The OAuth 2.0 provider is real and listens on 127.0.0.1.
 */
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { Prompter } from '../../src/cli/deps.js';
import { allCommands } from '../../src/cli/commands.js';
import { main } from '../../src/cli/main.js';
import { temporaryFolder } from '../support/cli.js';
import { runInProcess, scriptedPrompter } from '../support/in-process.js';
import { MemoryStore } from '../support/memory-store.js';
import { startOidcProvider, type OidcTestProvider } from '../support/oidc-provider.js';
import { completeAuthorization } from '../support/user-agent.js';

let provider: OidcTestProvider;
beforeAll(async () => {
  provider = await startOidcProvider();
});
afterAll(async () => {
  await provider.close();
});

let folder: { path: string; remove: () => void };
let store: MemoryStore;
beforeEach(() => {
  folder = temporaryFolder();
  store = new MemoryStore();
});
afterEach(() => folder.remove());

const metadataFile = () => join(folder.path, '.connector-config', 'connections.json');

function writeCodeConnector(): void {
  writeFileSync(
    join(folder.path, 'connector.yaml'),
    `schemaVersion: 1
name: Zylker Files
linkName: zylker_files
stage: ready
auth:
  type: oauth2
  grantType: authorizationCode
  clientId: native-app
  authorizationUrl: ${provider.endpoints.authorization}
  tokenUrl: ${provider.endpoints.token}
scopes:
  delimiter: space
  items:
    - { name: Sign in, value: openid }
`,
  );
}

function writeBasicConnector(): void {
  writeFileSync(
    join(folder.path, 'connector.yaml'),
    `schemaVersion: 1
name: Zylker Desk
linkName: zylker_desk
stage: ready
baseUrl: https://{subdomain}.zylker.test
connectionParameters:
  - { name: Subdomain, key: subdomain }
auth:
  type: basic
  username: { name: User name, key: username }
  password: { name: Password, key: password }
`,
  );
}

/** Records which prompt method each message went to, so a test can tell masked prompts from plain ones. */
function recordingPrompter(script: [string, unknown][]): Prompter & { asked: string[]; masked: string[]; plain: string[] } {
  const inner = scriptedPrompter(script);
  const masked: string[] = [];
  const plain: string[] = [];
  return {
    ...inner,
    masked,
    plain,
    input: (options) => (plain.push(options.message), inner.input(options)),
    password: (options) => (masked.push(options.message), inner.password(options)),
  };
}

describe('connect in process', () => {
  it('exits 130 and saves nothing when deps.signal aborts during the wait', async () => {
    writeCodeConnector();
    const interrupt = new AbortController();
    let opened = '';

    const result = await runInProcess(['connect', '--no-input'], {
      cwd: folder.path,
      overrides: {
        signal: interrupt.signal,
        secretStore: async () => store,
        // The browser "opens"; the user presses Ctrl-C while the redirect server waits.
        openBrowser: async (url) => {
          opened = url;
          setImmediate(() => interrupt.abort());
        },
      },
    });

    expect(opened.startsWith(`${provider.endpoints.authorization}?`)).toBe(true);
    expect(result.code).toBe(130);
    expect(store.entries.size).toBe(0);
    expect(existsSync(metadataFile())).toBe(false);
  });

  it('opens the browser with the authorization URL and prints it too', async () => {
    writeCodeConnector();
    const opened: string[] = [];

    const result = await runInProcess(['connect', '--no-input', '--json'], {
      cwd: folder.path,
      overrides: {
        secretStore: async () => store,
        openBrowser: async (url) => {
          opened.push(url);
          void completeAuthorization(url);
        },
      },
    });

    expect(result.code).toBe(0);
    expect(opened).toHaveLength(1);
    expect(result.stderr).toContain('Opening the browser to authorize the connection.');
    expect(result.stderr).toContain(opened[0]);
    expect(JSON.parse(store.entries.get('connector:zylker_files\u0000connection:default') ?? '{}')).toMatchObject({ type: 'oauth2', scopes: ['openid'] });
  });

  it('asks for parameters first, and masks the password', async () => {
    writeBasicConnector();
    const prompter = recordingPrompter([
      ['Subdomain', 'acme'],
      ['User name', 'alice'],
      ['Password', 'typed-secret'],
    ]);

    const result = await runInProcess(['connect'], { cwd: folder.path, terminal: true, overrides: { secretStore: async () => store, prompter: async () => prompter } });

    expect(result.code).toBe(0);
    expect(prompter.asked).toEqual(['Subdomain', 'User name', 'Password']);
    expect(prompter.masked).toEqual(['Password']);
    expect(result.stderr).not.toContain('typed-secret');
    expect(JSON.parse(store.entries.get('connector:zylker_desk\u0000connection:default') ?? '{}')).toEqual({ type: 'basic', username: 'alice', password: 'typed-secret' });
  });

  it('asks before replacing a connection, and keeps it on no', async () => {
    writeBasicConnector();
    const args = ['connect', '--param', 'subdomain=acme', '--param', 'username=alice', '--param', 'password=first'];
    await runInProcess([...args, '--no-input'], { cwd: folder.path, overrides: { secretStore: async () => store } });

    const declined = await runInProcess(args, {
      cwd: folder.path,
      terminal: true,
      overrides: { secretStore: async () => store, prompter: async () => scriptedPrompter([['Replace it?', false]]) },
    });
    const accepted = await runInProcess([...args.slice(0, -1), 'password=second'], {
      cwd: folder.path,
      terminal: true,
      overrides: { secretStore: async () => store, prompter: async () => scriptedPrompter([['Replace it?', true]]) },
    });

    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain('kept the existing connection default of zylker_desk');
    expect(accepted.code).toBe(0);
    expect(accepted.stderr).toContain('Replaced connection default of zylker_desk');
    expect(JSON.parse(store.entries.get('connector:zylker_desk\u0000connection:default') ?? '{}')).toMatchObject({ password: 'second' });
  });

  it('takes a pasted URL on a terminal while it waits', async () => {
    writeCodeConnector();
    const landing = await startLandingPage();
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const stderr = { text: '', isTTY: true, write: (chunk: string | Uint8Array) => ((stderr.text += String(chunk)), true) };
    const stdout = { text: '', isTTY: true, write: (chunk: string | Uint8Array) => ((stdout.text += String(chunk)), true) };

    try {
      const code = await main({
        argv: ['connect', '--json'],
        io: { stdin, stdout, stderr, color: false },
        env: { CONNECTOR_CONFIG_DIR: join(folder.path, '.connector-config') },
        cwd: folder.path,
        commands: allCommands,
        overrides: {
          secretStore: async () => store,
          prompter: async () => scriptedPrompter([]),
          // The browser runs on another machine: its redirect lands elsewhere, and the user pastes that URL.
          openBrowser: async (url) => {
            void completeAuthorization(url, {
              rewriteCallback: (redirect) => {
                stdin.write(`${redirect.toString()}\n`);
                return new URL(landing.url);
              },
            });
          },
        },
      });

      expect(code).toBe(0);
      expect(stderr.text).toContain('Or paste the URL the browser ended on, then press Enter: ');
      expect(JSON.parse(stdout.text)).toMatchObject({ connection: 'default', grantType: 'authorizationCode' });
    } finally {
      stdin.end();
      await landing.close();
    }
  });
});

/** Starts a page on 127.0.0.1 that stands for wherever a browser on another machine lands. */
async function startLandingPage(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    response.end('This site cannot be reached\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/landed`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
