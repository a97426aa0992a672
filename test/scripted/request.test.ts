import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { temporaryFolder } from '../support/cli.js';
import type { OAuth1Provider } from '../support/oauth1-provider.js';
import {
  cli,
  connectOAuth1,
  LINK_NAME,
  oauth2Connector,
  oauth2Credential,
  randomSecret,
  seedConnection,
  sendJson,
  startOAuth2Provider,
  startServer,
  workspaceIn,
  writeConnector,
  type LoopbackServer,
  type OAuth2Provider,
  type Workspace,
} from './fixtures.js';

let folder: { path: string; remove: () => void };
let workspace: Workspace;
const servers: Array<{ close(): Promise<void> }> = [];

beforeEach(() => {
  folder = temporaryFolder();
  workspace = workspaceIn(folder.path);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  folder.remove();
});

async function track<T extends { close(): Promise<void> }>(server: Promise<T>): Promise<T> {
  const started = await server;
  servers.push(started);
  return started;
}

function connectorFile(baseUrl: string, auth: string, extra = ''): string {
  return `schemaVersion: 1
name: Zylker Files
linkName: ${LINK_NAME}
stage: ready
baseUrl: ${baseUrl}
auth:
${auth}
${extra}`;
}

/** An API that echoes what it received: method, path, the Authorization header and the body. */
function echoApi(): Promise<LoopbackServer> {
  return track(
    startServer((request, response) => {
      const url = new URL(request.path, 'http://127.0.0.1');
      if (url.pathname.endsWith('/redirect-same')) {
        response.writeHead(302, { Location: url.pathname.replace('redirect-same', 'echo') });
        response.end();
        return;
      }
      if (url.pathname.endsWith('/see-other')) {
        response.writeHead(303, { Location: 'echo' });
        response.end();
        return;
      }
      if (url.pathname.endsWith('/fail')) return sendJson(response, 500, { error: 'the server broke' });
      sendJson(response, 200, {
        method: request.method,
        path: request.path,
        authorization: request.headers.authorization ?? null,
        apiKey: request.headers['x-api-key'] ?? null,
        contentType: request.headers['content-type'] ?? null,
        custom: request.headers['x-custom'] ?? null,
        body: request.body,
      });
    }),
  );
}

