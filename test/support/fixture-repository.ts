import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A repository of many connectors, written from literals: the four auth types in turn, every
 * OAuth 2.0 grant, some Ready, and a few broken files whose problems sit at known positions.
 * Host names use the reserved `.test` domain and are never contacted.
 */

export type AuthType = 'basic' | 'apiKey' | 'oauth1' | 'oauth2';
export type GrantType = 'authorizationCode' | 'clientCredentials' | 'deviceCode';

/** What `connector list` and `connector validate` are expected to report for one file. */
export interface FixtureConnector {
  /** The file's path below the repository root, such as `connectors/basic_01/connector.yaml`. */
  path: string;
  name: string | null;
  linkName: string | null;
  stage: 'draft' | 'ready' | null;
  /** As written, so a broken file may carry a type the schema rejects. */
  authType: string | null;
  grantType: GrantType | null;
  /** The first problem validate reports, or undefined for a valid file. */
  problem?: { line: number; column: number; message: string };
}

export interface FixtureRepository {
  root: string;
  connectors: FixtureConnector[];
  valid: FixtureConnector[];
  invalid: FixtureConnector[];
}

const AUTH_TYPES: AuthType[] = ['basic', 'apiKey', 'oauth1', 'oauth2'];
const GRANT_TYPES: GrantType[] = ['authorizationCode', 'clientCredentials', 'deviceCode'];

/**
 * Writes `count` connectors (at least 8) below `root`/connectors, makes `root` a repository
 * with an empty `.git` folder, and adds files the search must skip (under `node_modules` and a
 * dot-folder). The last four connectors are broken: a YAML syntax error, a URL without a
 * scheme, a link name the first connector already uses, and an unknown auth type.
 */
export function writeFixtureRepository(root: string, count = 60): FixtureRepository {
  if (count < 8) throw new Error('the fixture repository needs at least 8 connectors');
  mkdirSync(join(root, '.git'), { recursive: true });

  const connectors: FixtureConnector[] = [];
  for (let index = 1; index <= count - 4; index++) connectors.push(writeValid(root, index));
  connectors.push(...writeBroken(root, count, connectors[0]!.linkName!));

  writeSkipped(root);
  return {
    root,
    connectors,
    valid: connectors.filter((connector) => connector.problem === undefined),
    invalid: connectors.filter((connector) => connector.problem !== undefined),
  };
}

function writeValid(root: string, index: number): FixtureConnector {
  const authType = AUTH_TYPES[(index - 1) % AUTH_TYPES.length]!;
  const grantType = authType === 'oauth2' ? GRANT_TYPES[Math.floor((index - 1) / AUTH_TYPES.length) % GRANT_TYPES.length]! : null;
  const number = String(index).padStart(3, '0');
  const linkName = `${authType.toLowerCase()}_${number}`;
  const name = `${label(authType)} ${number}`;
  const stage = index % 5 === 0 ? 'ready' : 'draft';

  const lines = [
    'schemaVersion: 1',
    `name: ${name}`,
    `linkName: ${linkName}`,
    `description: Fixture connector ${number}`,
    `stage: ${stage}`,
    `baseUrl: https://api.c${number}.test`,
    ...authLines(authType, grantType, number),
  ];
  const path = `connectors/${linkName}/connector.yaml`;
  write(root, path, lines);
  return { path, name, linkName, stage, authType, grantType };
}

function authLines(authType: AuthType, grantType: GrantType | null, number: string): string[] {
  const host = `c${number}.test`;
  switch (authType) {
    case 'basic':
      return ['auth:', '  type: basic', '  username: { name: User name, key: username }', '  password: { name: Password, key: password }'];
    case 'apiKey':
      return ['auth:', '  type: apiKey', '  location: header', '  parameters:', '    - { name: API key, key: X-Api-Key }'];
    case 'oauth1':
      return [
        'auth:',
        '  type: oauth1',
        `  consumerKey: ck_${number}`,
        `  consumerSecret: env:C${number}_CONSUMER_SECRET`,
        `  requestTokenUrl: https://api.${host}/oauth/request_token`,
        `  authorizationUrl: https://api.${host}/oauth/authorize`,
        `  accessTokenUrl: https://api.${host}/oauth/access_token`,
        '  signatureMethod: HMAC-SHA1',
      ];
    case 'oauth2':
      return oauth2Lines(grantType!, number, host);
  }
}

