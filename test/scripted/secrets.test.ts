/**
 * The secret scan: with known secret values, every command runs (also failing ones, and with
 * --verbose), and no secret may appear in stdout, stderr, or any file the tool wrote except
 * the secret store itself. The one exception is the stdout of `connector token`, whose job is
 * to print the access token; it is checked for every other secret.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, expect, it } from 'vitest';

import type { CliResult } from '../support/cli.js';
import { temporaryFolder } from '../support/cli.js';
import {
  CLIENT_SECRET_VARIABLE,
  cli,
  connectOAuth1,
  filesUnder,
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
  type Workspace,
} from './fixtures.js';

let folder: { path: string; remove: () => void };
const servers: Array<{ close(): Promise<void> }> = [];

beforeEach(() => {
  folder = temporaryFolder();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  folder.remove();
});

interface Run {
  args: string[];
  result: CliResult;
}

async function runAll(workspace: Workspace, commands: string[][]): Promise<Run[]> {
  const runs: Run[] = [];
  for (const args of commands) runs.push({ args, result: await cli(workspace, args) });
  return runs;
}

/** Fails with the command and stream that leaked, and never prints the secret itself. */
function expectNoSecrets(workspace: Workspace, runs: Run[], secrets: string[], tokenOutputs: Set<string> = new Set()): void {
  const leaks: string[] = [];
  for (const { args, result } of runs) {
    for (const [stream, text] of [['stdout', result.stdout], ['stderr', result.stderr]] as const) {
      for (const [index, secret] of secrets.entries()) {
        const printedOnPurpose = stream === 'stdout' && args[0] === 'token' && tokenOutputs.has(secret);
        if (text.includes(secret) && !printedOnPurpose) leaks.push(`secret #${index} in the ${stream} of connector ${args.join(' ')}`);
      }
    }
  }

  const secretStore = join(workspace.configDir, 'secrets.json');
  for (const file of filesUnder(workspace.path)) {
    if (file.path === secretStore) continue;
    for (const [index, secret] of secrets.entries()) {
      if (file.text.includes(secret)) leaks.push(`secret #${index} in ${file.path}`);
    }
  }
  expect(leaks).toEqual([]);
}

/** `connector ARGS -> CODE` for each run, so a test can check that its failures happened. */
function exitCodes(runs: Run[]): string[] {
  return runs.map(({ args, result }) => `${args.join(' ')} -> ${result.code}`);
}

it('OAuth 2.0 secrets stay out of output and files', { timeout: 120_000 }, async () => {
  const clientSecret = randomSecret('cs-');
  const workspace = workspaceIn(folder.path, clientSecret);
  const provider = await startOAuth2Provider({ clientSecret });
  servers.push(provider);
  const foreign = await startServer((_request, response) => sendJson(response, 200, {}));
  servers.push(foreign);
  writeConnector(workspace, oauth2Connector(provider));

  const first = provider.issue();
  await seedConnection(workspace, oauth2Credential(first, -60_000));
  const runs = await runAll(workspace, [
    ['token', '--verbose'],
    ['token', '--json', '--verbose'],
    ['token', '--header', '--verbose'],
    ['request', '--verbose', '-i', '/v1/me'],
    ['request', '--verbose', '--json', '-d', 'name=report', '/v1/me'],
    ['request', '--verbose', '/v1/missing'],
    ['request', '--verbose', `${foreign.baseUrl}/steal`],
    ['check', '--verbose'],
    ['check', '--json', '--verbose'],
    ['validate', '--verbose'],
    ['get', 'auth', '--verbose'],
    ['scopes', 'list', '--json'],
    ['completion', 'bash'],
  ]);

  // A 401 and a retry with a renewed token, traced.
  provider.rejectEveryToken();
  runs.push(...(await runAll(workspace, [['request', '--verbose', '/v1/me'], ['check', '--verbose']])));

  // A replayed refresh token: invalid_grant.
  await seedConnection(workspace, oauth2Credential(first, -60_000));
  runs.push(...(await runAll(workspace, [['token', '--verbose'], ['token', '--json', '--verbose'], ['request', '--verbose', '/v1/me']])));

  // The client secret missing from the environment.
  await seedConnection(workspace, oauth2Credential(provider.issue(), -60_000));
  runs.push({ args: ['token', '--verbose'], result: await cli(workspace, ['token', '--verbose'], { env: { [CLIENT_SECRET_VARIABLE]: '' } }) });

  const tokens = provider.issuedTokens();
  const accessTokens = new Set(tokens.filter((token) => token.startsWith('at-')));
  const codes = exitCodes(runs);
  for (const expected of ['token --verbose -> 4', 'token --verbose -> 2', 'check --verbose -> 4', 'request --verbose /v1/missing -> 1', `request --verbose ${foreign.baseUrl}/steal -> 2`]) {
    expect(codes).toContain(expected);
  }
  expectNoSecrets(workspace, runs, [clientSecret, ...tokens], accessTokens);
  expect(runs.some(({ result }) => result.stderr.includes('refresh_token=[redacted]'))).toBe(true);
  expect(runs.some(({ result }) => result.stderr.includes('authorization: Bearer [redacted]'))).toBe(true);
});