describe('connector request with Basic', () => {
  const auth = `  type: basic
  username: { name: User name, key: username }
  password: { name: Password, key: password }`;

  it('sends the Basic header to the API', async () => {
    const api = await echoApi();
    writeConnector(workspace, connectorFile(api.baseUrl, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['request', '/v1/echo']);
    const body = JSON.parse(result.stdout) as { authorization: string };

    expect(result.code).toBe(0);
    expect(body.authorization).toBe(`Basic ${Buffer.from('zylker:open sesame').toString('base64')}`);
  });

  it('keeps the base path of baseUrl', async () => {
    const api = await echoApi();
    writeConnector(workspace, connectorFile(`${api.baseUrl}/base/`, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['request', '/v1/echo?page=2']);

    expect((JSON.parse(result.stdout) as { path: string }).path).toBe('/base/v1/echo?page=2');
  });

  it('refuses a foreign host with exit 2 and sends nothing', async () => {
    const api = await echoApi();
    const foreign = await echoApi();
    writeConnector(workspace, connectorFile(api.baseUrl, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['request', `${foreign.baseUrl}/v1/echo`]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--allow-host 127.0.0.1:${foreign.port}`);
    expect(foreign.requests).toHaveLength(0);
  });

  it('sends to a host allowed with --allow-host', async () => {
    const api = await echoApi();
    const other = await echoApi();
    writeConnector(workspace, connectorFile(api.baseUrl, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['request', '--allow-host', `127.0.0.1:${other.port}`, `${other.baseUrl}/v1/echo`]);

    expect(result.code).toBe(0);
    expect(other.requests).toHaveLength(1);
  });

  it('follows a same-origin redirect with credentials', async () => {
    const api = await echoApi();
    writeConnector(workspace, connectorFile(api.baseUrl, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['request', '/v1/redirect-same']);
    const body = JSON.parse(result.stdout) as { path: string; authorization: string | null };

    expect(result.code).toBe(0);
    expect(body.path).toBe('/v1/echo');
    expect(body.authorization).toMatch(/^Basic /);
  });

  it('turns POST into GET on 303', async () => {
    const api = await echoApi();
    writeConnector(workspace, connectorFile(api.baseUrl, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['request', '-d', 'a=1', '/v1/see-other']);
    const body = JSON.parse(result.stdout) as { method: string; body: string };

    expect(body.method).toBe('GET');
    expect(body.body).toBe('');
  });

  it('does not follow a redirect to another origin', async () => {
    const other = await echoApi();
    const api = await track(
      startServer((_request, response) => {
        response.writeHead(302, { Location: `${other.baseUrl}/stolen?sig=abc` });
        response.end();
      }),
    );
    writeConnector(workspace, connectorFile(api.baseUrl, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['request', '/v1/download']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('was not followed');
    expect(result.stderr).not.toContain('sig=abc');
    expect(other.requests).toHaveLength(0);
  });

  it('prints the body of an error response and exits 1', async () => {
    const api = await echoApi();
    writeConnector(workspace, connectorFile(api.baseUrl, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['request', '/v1/fail']);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('{"error":"the server broke"}');
    expect(result.stderr).toContain('returned HTTP 500');
  });

  it('sends headers, a method and a JSON body', async () => {
    const api = await echoApi();
    writeConnector(workspace, connectorFile(api.baseUrl, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['request', 'put', '/v1/echo', '-H', 'X-Custom: one two', '--data-json', '{"name":"report.pdf"}']);
    const body = JSON.parse(result.stdout) as Record<string, string>;

    expect(body.method).toBe('PUT');
    expect(body.custom).toBe('one two');
    expect(body.contentType).toBe('application/json');
    expect(body.body).toBe('{"name":"report.pdf"}');
  });

  it('reads the body from a file and from stdin', async () => {
    const api = await echoApi();
    writeConnector(workspace, connectorFile(api.baseUrl, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });
    writeFileSync(join(workspace.path, 'body.txt'), 'line one\nline two\n');

    const fromFile = await cli(workspace, ['request', '-d', '@body.txt', '/v1/echo']);
    const fromStdin = await cli(workspace, ['request', '--data-json', '@-', '/v1/echo'], { stdin: '[1, 2]' });

    expect((JSON.parse(fromFile.stdout) as { body: string }).body).toBe('line one\nline two\n');
    expect((JSON.parse(fromFile.stdout) as { method: string }).method).toBe('POST');
    expect((JSON.parse(fromStdin.stdout) as { body: string }).body).toBe('[1, 2]');
  });

  it('rejects invalid JSON data with exit 2', async () => {
    const api = await echoApi();
    writeConnector(workspace, connectorFile(api.baseUrl, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['request', '--data-json', '{name:', '/v1/echo']);

    expect(result.code).toBe(2);
    expect(api.requests).toHaveLength(0);
  });

  it('prints status, headers and body as JSON', async () => {
    const api = await echoApi();
    writeConnector(workspace, connectorFile(api.baseUrl, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['request', '--json', '/v1/echo']);
    const parsed = JSON.parse(result.stdout) as { status: number; headers: Record<string, string>; body: { method: string } };

    expect(parsed.status).toBe(200);
    expect(parsed.headers['content-type']).toBe('application/json');
    expect(parsed.body.method).toBe('GET');
  });

  it('prints status and headers on stderr with -i', async () => {
    const api = await echoApi();
    writeConnector(workspace, connectorFile(api.baseUrl, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['request', '-i', '/v1/echo']);

    expect(result.stderr).toContain('HTTP 200 OK\n');
    expect(result.stderr).toContain('content-type: application/json\n');
    expect(result.stdout.startsWith('{')).toBe(true);
  });

  it('fails with exit 1 when nothing listens', async () => {
    const api = await echoApi();
    const baseUrl = api.baseUrl;
    await api.close();
    servers.splice(servers.indexOf(api), 1);
    writeConnector(workspace, connectorFile(baseUrl, auth));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['request', '/v1/echo']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ECONNREFUSED');
  });
});

describe('connector request with an API key', () => {
  it.each([
    ['header', ['request', '/v1/echo'], (body: Record<string, string>) => body.apiKey],
    ['query', ['request', '/v1/echo?page=1'], (body: Record<string, string>) => new URL(body.path!, 'http://x').searchParams.get('api_key')],
    ['form', ['request', '-d', 'name=a+b', '/v1/echo'], (body: Record<string, string>) => new URLSearchParams(body.body).get('api_key')],
  ])('sends the key in the %s', async (location, args, read) => {
    const api = await echoApi();
    const key = randomSecret('key-');
    const name = location === 'header' ? 'X-Api-Key' : 'api_key';
    writeConnector(workspace, connectorFile(api.baseUrl, `  type: apiKey\n  location: ${location}\n  parameters:\n    - { name: API key, key: ${name} }`));
    await seedConnection(workspace, { type: 'apiKey', values: { [name]: key } });

    const result = await cli(workspace, args);

    expect(result.code).toBe(0);
    expect(read(JSON.parse(result.stdout) as Record<string, string>)).toBe(key);
  });
});

describe('connector request with OAuth 1.0a', () => {
  let provider: OAuth1Provider;

  async function connect(): Promise<void> {
    provider = (await connectOAuth1(workspace)).provider;
    servers.push(provider);
  }

  it('signs a GET with query parameters', async () => {
    await connect();

    const result = await cli(workspace, ['request', '/1/account?q=hello%20world&b=2']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ screen_name: 'zylker_tester', query: { q: 'hello world', b: '2' } });
    expect(provider.requests.at(-1)?.problem).toBe('');
  });

  it('signs the form parameters of a POST', async () => {
    await connect();

    const result = await cli(workspace, ['request', '-d', 'status=hello+world&tag=a%2Fb', '/1/account']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ method: 'POST', form: { status: 'hello world', tag: 'a/b' } });
  });
});

describe('connector request with OAuth 2.0', () => {
  let provider: OAuth2Provider;

  beforeEach(async () => {
    const clientSecret = randomSecret('cs-');
    workspace = workspaceIn(folder.path, clientSecret);
    provider = await track(startOAuth2Provider({ clientSecret }));
    writeConnector(workspace, oauth2Connector(provider));
  });

  it('sends the bearer token', async () => {
    await seedConnection(workspace, oauth2Credential(provider.issue(), 3_600_000));

    const result = await cli(workspace, ['request', '/v1/me']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ user: 'zylker_tester' });
  });

  it('refreshes an expired token first', async () => {
    await seedConnection(workspace, oauth2Credential(provider.issue(), -60_000));

    const result = await cli(workspace, ['request', '/v1/me']);

    expect(result.code).toBe(0);
    expect(provider.refreshCount()).toBe(1);
    expect(provider.apiCount()).toBe(1);
  });

  it('refreshes once and retries once on 401', async () => {
    const tokens = provider.issue();
    provider.revokeAccessToken(tokens.accessToken);
    await seedConnection(workspace, oauth2Credential(tokens, 3_600_000));

    const result = await cli(workspace, ['request', '/v1/me']);

    expect(result.code).toBe(0);
    expect(provider.refreshCount()).toBe(1);
    expect(provider.apiCount()).toBe(2);
  });

  it('gives up after one retry', async () => {
    await seedConnection(workspace, oauth2Credential(provider.issue(), 3_600_000));
    provider.rejectEveryToken();

    const result = await cli(workspace, ['request', '/v1/me']);

    expect(result.code).toBe(1);
    expect(provider.refreshCount()).toBe(1);
    expect(provider.apiCount()).toBe(2);
    expect(result.stdout).toContain('invalid_token');
  });
});
