import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { temporaryFolder } from '../support/cli.js';
import {
  cli,
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
let server: { close(): Promise<void> } | undefined;

beforeEach(() => {
  folder = temporaryFolder();
  workspace = workspaceIn(folder.path);
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  folder.remove();
});

interface CheckJson {
  ok: boolean;
  status: number | null;
  durationMs: number;
  url: string;
  error?: string;
}

describe('connector check with OAuth 2.0', () => {
  let provider: OAuth2Provider;

  beforeEach(async () => {
    const clientSecret = randomSecret('cs-');
    workspace = workspaceIn(folder.path, clientSecret);
    provider = await startOAuth2Provider({ clientSecret });
    server = provider;
    writeConnector(workspace, oauth2Connector(provider));
  });

  it('passes with exit 0 and prints status and time', async () => {
    await seedConnection(workspace, oauth2Credential(provider.issue(), 3_600_000));

    const result = await cli(workspace, ['check']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/me: HTTP 200 OK in \d+ ms\n$/);
  });

  it('prints the result as JSON', async () => {
    await seedConnection(workspace, oauth2Credential(provider.issue(), 3_600_000));

    const result = await cli(workspace, ['check', '--json']);
    const parsed = JSON.parse(result.stdout) as CheckJson;

    expect(parsed).toMatchObject({ ok: true, status: 200, url: `${provider.baseUrl}/api/v1/me` });
    expect(Object.keys(parsed).sort()).toEqual(['durationMs', 'ok', 'status', 'url']);
    expect(parsed.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('fails with exit 4 when the API rejects the token', async () => {
    await seedConnection(workspace, oauth2Credential(provider.issue(), 3_600_000));
    provider.rejectEveryToken();

    const result = await cli(workspace, ['check', '--json']);
    const parsed = JSON.parse(result.stdout) as CheckJson;

    expect(result.code).toBe(4);
    expect(parsed.ok).toBe(false);
    expect(parsed.status).toBe(401);
    expect(parsed.error).toContain('HTTP 401');
    expect(result.stderr).toContain('run connector connect again');
  });

  it('fails with exit 4 when the token cannot be renewed', async () => {
    await seedConnection(workspace, oauth2Credential({ accessToken: provider.issue().accessToken }, -60_000));

    const result = await cli(workspace, ['check', '--json']);
    const parsed = JSON.parse(result.stdout) as CheckJson;

    expect(result.code).toBe(4);
    expect(parsed).toMatchObject({ ok: false, status: null });
    expect(parsed.error).toContain('no refresh token');
  });
});

describe('connector check with Basic', () => {
  const basicConnector = (baseUrl: string, test = 'test:\n  method: GET\n  url: /status\n') => `schemaVersion: 1
name: Zylker Files
linkName: ${LINK_NAME}
stage: ready
baseUrl: ${baseUrl}
auth:
  type: basic
  username: { name: User name, key: username }
  password: { name: Password, key: password }
${test}`;

  async function apiAnswering(status: number): Promise<LoopbackServer> {
    const started = await startServer((_request, response) => sendJson(response, status, { message: `answered ${status}` }));
    server = started;
    return started;
  }

  it('fails with exit 4 on 403 and shows the body', async () => {
    const api = await apiAnswering(403);
    writeConnector(workspace, basicConnector(api.baseUrl));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: randomSecret('pw-') });

    const result = await cli(workspace, ['check']);

    expect(result.code).toBe(4);
    expect(result.stderr).toContain('HTTP 403 Forbidden');
    expect(result.stderr).toContain('answered 403');
    expect(result.stdout).toBe('');
  });

  it('fails with exit 1 on 500', async () => {
    const api = await apiAnswering(500);
    writeConnector(workspace, basicConnector(api.baseUrl));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: randomSecret('pw-') });

    const result = await cli(workspace, ['check']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('HTTP 500');
  });

  it('fails with exit 1 when nothing listens', async () => {
    const api = await apiAnswering(200);
    await api.close();
    server = undefined;
    writeConnector(workspace, basicConnector(api.baseUrl));
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: randomSecret('pw-') });

    const result = await cli(workspace, ['check', '--json']);
    const parsed = JSON.parse(result.stdout) as CheckJson;

    expect(result.code).toBe(1);
    expect(parsed).toMatchObject({ ok: false, status: null });
    expect(parsed.error).toContain('ECONNREFUSED');
  });

  it('fails with exit 2 without a test request', async () => {
    writeConnector(workspace, basicConnector('https://api.zylker.test', ''));

    const result = await cli(workspace, ['check']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('has no test request');
    expect(result.stderr).toContain('connector set test ');
  });
});
