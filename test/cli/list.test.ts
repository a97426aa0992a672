import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { ConnectorSummary } from '../../src/commands/list.js';
import { ConnectionMetadata } from '../../src/store/metadata.js';
import { runCli, temporaryFolder } from '../support/cli.js';
import { writeFixtureRepository, type FixtureRepository } from '../support/fixture-repository.js';

let folder: { path: string; remove: () => void };
let repository: FixtureRepository;
beforeEach(() => {
  folder = temporaryFolder();
  repository = writeFixtureRepository(join(folder.path, 'repo'));
});
afterEach(() => folder.remove());

/** runCli sets CONNECTOR_CONFIG_DIR to this folder below the working folder. */
const configFolder = () => join(repository.root, '.connector-config');
const cli = (args: string[], cwd = repository.root) => runCli(args, { cwd, env: { CONNECTOR_CONFIG_DIR: configFolder() } });

async function listJson(args: string[] = [], cwd?: string): Promise<ConnectorSummary[]> {
  const result = await cli(['list', '--json', ...args], cwd);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ConnectorSummary[];
}

describe('list --json', () => {
  it('reports every connector file once, sorted by path', async () => {
    const rows = await listJson();
    expect(repository.connectors.length).toBeGreaterThanOrEqual(50);
    expect(rows.map((row) => row.path)).toEqual(repository.connectors.map((connector) => connector.path).sort());
  });

  it('gives each row exactly the documented fields', async () => {
    const rows = await listJson();
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['authType', 'connections', 'errors', 'grantType', 'linkName', 'name', 'path', 'stage', 'valid']);
    }
  });

  it('reads name, link name, stage, auth type and grant type of valid files', async () => {
    const rows = new Map((await listJson()).map((row) => [row.path, row]));
    for (const connector of repository.valid) {
      expect(rows.get(connector.path)).toEqual({
        name: connector.name,
        linkName: connector.linkName,
        stage: connector.stage,
        authType: connector.authType,
        grantType: connector.grantType,
        connections: 0,
        path: connector.path,
        valid: true,
        errors: 0,
      });
    }
  });

  it('covers all four auth types, every grant and both stages', async () => {
    const rows = (await listJson()).filter((row) => row.valid);
    expect(new Set(rows.map((row) => row.authType))).toEqual(new Set(['basic', 'apiKey', 'oauth1', 'oauth2']));
    expect(new Set(rows.map((row) => row.grantType))).toEqual(new Set([null, 'authorizationCode', 'clientCredentials', 'deviceCode']));
    expect(new Set(rows.map((row) => row.stage))).toEqual(new Set(['draft', 'ready']));
  });

  it('marks broken files invalid instead of failing', async () => {
    const rows = new Map((await listJson()).map((row) => [row.path, row]));
    expect(repository.invalid.length).toBe(4);
    for (const connector of repository.invalid) {
      const row = rows.get(connector.path);
      expect(row?.valid, connector.path).toBe(false);
      expect(row?.errors, connector.path).toBe(1);
      expect(row?.linkName, connector.path).toBe(connector.linkName);
      expect(row?.authType, connector.path).toBe(connector.authType);
    }
  });

  it('shows nulls for a file whose YAML cannot be parsed', async () => {
    const broken = repository.invalid.find((connector) => connector.path.includes('broken_yaml'))!;
    const row = (await listJson()).find((candidate) => candidate.path === broken.path);
    expect(row).toMatchObject({ name: null, linkName: null, stage: null, authType: null, grantType: null, valid: false });
  });

  it('counts a duplicate link name as an error of the later file', async () => {
    const rows = await listJson();
    const first = rows.find((row) => row.path === 'connectors/basic_001/connector.yaml');
    const copy = rows.find((row) => row.path.includes('/copy_'));
    expect(first?.valid).toBe(true);
    expect(copy?.linkName).toBe('basic_001');
    expect(copy?.valid).toBe(false);
  });

  it('skips node_modules and dot-folders', async () => {
    const rows = await listJson();
    expect(rows.some((row) => row.path.includes('node_modules'))).toBe(false);
    expect(rows.some((row) => row.path.includes('/.') || row.path.startsWith('.'))).toBe(false);
    expect(rows.some((row) => row.linkName === 'skipped')).toBe(false);
  });

  it('counts stored connections per link name', async () => {
    const metadata = new ConnectionMetadata({ folder: configFolder(), clock: { now: () => Date.parse('2025-01-01T00:00:00Z') } });
    await metadata.upsert({ connector: 'oauth2_004', name: 'work', authType: 'oauth2', grantType: 'authorizationCode', store: 'keychain' });
    await metadata.upsert({ connector: 'oauth2_004', name: 'personal', authType: 'oauth2', grantType: 'authorizationCode', store: 'file' });
    await metadata.upsert({ connector: 'basic_005', name: 'default', authType: 'basic', store: 'keychain' });
    await metadata.upsert({ connector: 'not_in_this_repository', name: 'other', authType: 'basic', store: 'keychain' });

    const rows = new Map((await listJson()).map((row) => [row.linkName, row.connections]));
    expect(rows.get('oauth2_004')).toBe(2);
    expect(rows.get('basic_005')).toBe(1);
    expect(rows.get('apikey_002')).toBe(0);
  });

  it('warns and shows null counts when the connection list is corrupt', async () => {
    mkdirSync(configFolder(), { recursive: true });
    writeFileSync(join(configFolder(), 'connections.json'), '{ not json');
    const result = await cli(['list', '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('warning: connection counts are not shown');
    const rows = JSON.parse(result.stdout) as ConnectorSummary[];
    expect(rows.every((row) => row.connections === null)).toBe(true);
  });

  it('takes a folder argument and labels paths with it', async () => {
    const rows = await listJson(['repo/connectors'], folder.path);
    expect(rows.length).toBe(repository.connectors.length);
    expect(rows[0]?.path).toMatch(/^repo\/connectors\/[a-z0-9_]+\/connector\.yaml$/);
  });

  it('prints an empty array for a folder without connectors', async () => {
    mkdirSync(join(folder.path, 'empty'));
    expect(await listJson(['empty'], folder.path)).toEqual([]);
  });
});

