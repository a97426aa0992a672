import { spawn } from 'node:child_process';
import { once } from 'node:events';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { binary, temporaryFolder } from '../support/cli.js';
import {
  cli,
  oauth2Connector,
  oauth2Credential,
  randomSecret,
  seedConnection,
  startOAuth2Provider,
  startServer,
  workspaceIn,
  writeConnector,
  type OAuth2Provider,
  type Workspace,
} from './fixtures.js';

let folder: { path: string; remove: () => void };
let workspace: Workspace;
let provider: OAuth2Provider;

beforeEach(async () => {
  folder = temporaryFolder();
  const clientSecret = randomSecret('cs-');
  workspace = workspaceIn(folder.path, clientSecret);
  provider = await startOAuth2Provider({ clientSecret });
  writeConnector(workspace, oauth2Connector(provider));
});
afterEach(async () => {
  await provider.close();
  folder.remove();
});

describe('exit codes through the binary', () => {
  it('0 for success', async () => {
    await seedConnection(workspace, oauth2Credential(provider.issue(), 3_600_000));

    expect((await cli(workspace, ['request', '/v1/me'])).code).toBe(0);
  });

  it('1 for HTTP >= 400', async () => {
    await seedConnection(workspace, oauth2Credential(provider.issue(), 3_600_000));

    expect((await cli(workspace, ['request', '/v1/missing'])).code).toBe(1);
  });

  it('2 for an unknown flag', async () => {
    const result = await cli(workspace, ['token', '--no-such-flag']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--no-such-flag');
  });

  it('3 for a Draft connector', async () => {
    writeConnector(workspace, oauth2Connector(provider).replace('stage: ready', 'stage: draft'));

    const result = await cli(workspace, ['token']);

    expect(result.code).toBe(3);
    expect(result.stderr).toContain('connector ready');
  });

  it('4 for a missing connection', async () => {
    const result = await cli(workspace, ['token', '--json']);

    expect(result.code).toBe(4);
    expect(JSON.parse(result.stdout)).toEqual({ error: { message: expect.stringContaining('no connection named default'), hint: 'run connector connect', exitCode: 4 } });
  });

  it('130 for Ctrl-C during a request', async () => {
    const hanging = await startServer(() => {
      // Sends no response, so the request waits until it is interrupted.
    });
    writeConnector(workspace, oauth2Connector(provider).replace(/^baseUrl: .*$/m, `baseUrl: ${hanging.baseUrl}`));
    await seedConnection(workspace, { type: 'oauth2', accessToken: randomSecret('at-'), tokenType: 'Bearer' });

    const child = spawn(process.execPath, [binary, 'request', '/v1/slow'], {
      cwd: workspace.path,
      env: { PATH: process.env.PATH, HOME: workspace.path, ...workspace.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    while (hanging.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    await hanging.close();

    expect(code).toBe(130);
  });
});
