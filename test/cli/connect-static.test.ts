/**
 * `connector connect` for Basic and API key connectors through the built CLI: values from
 * --param, --param-stdin and CONNECTOR_PARAM_* variables, connection parameters, and the
 * opt-in file store, which lets the tests read what was stored.
 */
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { runCli, temporaryFolder } from '../support/cli.js';
import { readFileStore } from './connect-support.js';

let folder: { path: string; remove: () => void };
beforeEach(() => {
  folder = temporaryFolder();
});
afterEach(() => folder.remove());

const cli = (args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) => runCli(args, { cwd: folder.path, ...options });
const configFile = (name: string) => join(folder.path, '.connector-config', name);

const BASIC = `schemaVersion: 1
name: Zylker Desk
linkName: zylker_desk
stage: ready
baseUrl: https://{subdomain}.zylker.test/api
connectionParameters:
  - { name: Subdomain, key: subdomain }
  - { name: Region, key: region, default: eu }
auth:
  type: basic
  username: { name: User name, key: username }
  password: { name: Password, key: password }
`;

const API_KEY = `schemaVersion: 1
name: Zylker Mail
linkName: zylker_mail
stage: ready
auth:
  type: apiKey
  location: header
  parameters:
    - { name: API key, key: X-Api-Key }
    - { name: Access token, key: Authorization, prefix: "Bearer " }
`;

function writeConnector(text: string): void {
  writeFileSync(join(folder.path, 'connector.yaml'), text);
}

function storedCredential(linkName: string, connection = 'default'): Record<string, unknown> {
  const value = readFileStore(folder.path)[`connector:${linkName}`]?.[`connection:${connection}`];
  return JSON.parse(value ?? 'null') as Record<string, unknown>;
}

function metadata(): Array<Record<string, unknown>> {
  return (JSON.parse(readFileSync(configFile('connections.json'), 'utf8')) as { connections: Array<Record<string, unknown>> }).connections;
}

