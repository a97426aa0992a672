import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { temporaryFolder } from '../support/cli.js';
import {
  cli,
  LINK_NAME,
  oauth2Connector,
  oauth2Credential,
  randomSecret,
  seedConnection,
  startOAuth2Provider,
  storedCredential,
  storedOAuth2Credential,
  storedRecord,
  workspaceIn,
  writeConnector,
  type OAuth2Provider,
  type Workspace,
} from './fixtures.js';

const EXPIRED = -60_000;
const FRESH = 3_600_000;

let folder: { path: string; remove: () => void };
let workspace: Workspace;
let provider: OAuth2Provider;

async function setUp(options: { rotate?: boolean } = {}): Promise<void> {
  const clientSecret = randomSecret('cs-');
  workspace = workspaceIn(folder.path, clientSecret);
  provider = await startOAuth2Provider({ clientSecret, ...options });
  writeConnector(workspace, oauth2Connector(provider));
}

beforeEach(() => {
  folder = temporaryFolder();
});
afterEach(async () => {
  await provider?.close();
  folder.remove();
});

describe('connector token', () => {
  it('prints a valid token without refreshing', async () => {
    await setUp();
    const tokens = provider.issue();
    await seedConnection(workspace, oauth2Credential(tokens, FRESH));

    const result = await cli(workspace, ['token']);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${tokens.accessToken}\n`);
    expect(provider.refreshCount()).toBe(0);
  });

  it('prints only the token under a terminal colour setting', async () => {
    await setUp();
    const tokens = provider.issue();
    await seedConnection(workspace, oauth2Credential(tokens, FRESH));

    const result = await cli(workspace, ['token', '--verbose'], { env: { FORCE_COLOR: '1' } });

    expect(result.stdout).toBe(`${tokens.accessToken}\n`);
  });

  it('refreshes a token that expires within 60 seconds', async () => {
    await setUp();
    const tokens = provider.issue();
    await seedConnection(workspace, oauth2Credential(tokens, 30_000));

    const result = await cli(workspace, ['token']);

    expect(result.code).toBe(0);
    expect(provider.refreshCount()).toBe(1);
    expect(result.stdout.trim()).not.toBe(tokens.accessToken);
    expect(result.stdout).toMatch(/^at-[0-9a-f]{24}\n$/);
  });

  it('stores a rotated refresh token before printing', async () => {
    await setUp({ rotate: true });
    const tokens = provider.issue();
    await seedConnection(workspace, oauth2Credential(tokens, EXPIRED));

    const result = await cli(workspace, ['token']);
    const stored = await storedOAuth2Credential(workspace);

    expect(result.code).toBe(0);
    expect(stored.accessToken).toBe(result.stdout.trim());
    expect(stored.refreshToken).not.toBe(tokens.refreshToken);
    expect(stored.refreshToken).toMatch(/^rt-/);
  });

  it('keeps the refresh token when the response has none', async () => {
    await setUp({ rotate: false });
    const tokens = provider.issue();
    await seedConnection(workspace, oauth2Credential(tokens, EXPIRED));

    const result = await cli(workspace, ['token']);
    const stored = await storedOAuth2Credential(workspace);

    expect(result.code).toBe(0);
    expect(stored.refreshToken).toBe(tokens.refreshToken);
    expect(stored.accessToken).toBe(result.stdout.trim());
  });

  it('updates the expiry in the metadata', async () => {
    await setUp();
    await seedConnection(workspace, oauth2Credential(provider.issue(), EXPIRED));
    const before = Date.now();

    await cli(workspace, ['token']);
    const record = await storedRecord(workspace);

    expect(Date.parse(record?.expiresAt ?? '')).toBeGreaterThan(before + 3_000_000);
  });

  it('fails with exit 4 on invalid_grant and keeps the connection', async () => {
    await setUp();
    const tokens = provider.issue();
    // Spend the refresh token, so the stored one is a replay.
    await seedConnection(workspace, oauth2Credential(tokens, EXPIRED));
    await cli(workspace, ['token']);
    await seedConnection(workspace, oauth2Credential(tokens, EXPIRED));
    const refreshesBefore = provider.refreshCount();

    const result = await cli(workspace, ['token']);

    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('invalid_grant');
    expect(result.stderr).toContain('run connector connect again');
    expect(provider.refreshCount() - refreshesBefore).toBe(1);
    expect(await storedCredential(workspace)).not.toBeNull();
    expect((await storedRecord(workspace))?.needsReconnect).toBe(true);
  });

  it('sends no refresh once the connection needs reconnecting', async () => {
    await setUp();
    await seedConnection(workspace, oauth2Credential(provider.issue(), EXPIRED), { needsReconnect: true });

    const result = await cli(workspace, ['token']);

    expect(result.code).toBe(4);
    expect(result.stderr).toContain('run connector connect again');
    expect(provider.refreshCount()).toBe(0);
  });

  it('fails with exit 4 without a refresh token', async () => {
    await setUp();
    await seedConnection(workspace, oauth2Credential({ accessToken: provider.issue().accessToken }, EXPIRED));

    const result = await cli(workspace, ['token']);

    expect(result.code).toBe(4);
    expect(result.stderr).toContain('no refresh token');
    expect(result.stderr).toContain('run connector connect again');
  });

  it('hands out a token whose expiry only the connector assumed', async () => {
    await setUp();
    const { accessToken } = provider.issue();
    await seedConnection(workspace, Object.assign(oauth2Credential({ accessToken }, EXPIRED), { expiryAssumed: true }));

    const result = await cli(workspace, ['token']);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${accessToken}\n`);
    expect(provider.refreshCount()).toBe(0);
  });

  it('fails with exit 4 when the API rejects an assumed-expiry token', async () => {
    await setUp();
    const { accessToken } = provider.issue();
    provider.revokeAccessToken(accessToken);
    await seedConnection(workspace, Object.assign(oauth2Credential({ accessToken }, EXPIRED), { expiryAssumed: true }));

    const result = await cli(workspace, ['request', '/v1/me']);

    expect(result.code).toBe(4);
    expect(result.stderr).toContain('was rejected by the API (HTTP 401)');
  });

  it('names the connection in the hint', async () => {
    await setUp();
    await seedConnection(workspace, oauth2Credential({ accessToken: provider.issue().accessToken }, EXPIRED), { name: 'work' });

    const result = await cli(workspace, ['token', '--connection', 'work']);

    expect(result.stderr).toContain('run connector connect --connection work again');
  });

  it('prints JSON without the refresh token', async () => {
    await setUp();
    const tokens = provider.issue();
    await seedConnection(workspace, oauth2Credential(tokens, FRESH));

    const result = await cli(workspace, ['token', '--json']);
    const parsed = JSON.parse(result.stdout) as Record<string, unknown>;

    expect(Object.keys(parsed).sort()).toEqual(['accessToken', 'expiresAt', 'scopes', 'tokenType']);
    expect(parsed.accessToken).toBe(tokens.accessToken);
    expect(parsed.scopes).toEqual(['files.read']);
    expect(result.stdout).not.toContain(tokens.refreshToken);
  });

  it('prints the Authorization header', async () => {
    await setUp();
    const tokens = provider.issue();
    await seedConnection(workspace, oauth2Credential(tokens, FRESH));

    const result = await cli(workspace, ['token', '--header']);

    expect(result.stdout).toBe(`Authorization: Bearer ${tokens.accessToken}\n`);
  });

  it('requests a new client credentials token instead of refreshing', async () => {
    await setUp();
    writeConnector(workspace, oauth2Connector(provider).replace('grantType: authorizationCode', 'grantType: clientCredentials'));
    await seedConnection(workspace, oauth2Credential({ accessToken: randomSecret('at-') }, EXPIRED), { grantType: 'clientCredentials' });

    const result = await cli(workspace, ['token']);

    expect(result.code).toBe(0);
    expect(provider.grantTypes()).toEqual(['client_credentials']);
    expect(result.stdout).toMatch(/^at-[0-9a-f]{24}\n$/);
  });

  it('recovers from a lock left by a killed process', async () => {
    await setUp();
    await seedConnection(workspace, oauth2Credential(provider.issue(), EXPIRED));
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const lockFolder = join(workspace.configDir, 'locks', LINK_NAME);
    mkdirSync(lockFolder, { recursive: true });
    writeFileSync(join(lockFolder, 'default.lock'), JSON.stringify({ pid: dead, hostname: hostname(), token: 'left-behind', acquiredAt: Date.now() }));

    const result = await cli(workspace, ['token']);

    expect(result.code).toBe(0);
    expect(provider.refreshCount()).toBe(1);
  });
});