it('Basic and API key secrets stay out of output and files', { timeout: 60_000 }, async () => {
  const api = await startServer((request, response) => {
    const status = request.path.includes('missing') ? 404 : 200;
    sendJson(response, status, { path: new URL(request.path, 'http://x').pathname }, { 'Set-Cookie': 'session=s3cr3t-cookie-value; HttpOnly' });
  });
  servers.push(api);
  const password = randomSecret('pw-');
  const apiKey = randomSecret('key-');
  mkdirSync(join(folder.path, 'basic'));
  mkdirSync(join(folder.path, 'keys'));
  const basicWorkspace = workspaceIn(join(folder.path, 'basic'));
  const keyWorkspace = workspaceIn(join(folder.path, 'keys'));

  const header = (auth: string) => `schemaVersion: 1
name: Zylker Files
linkName: ${LINK_NAME}
stage: ready
baseUrl: ${api.baseUrl}
auth:
${auth}
test:
  method: GET
  url: /status
`;
  writeConnector(basicWorkspace, header('  type: basic\n  username: { name: User name, key: username }\n  password: { name: Password, key: password }'));
  // A query parameter name that the trace cannot recognize as a credential by its name.
  writeConnector(keyWorkspace, header('  type: apiKey\n  location: query\n  parameters:\n    - { name: Zylker id, key: zid }'));
  await seedConnection(basicWorkspace, { type: 'basic', username: 'zylker', password });
  await seedConnection(keyWorkspace, { type: 'apiKey', values: { zid: apiKey } });

  const commands = [
    ['token', '--verbose'],
    ['token', '--header', '--verbose'],
    ['request', '--verbose', '-i', '/v1/files?page=1'],
    ['request', '--verbose', '--json', '/v1/missing'],
    ['check', '--verbose'],
    ['check', '--json', '--verbose'],
  ];
  const basicRuns = await runAll(basicWorkspace, commands);
  const keyRuns = await runAll(keyWorkspace, commands);

  const basicHeader = Buffer.from(`zylker:${password}`).toString('base64');
  expectNoSecrets(basicWorkspace, basicRuns, [password, basicHeader], new Set([basicHeader]));
  expectNoSecrets(keyWorkspace, keyRuns, [apiKey]);
  expect(keyRuns.some(({ result }) => result.stderr.includes('zid=[redacted]'))).toBe(true);
  expect(keyRuns.some(({ result }) => result.stderr.includes('< set-cookie: session=[redacted]; HttpOnly'))).toBe(true);
});

it('OAuth 1.0a secrets stay out of output and files', { timeout: 60_000 }, async () => {
  const workspace = workspaceIn(folder.path);
  const { provider, token, tokenSecret } = await connectOAuth1(workspace);
  servers.push(provider);

  const runs = await runAll(workspace, [
    ['token', '--verbose'],
    ['token', '--header', '--verbose'],
    ['request', '--verbose', '-d', 'status=hello', '/1/account?q=1'],
    ['request', '--verbose', '--json', '/1/missing'],
    ['check', '--verbose'],
  ]);

  expect(exitCodes(runs)).toEqual(expect.arrayContaining(['token --verbose -> 2', 'check --verbose -> 0']));
  expectNoSecrets(workspace, runs, [provider.consumer.secret, tokenSecret, token]);
  expect(runs.some(({ result }) => result.stderr.includes('authorization: OAuth [redacted]'))).toBe(true);
});