describe('list', () => {
  it('prints a table with a header and one row per file', async () => {
    const result = await cli(['list']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+LINK NAME\s+STAGE\s+AUTH\s+GRANT\s+CONNECTIONS\s+PATH$/);
    expect(lines.length).toBe(repository.connectors.length + 1);
  });

  it('shows each field of a row in its column', async () => {
    const result = await cli(['list']);
    const row = result.stdout.split('\n').find((line) => line.includes('connectors/oauth2_012/connector.yaml'));
    expect(row?.split(/\s{2,}/)).toEqual(['OAuth2 012', 'oauth2_012', 'draft', 'oauth2', 'deviceCode', '0', 'connectors/oauth2_012/connector.yaml']);
  });

  it('marks invalid rows and sums them up on stderr', async () => {
    const result = await cli(['list']);
    const broken = result.stdout.split('\n').find((line) => line.includes('connectors/unknown_auth_'));
    expect(broken).toMatch(/\(invalid: 1 error\)$/);
    expect(result.stderr).toContain(`${repository.connectors.length} connectors, 4 invalid; run connector validate . to see the problems.`);
  });

  it('shows a dash for a field the file lacks', async () => {
    const result = await cli(['list']);
    const row = result.stdout.split('\n').find((line) => line.includes('connectors/basic_001/connector.yaml'));
    expect(row?.split(/\s{2,}/)[4]).toBe('-');
  });

  it('says so when there are no connector files', async () => {
    mkdirSync(join(folder.path, 'empty'));
    const result = await cli(['list', 'empty'], folder.path);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('No connector files (connector.yaml) below empty.');
  });

  it('exits 2 for a folder that does not exist', async () => {
    const result = await cli(['list', 'nowhere']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('folder not found: nowhere');
  });

  it('exits 2 for a file given as the folder', async () => {
    const result = await cli(['list', repository.connectors[0]!.path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is a file, not a folder');
  });
});
