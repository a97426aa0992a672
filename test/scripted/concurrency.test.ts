import { afterEach, beforeEach, expect, it } from 'vitest';

import { temporaryFolder } from '../support/cli.js';
import {
  cli,
  oauth2Connector,
  oauth2Credential,
  randomSecret,
  seedConnection,
  startOAuth2Provider,
  storedOAuth2Credential,
  workspaceIn,
  writeConnector,
  type OAuth2Provider,
  type Workspace,
} from './fixtures.js';

const PROCESSES = 20;

let folder: { path: string; remove: () => void };
let workspace: Workspace;
let provider: OAuth2Provider;

beforeEach(async () => {
  folder = temporaryFolder();
  const clientSecret = randomSecret('cs-');
  workspace = workspaceIn(folder.path, clientSecret);
  // The provider rotates refresh tokens and revokes the whole grant when one is replayed, so
  // a second refresh request would fail loudly rather than pass unnoticed.
  provider = await startOAuth2Provider({ clientSecret, rotate: true });
  writeConnector(workspace, oauth2Connector(provider));
});
afterEach(async () => {
  await provider.close();
  folder.remove();
});

it(`${PROCESSES} concurrent token processes refresh once`, { timeout: 90_000 }, async () => {
  const tokens = provider.issue();
  await seedConnection(workspace, oauth2Credential(tokens, -60_000));

  const results = await Promise.all(Array.from({ length: PROCESSES }, () => cli(workspace, ['token'])));
  const printed = new Set(results.map((result) => result.stdout));
  const stored = await storedOAuth2Credential(workspace);

  expect(results.map((result) => result.code)).toEqual(Array.from({ length: PROCESSES }, () => 0));
  expect(provider.refreshCount()).toBe(1);
  expect(printed.size).toBe(1);
  expect([...printed][0]).not.toBe(`${tokens.accessToken}\n`);
  expect(`${stored.accessToken}\n`).toBe([...printed][0]);
});

it(`${PROCESSES} concurrent token processes send one rejected refresh`, { timeout: 90_000 }, async () => {
  const tokens = provider.issue();
  await seedConnection(workspace, oauth2Credential(tokens, -60_000));
  // Spend the refresh token, then store it again, so the stored one is a replay.
  await cli(workspace, ['token']);
  await seedConnection(workspace, oauth2Credential(tokens, -60_000));
  const refreshesBefore = provider.refreshCount();

  const results = await Promise.all(Array.from({ length: PROCESSES }, () => cli(workspace, ['token'])));

  expect(results.map((result) => result.code)).toEqual(Array.from({ length: PROCESSES }, () => 4));
  expect(provider.refreshCount() - refreshesBefore).toBe(1);
  expect(results.every((result) => result.stderr.includes('run connector connect again'))).toBe(true);
});