describe('connector token for other auth types', () => {
  beforeEach(() => {
    workspace = workspaceIn(folder.path);
  });

  const basicConnector = `schemaVersion: 1
name: Zylker Files
linkName: ${LINK_NAME}
stage: ready
baseUrl: https://api.zylker.test
auth:
  type: basic
  username: { name: User name, key: username }
  password: { name: Password, key: password }
`;

  it('explains that Basic has no token, with exit 2', async () => {
    writeConnector(workspace, basicConnector);
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: randomSecret('pw-') });

    const result = await cli(workspace, ['token']);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Basic authentication, which has no access token');
    expect(result.stderr).toContain('connector request');
  });

  it('prints the Basic Authorization header', async () => {
    writeConnector(workspace, basicConnector);
    await seedConnection(workspace, { type: 'basic', username: 'zylker', password: 'open sesame' });

    const result = await cli(workspace, ['token', '--header']);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Authorization: Basic ${Buffer.from('zylker:open sesame').toString('base64')}\n`);
  });

  it('explains that an API key in a query has no header', async () => {
    writeConnector(
      workspace,
      `schemaVersion: 1
name: Zylker Files
linkName: ${LINK_NAME}
stage: ready
baseUrl: https://api.zylker.test
auth:
  type: apiKey
  location: query
  parameters:
    - { name: API key, key: api_key }
`,
    );
    await seedConnection(workspace, { type: 'apiKey', values: { api_key: randomSecret('key-') } });

    const result = await cli(workspace, ['token', '--header']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('connector request');
  });
});