function oauth2Lines(grantType: GrantType, number: string, host: string): string[] {
  const lines = ['auth:', '  type: oauth2', `  grantType: ${grantType}`, `  clientId: "1000.${number}"`];
  if (grantType !== 'deviceCode') lines.push(`  clientSecret: env:C${number}_CLIENT_SECRET`);
  if (grantType === 'authorizationCode') lines.push(`  authorizationUrl: https://accounts.${host}/oauth/authorize`);
  if (grantType === 'deviceCode') lines.push(`  deviceAuthorizationUrl: https://accounts.${host}/oauth/device`);
  lines.push(`  tokenUrl: https://accounts.${host}/oauth/token`);
  lines.push('scopes:', '  delimiter: space', '  items:', '    - { name: Read, value: read }');
  return lines;
}

function writeBroken(root: string, count: number, takenLinkName: string): FixtureConnector[] {
  const number = (offset: number) => String(count - 3 + offset).padStart(3, '0');
  const broken: FixtureConnector[] = [];

  // The flow sequence on line 2 is never closed.
  const yamlPath = `connectors/broken_yaml_${number(0)}/connector.yaml`;
  write(root, yamlPath, ['schemaVersion: 1', 'name: [Broken YAML', `linkName: broken_yaml_${number(0)}`, 'auth:', '  type: basic']);
  broken.push({
    path: yamlPath, name: null, linkName: null, stage: null, authType: null, grantType: null,
    problem: { line: 2, column: 7, message: 'this [ is never closed' },
  });

  const urlPath = `connectors/broken_url_${number(1)}/connector.yaml`;
  write(root, urlPath, [
    'schemaVersion: 1',
    `name: Broken URL ${number(1)}`,
    `linkName: broken_url_${number(1)}`,
    'auth:',
    '  type: oauth2',
    '  grantType: clientCredentials',
    '  clientId: "1000.1"',
    '  tokenUrl: accounts.broken.test/oauth/token',
  ]);
  broken.push({
    path: urlPath, name: `Broken URL ${number(1)}`, linkName: `broken_url_${number(1)}`, stage: 'draft', authType: 'oauth2', grantType: 'clientCredentials',
    problem: { line: 8, column: 13, message: 'auth.tokenUrl must be an absolute https URL' },
  });

  // Sorted by path this file comes after connectors/basic_..., so the duplicate is reported here.
  const duplicatePath = `connectors/copy_${number(2)}/connector.yaml`;
  write(root, duplicatePath, ['schemaVersion: 1', `name: Copy ${number(2)}`, `linkName: ${takenLinkName}`, 'auth:', '  type: basic', '  username: { name: User name, key: username }', '  password: { name: Password, key: password }']);
  broken.push({
    path: duplicatePath, name: `Copy ${number(2)}`, linkName: takenLinkName, stage: 'draft', authType: 'basic', grantType: null,
    problem: { line: 3, column: 11, message: `linkName "${takenLinkName}" is already used by connectors/${takenLinkName}/connector.yaml:3:11` },
  });

  const typePath = `connectors/unknown_auth_${number(3)}/connector.yaml`;
  write(root, typePath, ['schemaVersion: 1', `name: Unknown Auth ${number(3)}`, `linkName: unknown_auth_${number(3)}`, 'stage: draft', 'auth:', '  type: carrier_pigeon']);
  broken.push({
    path: typePath, name: `Unknown Auth ${number(3)}`, linkName: `unknown_auth_${number(3)}`, stage: 'draft', authType: 'carrier_pigeon', grantType: null,
    problem: { line: 6, column: 9, message: 'auth.type' },
  });
  return broken;
}

/** Files in places the search skips; listing or validating any of them is a bug. */
function writeSkipped(root: string): void {
  const text = ['schemaVersion: 1', 'name: Skipped', 'linkName: skipped', 'auth:', '  type: basic'];
  write(root, 'node_modules/some-package/connector.yaml', text);
  write(root, 'connectors/.drafts/connector.yaml', text);
  write(root, '.github/connector.yaml', text);
}

function label(authType: AuthType): string {
  return { basic: 'Basic', apiKey: 'API Key', oauth1: 'OAuth1', oauth2: 'OAuth2' }[authType];
}

function write(root: string, path: string, lines: string[]): void {
  const file = join(root, path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${lines.join('\n')}\n`);
}