describe('connect with Basic', () => {
  it('takes values from --param and --param-stdin', async () => {
    writeConnector(BASIC);

    const result = await cli(
      ['connect', '--no-input', '--insecure-storage', '--json', '--param', 'subdomain=acme', '--param', 'username=alice', '--param-stdin', 'password'],
      { stdin: 'pa55 word=with symbols\n' },
    );

    expect(result.stderr).toContain('Secrets are stored in plain text');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      connection: 'default',
      connector: 'zylker_desk',
      authType: 'basic',
      grantType: null,
      store: 'file',
      scopes: [],
      missingScopes: [],
      expiresAt: null,
    });
    expect(storedCredential('zylker_desk')).toEqual({ type: 'basic', username: 'alice', password: 'pa55 word=with symbols' });
  });

  it('stores connection parameters, with defaults, in the metadata only', async () => {
    writeConnector(BASIC);

    const result = await cli(['connect', '--no-input', '--insecure-storage', '--param', 'subdomain=acme', '--param', 'username=alice', '--param', 'password=secret-1'], {});

    expect(result.code).toBe(0);
    expect(metadata()[0]).toMatchObject({ connector: 'zylker_desk', name: 'default', authType: 'basic', store: 'file', parameters: { subdomain: 'acme', region: 'eu' } });
    expect(readFileSync(configFile('connections.json'), 'utf8')).not.toContain('secret-1');
  });

  it('takes values from CONNECTOR_PARAM_ variables', async () => {
    writeConnector(BASIC);

    const result = await cli(['connect', '--no-input', '--insecure-storage'], {
      env: { CONNECTOR_PARAM_SUBDOMAIN: 'acme', CONNECTOR_PARAM_REGION: 'us', CONNECTOR_PARAM_USERNAME: 'bob', CONNECTOR_PARAM_PASSWORD: 'from-env' },
    });

    expect(result.code).toBe(0);
    expect(storedCredential('zylker_desk')).toEqual({ type: 'basic', username: 'bob', password: 'from-env' });
    expect(metadata()[0]?.parameters).toEqual({ subdomain: 'acme', region: 'us' });
  });

  it('prefers --param over stdin over the environment', async () => {
    writeConnector(BASIC);

    const result = await cli(['connect', '--no-input', '--insecure-storage', '--param', 'username=flag-user', '--param-stdin', 'password'], {
      stdin: 'stdin-password',
      env: { CONNECTOR_PARAM_SUBDOMAIN: 'acme', CONNECTOR_PARAM_USERNAME: 'env-user', CONNECTOR_PARAM_PASSWORD: 'env-password' },
    });

    expect(result.code).toBe(0);
    expect(storedCredential('zylker_desk')).toEqual({ type: 'basic', username: 'flag-user', password: 'stdin-password' });
  });

  it('names every missing flag and variable under --no-input', async () => {
    writeConnector(BASIC);

    const result = await cli(['connect', '--no-input', '--insecure-storage', '--param', 'username=alice']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Subdomain (subdomain): pass --param subdomain=VALUE, or set CONNECTOR_PARAM_SUBDOMAIN');
    expect(result.stderr).toContain('Password (password): pipe it in with --param-stdin password, pass --param password=VALUE, or set CONNECTOR_PARAM_PASSWORD');
    expect(result.stderr).not.toContain('Region');
    expect(existsSync(configFile('connections.json'))).toBe(false);
  });

  it('rejects a --param key the connector does not ask for', async () => {
    writeConnector(BASIC);

    const result = await cli(['connect', '--no-input', '--insecure-storage', '--param', 'pasword=typo']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no parameter "pasword"');
    expect(result.stderr).toContain('subdomain, region, username, password');
  });

  it('rejects a parameter value that breaks a URL', async () => {
    writeConnector(BASIC);

    const result = await cli(['connect', '--no-input', '--insecure-storage', '--param', 'subdomain=a b', '--param', 'username=u', '--param', 'password=p']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('baseUrl is not a valid URL');
    expect(result.stderr).toContain('check the values of Subdomain, Region');
  });

  it('rejects --param-stdin with an empty stdin', async () => {
    writeConnector(BASIC);

    const result = await cli(['connect', '--no-input', '--insecure-storage', '--param', 'subdomain=acme', '--param', 'username=u', '--param-stdin', 'password'], { stdin: '' });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('stdin was empty');
  });

  it('keeps the file store private', async () => {
    writeConnector(BASIC);

    await cli(['connect', '--no-input', '--insecure-storage', '--param', 'subdomain=acme', '--param', 'username=u', '--param', 'password=p']);

    expect(statSync(configFile('secrets.json')).mode & 0o777).toBe(0o600);
    expect(statSync(configFile('connections.json')).mode & 0o777).toBe(0o600);
  });
});

describe('connect with API keys', () => {
  it('stores every key by its name', async () => {
    writeConnector(API_KEY);

    const result = await cli(['connect', '--no-input', '--insecure-storage', '--param-stdin', 'X-Api-Key'], {
      stdin: 'key-from-stdin\n',
      env: { CONNECTOR_PARAM_AUTHORIZATION: 'token-from-env' },
    });

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Created connection default of zylker_mail, stored in the plain file store.');
    expect(storedCredential('zylker_mail')).toEqual({ type: 'apiKey', values: { 'X-Api-Key': 'key-from-stdin', Authorization: 'token-from-env' } });
  });

  it('names CONNECTOR_PARAM_X_API_KEY for a key with dashes', async () => {
    writeConnector(API_KEY);

    const result = await cli(['connect', '--no-input', '--insecure-storage']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('or set CONNECTOR_PARAM_X_API_KEY');
    expect(result.stderr).toContain('or set CONNECTOR_PARAM_AUTHORIZATION');
  });
});

describe('connect guards', () => {
  it('refuses a Draft connector with exit 3', async () => {
    writeConnector(API_KEY.replace('stage: ready', 'stage: draft'));

    const result = await cli(['connect', '--no-input', '--insecure-storage', '--param', 'X-Api-Key=k', '--param', 'Authorization=t']);

    expect(result.code).toBe(3);
    expect(result.stderr).toContain('run connector ready first');
    expect(existsSync(configFile('connections.json'))).toBe(false);
  });

  it('needs --force to replace a connection under --no-input', async () => {
    writeConnector(API_KEY);
    const args = ['connect', '--no-input', '--insecure-storage', '--param', 'Authorization=t'];
    await cli([...args, '--param', 'X-Api-Key=first']);

    const refused = await cli([...args, '--param', 'X-Api-Key=second']);
    const forced = await cli([...args, '--param', 'X-Api-Key=third', '--force']);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already has a connection named default');
    expect(refused.stderr).toContain('--force');
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('Replaced connection default');
    expect(storedCredential('zylker_mail')).toEqual({ type: 'apiKey', values: { 'X-Api-Key': 'third', Authorization: 't' } });
  });

  it('keeps several connections per connector', async () => {
    writeConnector(API_KEY);
    const args = ['connect', '--no-input', '--insecure-storage', '--param', 'Authorization=t'];

    await cli([...args, '--param', 'X-Api-Key=one']);
    const second = await cli([...args, '--param', 'X-Api-Key=two', '--connection', 'work']);
    const list = await cli(['connections', '--json', '--insecure-storage']);

    expect(second.code).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((row) => row.name)).toEqual(['default', 'work']);
    expect(storedCredential('zylker_mail', 'work')).toMatchObject({ values: { 'X-Api-Key': 'two' } });
  });

  it('rejects an invalid connection name', async () => {
    writeConnector(API_KEY);

    const result = await cli(['connect', '--no-input', '--insecure-storage', '--connection', 'has space']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid connection name "has space"');
  });

  it('rejects two uses of stdin', async () => {
    writeConnector(API_KEY);

    const result = await cli(['connect', '--no-input', '--insecure-storage', '--paste', '--param-stdin', 'X-Api-Key']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--param-stdin and --paste both read stdin');
  });
});

describe('connections and disconnect for API keys', () => {
  it('lists, reports a missing credential as broken, and disconnects', async () => {
    writeConnector(API_KEY);
    await cli(['connect', '--no-input', '--insecure-storage', '--param', 'X-Api-Key=k', '--param', 'Authorization=t']);
    await cli(['connect', '--no-input', '--insecure-storage', '--param', 'X-Api-Key=k', '--param', 'Authorization=t', '--connection', 'lost']);

    // Remove one credential behind the tool's back, as a user clearing the store would.
    const path = configFile('secrets.json');
    const store = JSON.parse(readFileSync(path, 'utf8')) as { services: Record<string, Record<string, string>> };
    delete store.services['connector:zylker_mail']?.['connection:lost'];
    writeFileSync(path, JSON.stringify(store), { mode: 0o600 });

    const table = await cli(['connections', '--insecure-storage']);
    const json = await cli(['connections', '--insecure-storage', '--json']);
    const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>;

    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^CONNECTOR\s+NAME\s+AUTH\s+CREATED\s+EXPIRES\s+SCOPES\s+STORE\s+STATUS$/m);
    expect(table.stdout).toMatch(/^zylker_mail\s+lost\s+apiKey\s+.*\s+file\s+broken$/m);
    expect(table.stderr).toContain('zylker_mail/lost: the credential is missing from the plain file store; fix: connector connect -f');
    expect(rows.map((row) => [row.name, row.status])).toEqual([
      ['default', 'ok'],
      ['lost', 'broken'],
    ]);
    expect(rows[1]?.fix).toBe(`connector connect -f ${join(folder.path, 'connector.yaml')} --connection lost --force --insecure-storage`);

    const disconnected = await cli(['disconnect', '--insecure-storage', '--json']);
    const broken = await cli(['disconnect', 'lost', '--insecure-storage']);
    const after = await cli(['connections', '--insecure-storage', '--json']);

    expect(JSON.parse(disconnected.stdout)).toEqual({ connection: 'default', connector: 'zylker_mail', revoked: false, deleted: true });
    expect(broken.code).toBe(0);
    expect(JSON.parse(after.stdout)).toEqual([]);
    expect(readFileStore(folder.path)['connector:zylker_mail']).toBeUndefined();
  });

  it('reports a connection in the file store as unchecked without --insecure-storage', async () => {
    writeConnector(API_KEY);
    await cli(['connect', '--no-input', '--insecure-storage', '--param', 'X-Api-Key=k', '--param', 'Authorization=t']);

    const list = await cli(['connections', '--json']);

    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ status: 'unchecked', problem: expect.stringContaining('run with --insecure-storage') }]);
  });

  it('filters by --connector', async () => {
    writeConnector(API_KEY);
    await cli(['connect', '--no-input', '--insecure-storage', '--param', 'X-Api-Key=k', '--param', 'Authorization=t']);

    const other = await cli(['connections', '--insecure-storage', '--connector', 'zylker_other', '--json']);
    const mine = await cli(['connections', '--insecure-storage', '--connector', 'zylker_mail', '--json']);

    expect(JSON.parse(other.stdout)).toEqual([]);
    expect(JSON.parse(mine.stdout)).toHaveLength(1);
  });

  it('disconnects by --connector without a connector file', async () => {
    writeConnector(API_KEY);
    await cli(['connect', '--no-input', '--insecure-storage', '--param', 'X-Api-Key=k', '--param', 'Authorization=t']);
    writeFileSync(join(folder.path, 'connector.yaml'), '');

    const result = await cli(['disconnect', '--connector', 'zylker_mail', '--insecure-storage', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ connector: 'zylker_mail', deleted: true });
  });

  it('fails for an unknown connection', async () => {
    writeConnector(API_KEY);

    const result = await cli(['disconnect', 'nothing', '--insecure-storage']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('zylker_mail has no connection named nothing');
  });
});
