/** `connector connections` and `disconnect` run in this process, with metadata written directly and a store that can fail. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { OperationError } from '../../src/cli/errors.js';
import { temporaryFolder } from '../support/cli.js';
import { runInProcess } from '../support/in-process.js';
import { MemoryStore } from '../support/memory-store.js';

/** Fails every read of one account, as a locked or broken keychain entry would. */
class FailingStore extends MemoryStore {
  constructor(private readonly failingAccount: string) {
    super();
  }

  override async get(service: string, account: string): Promise<string | null> {
    if (account === this.failingAccount) throw new OperationError('the keychain did not answer within 10 s');
    return super.get(service, account);
  }
}

let folder: { path: string; remove: () => void };
beforeEach(() => {
  folder = temporaryFolder();
});
afterEach(() => folder.remove());

function writeMetadata(records: Array<Record<string, unknown>>): void {
  const configFolder = join(folder.path, '.connector-config');
  mkdirSync(configFolder, { recursive: true });
  const full = records.map((record) => ({ authType: 'apiKey', store: 'keychain', createdAt: '2025-01-31T09:30:00.000Z', updatedAt: '2025-01-31T09:30:00.000Z', ...record }));
  writeFileSync(join(configFolder, 'connections.json'), JSON.stringify({ version: 1, connections: full }));
}

const credential = JSON.stringify({ type: 'apiKey', values: { 'X-Api-Key': 'k' } });

describe('connections', () => {
  it('checks each credential and tolerates a failing store per row', async () => {
    writeMetadata([
      { connector: 'zylker_mail', name: 'default' },
      { connector: 'zylker_mail', name: 'damaged' },
      { connector: 'zylker_mail', name: 'locked' },
      { connector: 'zylker_mail', name: 'refused', authType: 'oauth2', grantType: 'authorizationCode', needsReconnect: true, expiresAt: '2025-01-31T10:30:00.000Z', scopes: ['files.read'] },
    ]);
    const store = new FailingStore('connection:locked');
    await store.set('connector:zylker_mail', 'connection:default', credential);
    await store.set('connector:zylker_mail', 'connection:damaged', '{not json');
    await store.set('connector:zylker_mail', 'connection:refused', credential);

    const result = await runInProcess(['connections', '--json'], { cwd: folder.path, overrides: { secretStore: async () => store } });
    const rows = JSON.parse(result.stdout) as Array<Record<string, unknown>>;

    expect(result.code).toBe(0);
    expect(rows.map((row) => [row.name, row.status])).toEqual([
      ['damaged', 'broken'],
      ['default', 'ok'],
      ['locked', 'unchecked'],
      ['refused', 'needsReconnect'],
    ]);
    expect(rows[0]?.problem).toBe('the stored credential of connection damaged (zylker_mail) is damaged');
    expect(rows[0]?.fix).toBe('connector connect --connection damaged --force');
    expect(rows[2]?.problem).toBe('the keychain did not answer within 10 s');
    expect(rows[3]).toMatchObject({ grantType: 'authorizationCode', expiresAt: '2025-01-31T10:30:00.000Z', scopes: ['files.read'], fix: 'connector connect --connection refused --force' });
  });

  it('prints a table with expired tokens marked', async () => {
    writeMetadata([{ connector: 'zylker_files', name: 'default', authType: 'oauth2', grantType: 'clientCredentials', expiresAt: '2025-01-31T10:30:00.000Z', scopes: ['files.read'] }]);
    const store = new MemoryStore();
    await store.set('connector:zylker_files', 'connection:default', credential);

    const result = await runInProcess(['connections'], { cwd: folder.path, overrides: { secretStore: async () => store, clock: { now: () => Date.parse('2025-02-01T00:00:00Z') } } });

    expect(result.stdout).toBe(
      'CONNECTOR     NAME     AUTH                        CREATED            EXPIRES                      SCOPES      STORE     STATUS\n' +
        'zylker_files  default  oauth2 (clientCredentials)  2025-01-31 09:30Z  2025-01-31 10:30Z (expired)  files.read  keychain  ok\n',
    );
  });

  it('says there are none without opening the store', async () => {
    const result = await runInProcess(['connections'], {
      cwd: folder.path,
      overrides: {
        secretStore: async () => {
          throw new Error('the store must not be opened');
        },
      },
    });

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('No connections yet. Create one with connector connect.');
  });

  it('prints [] with --json when there are none', async () => {
    const result = await runInProcess(['connections', '--json'], { cwd: folder.path });

    expect(result.stdout).toBe('[]\n');
  });
});

describe('disconnect guards', () => {
  it('rejects --connector that differs from the connector file', async () => {
    writeFileSync(
      join(folder.path, 'connector.yaml'),
      'schemaVersion: 1\nname: Zylker Mail\nlinkName: zylker_mail\nstage: ready\nauth:\n  type: apiKey\n  location: header\n  parameters:\n    - { name: API key, key: X-Api-Key }\n',
    );

    const result = await runInProcess(['disconnect', '-f', 'connector.yaml', '--connector', 'zylker_files'], { cwd: folder.path, overrides: { secretStore: async () => new MemoryStore() } });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--connector zylker_files does not match connector.yaml, whose link name is zylker_mail');
  });

  it('needs --force for an OAuth connection whose connector file is gone', async () => {
    writeMetadata([{ connector: 'zylker_files', name: 'default', authType: 'oauth2', connectorFile: join(folder.path, 'gone.yaml') }]);
    const store = new MemoryStore();
    await store.set('connector:zylker_files', 'connection:default', JSON.stringify({ type: 'oauth2', accessToken: 'a', tokenType: 'Bearer' }));

    const refused = await runInProcess(['disconnect', '--connector', 'zylker_files'], { cwd: folder.path, overrides: { secretStore: async () => store } });
    const forced = await runInProcess(['disconnect', '--connector', 'zylker_files', '--force'], { cwd: folder.path, overrides: { secretStore: async () => store } });

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`cannot revoke connection default of zylker_files: its connector file ${join(folder.path, 'gone.yaml')} cannot be read, so nothing was deleted`);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('forgetting it without revoking, because of --force');
    expect(store.entries.size).toBe(0);
  });
});
