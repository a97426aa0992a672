import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { temporaryFolder } from '../support/cli.js';
import {
  cli,
  oauth2Connector,
  oauth2Credential,
  randomSecret,
  seedConnection,
  sendJson,
  startServer,
  workspaceIn,
  writeConnector,
  type LoopbackServer,
  type Workspace,
} from './fixtures.js';

let folder: { path: string; remove: () => void };
let workspace: Workspace;
let clientSecret: string;
let server: LoopbackServer | undefined;

beforeEach(() => {
  folder = temporaryFolder();
  clientSecret = randomSecret('cs-');
  workspace = workspaceIn(folder.path, clientSecret);
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  folder.remove();
});

/** Starts a provider that echoes every request back in its error responses, as some do. */
async function startEchoingProvider(): Promise<LoopbackServer> {
  return startServer((request, response) => {
    const echo = `${request.body} ${request.method} ${request.path} ${JSON.stringify(request.headers)}`;
    if (request.path.startsWith('/oauth/token')) {
      sendJson(response, 400, { error: 'invalid_request', error_description: `could not handle ${echo}` });
      return;
    }
    sendJson(response, 500, { received: echo });
  });
}

describe('secrets echoed by a server', () => {
  it('check hides the credential in an echoed error body', async () => {
    server = await startEchoingProvider();
    writeConnector(workspace, oauth2Connector(server));
    const accessToken = randomSecret('at-');
    await seedConnection(workspace, oauth2Credential({ accessToken }, 3_600_000));

    for (const args of [['check'], ['check', '--json'], ['check', '--verbose']]) {
      const result = await cli(workspace, args);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).not.toContain(accessToken);
    }
  });

  it('token hides the client secret and refresh token echoed by the token endpoint', async () => {
    server = await startEchoingProvider();
    writeConnector(workspace, oauth2Connector(server));
    const refreshToken = randomSecret('rt-');
    await seedConnection(workspace, oauth2Credential({ accessToken: randomSecret('at-'), refreshToken }, -1000));

    for (const args of [['token'], ['token', '--json'], ['token', '--verbose']]) {
      const result = await cli(workspace, args);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('invalid_request');
      const output = result.stdout + result.stderr;
      expect(output).not.toContain(clientSecret);
      expect(output).not.toContain(refreshToken);
    }
  });
});

describe('input limits', () => {
  it('request refuses a timeout beyond what timers hold', async () => {
    server = await startEchoingProvider();
    writeConnector(workspace, oauth2Connector(server));
    await seedConnection(workspace, oauth2Credential({ accessToken: randomSecret('at-') }, 3_600_000));
    const result = await cli(workspace, ['request', '/v1/me', '--timeout', '99999999']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the maximum is 2147483 seconds');
  });

  it('connect --paste stops when stdin ends', async () => {
    server = await startEchoingProvider();
    writeConnector(workspace, oauth2Connector(server));
    const started = Date.now();
    const result = await cli(workspace, ['connect', '--no-input', '--paste'], { stdin: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('stdin ended before the URL the browser ended on was pasted');
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('request arguments', () => {
  it('names a missing URL after the method', async () => {
    server = await startEchoingProvider();
    writeConnector(workspace, oauth2Connector(server));
    await seedConnection(workspace, oauth2Credential({ accessToken: randomSecret('at-') }, 3_600_000));
    const result = await cli(workspace, ['request', 'GET']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the URL is missing after GET');
  });
});

describe('request --timeout', () => {
  it('also limits a token renewal', async () => {
    server = await startServer((request, response) => {
      if (request.path.startsWith('/oauth/token')) return; // never answers
      sendJson(response, 200, { ok: true });
    });
    writeConnector(workspace, oauth2Connector(server));
    await seedConnection(workspace, oauth2Credential({ accessToken: randomSecret('at-'), refreshToken: randomSecret('rt-') }, -1000));
    const started = Date.now();
    const result = await cli(workspace, ['request', '/v1/me', '--timeout', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('timed out after 1 s');
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('token --timeout', () => {
  it('limits a token renewal', async () => {
    server = await startServer((request, response) => {
      if (request.path.startsWith('/oauth/token')) return; // never answers
      sendJson(response, 200, { ok: true });
    });
    writeConnector(workspace, oauth2Connector(server));
    await seedConnection(workspace, oauth2Credential({ accessToken: randomSecret('at-'), refreshToken: randomSecret('rt-') }, -1000));
    const started = Date.now();
    const result = await cli(workspace, ['token', '--timeout', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('timed out after 1 s');
    expect(result.stdout).toBe('');
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
