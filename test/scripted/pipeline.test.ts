import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, expect, it } from 'vitest';

import { binary, temporaryFolder, type CliResult } from '../support/cli.js';
import {
  oauth2Connector,
  oauth2Credential,
  randomSecret,
  seedConnection,
  startOAuth2Provider,
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

  // `connector` on the PATH, as an installed package puts it there.
  const bin = join(folder.path, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'connector'), `#!/bin/sh\nexec "${process.execPath}" "${binary}" "$@"\n`);
  chmodSync(join(bin, 'connector'), 0o755);
});
afterEach(async () => {
  await provider.close();
  folder.remove();
});

/** Runs a bash script in the workspace with `connector` on the PATH and `$API` set to the provider. */
function bash(script: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -euo pipefail\n${script}`], {
      cwd: workspace.path,
      env: {
        ...workspace.env,
        PATH: `${join(folder.path, 'bin')}:${process.env.PATH ?? ''}`,
        HOME: workspace.path,
        API: provider.baseUrl,
        NODE: process.execPath,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('passes $(connector token) to another HTTP client', async () => {
  await seedConnection(workspace, oauth2Credential(provider.issue(), -60_000));

  const result = await bash(`
token="$(connector token)"
"$NODE" -e '
  const [url, token] = process.argv.slice(1);
  fetch(url, { headers: { Authorization: "Bearer " + token } }).then(async (response) => {
    process.stdout.write(response.status + " " + (await response.json()).user);
  });
' "$API/api/v1/me" "$token"
`);

  expect(result.stdout).toBe('200 zylker_tester');
  expect(result.code).toBe(0);
  expect(provider.refreshCount()).toBe(1);
});

it('passes the --header line to another HTTP client', async () => {
  await seedConnection(workspace, oauth2Credential(provider.issue(), 3_600_000));

  const result = await bash(`
header="$(connector token --header)"
"$NODE" -e '
  const [url, line] = process.argv.slice(1);
  const separator = line.indexOf(": ");
  fetch(url, { headers: { [line.slice(0, separator)]: line.slice(separator + 2) } }).then((response) => process.stdout.write(String(response.status)));
' "$API/api/v1/me" "$header"
`);

  expect(result.stdout).toBe('200');
});

it('parses connector request --json in a pipe', async () => {
  await seedConnection(workspace, oauth2Credential(provider.issue(), 3_600_000));

  const result = await bash(`
connector request --json /v1/me | "$NODE" -e '
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
    const { status, headers, body } = JSON.parse(text);
    process.stdout.write([status, headers["content-type"], body.user].join(" "));
  });
'
`);

  expect(result.stdout).toBe('200 application/json zylker_tester');
  expect(result.code).toBe(0);
});

it('fails the pipeline on HTTP 404 under pipefail', async () => {
  await seedConnection(workspace, oauth2Credential(provider.issue(), 3_600_000));

  const result = await bash(`
if connector request /v1/missing | cat > body.json; then echo passed; else echo "failed with $?"; fi
cat body.json
`);

  expect(result.stdout).toBe('failed with 1\n{"error":"no such file"}');
});

it('tells a script to reconnect with exit 4', async () => {
  await seedConnection(workspace, oauth2Credential({ accessToken: randomSecret('at-') }, -60_000));

  const result = await bash(`
set +e
connector token > token.txt 2> /dev/null
status=$?
if [ "$status" -eq 4 ]; then echo "reconnect needed"; fi
wc -c < token.txt | tr -d ' '
`);

  expect(result.stdout).toBe('reconnect needed\n0\n');
});
