/**
 * Fixtures for the scripted-use tests: a loopback OAuth 2.0 provider with a token endpoint and
 * a protected API, a recording server for "another origin", and connections written straight
 * into the opt-in file store, where the built binary finds them.
 */

import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import type { StoredCredential } from '../../src/auth/credential.js';
import { authorizeOAuth1 } from '../../src/auth/oauth1/flow.js';
import { readCredential, saveConnection } from '../../src/connection/credentials.js';
import type { ConnectionServices } from '../../src/connection/services.js';
import { ConnectionMetadata, type ConnectionRecord } from '../../src/store/metadata.js';
import { openSecretStore } from '../../src/store/select.js';
import { runCli, type CliResult } from '../support/cli.js';
import { actAsUser, startOAuth1Provider, type OAuth1Provider } from '../support/oauth1-provider.js';

export const LINK_NAME = 'zylker_files';
export const CLIENT_ID = '1000.ZYLKERCLIENT';
export const CLIENT_SECRET_VARIABLE = 'ZYLKER_CLIENT_SECRET';

export function randomSecret(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

/** A temporary working folder whose `.connector-config` contains the metadata and the file store. */
export interface Workspace {
  path: string;
  configDir: string;
  /** Environment for the binary: the file store, and the client secret. */
  env: NodeJS.ProcessEnv;
}

export function workspaceIn(path: string, clientSecret = randomSecret('cs-')): Workspace {
  const configDir = join(path, '.connector-config');
  return { path, configDir, env: { CONNECTOR_INSECURE_STORAGE: '1', CONNECTOR_CONFIG_DIR: configDir, [CLIENT_SECRET_VARIABLE]: clientSecret } };
}

/** Runs the built binary in the workspace with its environment. */
export function cli(workspace: Workspace, args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return runCli(args, { cwd: workspace.path, env: { ...workspace.env, ...options.env }, stdin: options.stdin });
}

export function writeConnector(workspace: Workspace, yaml: string): void {
  writeFileSync(join(workspace.path, 'connector.yaml'), yaml);
}

async function servicesFor(workspace: Workspace): Promise<ConnectionServices> {
  const opened = await openSecretStore({ env: workspace.env });
  return {
    store: opened.store,
    storeKind: opened.kind,
    metadata: new ConnectionMetadata({ folder: workspace.configDir, clock: { now: () => Date.now() } }),
  };
}

/** Stores a connection with the library functions, as `connector connect` would. */
export async function seedConnection(
  workspace: Workspace,
  credential: StoredCredential,
  record: Partial<Omit<ConnectionRecord, 'store' | 'createdAt' | 'updatedAt'>> = {},
): Promise<void> {
  await saveConnection(await servicesFor(workspace), credential, {
    connector: LINK_NAME,
    name: 'default',
    authType: credential.type,
    ...(credential.type === 'oauth2' ? { grantType: 'authorizationCode' as const } : {}),
    ...record,
  });
}

export async function storedCredential(workspace: Workspace, name = 'default'): Promise<StoredCredential | null> {
  return readCredential(await servicesFor(workspace), LINK_NAME, name);
}

/** Reads the stored credential and fails the test unless it is an OAuth 2.0 one. */
export async function storedOAuth2Credential(workspace: Workspace, name = 'default'): Promise<Extract<StoredCredential, { type: 'oauth2' }>> {
  const credential = await storedCredential(workspace, name);
  if (credential?.type !== 'oauth2') throw new Error(`connection ${name} has no stored OAuth 2.0 credential`);
  return credential;
}

export async function storedRecord(workspace: Workspace, name = 'default'): Promise<ConnectionRecord | undefined> {
  return (await servicesFor(workspace)).metadata.get(LINK_NAME, name);
}

/** Lists every file under `folder` with its text, for the secret scan. */
export function filesUnder(folder: string): Array<{ path: string; text: string }> {
  const files: Array<{ path: string; text: string }> = [];
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) files.push(...filesUnder(path));
    else files.push({ path, text: readFileSync(path, 'utf8') });
  }
  return files;
}

// Connector files.

export function oauth2Connector(provider: { baseUrl: string }, extra = ''): string {
  return `schemaVersion: 1
name: Zylker Files
linkName: ${LINK_NAME}
stage: ready
baseUrl: ${provider.baseUrl}/api
auth:
  type: oauth2
  grantType: authorizationCode
  clientId: "${CLIENT_ID}"
  clientSecret: env:${CLIENT_SECRET_VARIABLE}
  authorizationUrl: ${provider.baseUrl}/oauth/authorize
  tokenUrl: ${provider.baseUrl}/oauth/token
scopes:
  items:
    - { name: Read files, value: files.read }
test:
  method: GET
  url: /v1/me
${extra}`;
}

// A loopback server with a handler per test.

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface LoopbackServer {
  baseUrl: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startServer(
  handle: (request: RecordedRequest, response: ServerResponse) => void | Promise<void>,
): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request = { method: incoming.method ?? '', path: incoming.url ?? '/', headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(request);
      Promise.resolve(handle(request, response)).catch((error: unknown) => {
        response.writeHead(500, { 'Content-Type': 'text/plain' });
        response.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

// The OAuth 2.0 provider.

export interface ProviderOptions {
  clientSecret: string;
  /** Whether a refresh returns a new refresh token (rotation). Default true. */
  rotate?: boolean;
  /** Seconds in `expires_in`. Default 3600. */
  expiresIn?: number;
}

interface Grant {
  family: string;
  revoked: boolean;
}

export interface OAuth2Provider extends LoopbackServer {
  /** Issues a token pair as the authorization code grant would; its access token is valid. */
  issue(): { accessToken: string; refreshToken: string };
  /** Makes an access token invalid at the API, as an early revocation on the provider's side does. */
  revokeAccessToken(accessToken: string): void;
  /** Makes the API reject every access token, also those issued later. */
  rejectEveryToken(): void;
  /** The number of requests that reached the token endpoint with grant_type=refresh_token. */
  refreshCount(): number;
  apiCount(): number;
  /** The grant_type of each token request from a known client, in order. */
  grantTypes(): string[];
  /** Every access and refresh token issued so far, for the secret scan. */
  issuedTokens(): string[];
}

/**
 * A loopback provider: `POST /oauth/token` serves the client credentials grant and accepts each
 * refresh token once. A reused refresh token gets `invalid_grant` and revokes the whole token
 * family, as providers that rotate refresh tokens do to stop a stolen token. `GET /api/v1/me` returns the user
 * for a valid bearer token and 401 otherwise.
 */
export async function startOAuth2Provider(options: ProviderOptions): Promise<OAuth2Provider> {
  const accessTokens = new Map<string, Grant>();
  const refreshTokens = new Map<string, { grant: Grant; used: boolean }>();
  let refreshes = 0;
  let apiRequests = 0;
  let rejectAll = false;
  const grants: string[] = [];

  const issueIn = (grant: Grant, withRefreshToken: boolean) => {
    const accessToken = randomSecret('at-');
    accessTokens.set(accessToken, grant);
    if (!withRefreshToken) return { accessToken, refreshToken: undefined };
    const refreshToken = randomSecret('rt-');
    refreshTokens.set(refreshToken, { grant, used: false });
    return { accessToken, refreshToken };
  };

  const server = await startServer((request, response) => {
    const url = new URL(request.path, 'http://127.0.0.1');
    if (request.method === 'POST' && url.pathname === '/oauth/token') return token(request, response);
    if (url.pathname.startsWith('/api/')) return api(request, response, url);
    sendJson(response, 404, { error: 'not_found' });
  });

  function token(request: RecordedRequest, response: ServerResponse): void {
    const form = new URLSearchParams(request.body);
    if (form.get('client_id') !== CLIENT_ID || form.get('client_secret') !== options.clientSecret) {
      return sendJson(response, 401, { error: 'invalid_client' });
    }
    grants.push(form.get('grant_type') ?? '');
    if (form.get('grant_type') === 'client_credentials') {
      const issued = issueIn({ family: randomSecret('family-'), revoked: false }, false);
      return sendJson(response, 200, { access_token: issued.accessToken, token_type: 'Bearer', expires_in: options.expiresIn ?? 3600 });
    }
    if (form.get('grant_type') !== 'refresh_token') return sendJson(response, 400, { error: 'unsupported_grant_type' });

    refreshes += 1;
    const entry = refreshTokens.get(form.get('refresh_token') ?? '');
    if (entry === undefined || entry.grant.revoked) return sendJson(response, 400, { error: 'invalid_grant', error_description: 'unknown or revoked refresh token' });
    if (entry.used) {
      entry.grant.revoked = true;
      return sendJson(response, 400, { error: 'invalid_grant', error_description: 'refresh token reused; the grant is revoked' });
    }

    const rotate = options.rotate ?? true;
    entry.used = rotate;
    const issued = issueIn(entry.grant, rotate);
    sendJson(response, 200, {
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: options.expiresIn ?? 3600,
      ...(issued.refreshToken === undefined ? {} : { refresh_token: issued.refreshToken }),
      scope: 'files.read',
    });
  }

  function api(request: RecordedRequest, response: ServerResponse, url: URL): void {
    apiRequests += 1;
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const grant = accessTokens.get(bearer);
    if (grant === undefined || grant.revoked || rejectAll) {
      return sendJson(response, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
    if (url.pathname === '/api/v1/me') return sendJson(response, 200, { user: 'zylker_tester', method: request.method, body: request.body });
    if (url.pathname === '/api/v1/missing') return sendJson(response, 404, { error: 'no such file' });
    sendJson(response, 404, { error: 'not_found' });
  }

  return {
    ...server,
    issue: () => {
      const issued = issueIn({ family: randomSecret('family-'), revoked: false }, true);
      return { accessToken: issued.accessToken, refreshToken: issued.refreshToken! };
    },
    revokeAccessToken: (accessToken) => {
      accessTokens.delete(accessToken);
    },
    rejectEveryToken: () => {
      rejectAll = true;
    },
    grantTypes: () => [...grants],
    issuedTokens: () => [...accessTokens.keys(), ...refreshTokens.keys()],
    refreshCount: () => refreshes,
    apiCount: () => apiRequests,
  };
}

/** Builds an OAuth 2.0 credential as the authorization code grant stores it, expiring `expiresInMs` from now. */
export function oauth2Credential(tokens: { accessToken: string; refreshToken?: string }, expiresInMs: number): StoredCredential {
  return {
    type: 'oauth2',
    accessToken: tokens.accessToken,
    tokenType: 'Bearer',
    ...(tokens.refreshToken === undefined ? {} : { refreshToken: tokens.refreshToken }),
    expiresAt: Date.now() + expiresInMs,
    scopes: ['files.read'],
  };
}

// OAuth 1.0a.

export const CONSUMER_SECRET_VARIABLE = 'ZYLKER_CONSUMER_SECRET';

/**
 * Starts the OAuth 1.0a test provider, authorizes with the library's flow (the simulated user
 * presses Allow), and stores the token credentials as the default connection of an HMAC-SHA1
 * connector whose baseUrl is the provider.
 */
export async function connectOAuth1(workspace: Workspace): Promise<{ provider: OAuth1Provider; token: string; tokenSecret: string }> {
  const provider = await startOAuth1Provider();
  const auth = {
    type: 'oauth1' as const,
    consumerKey: provider.consumer.key,
    consumerSecret: `env:${CONSUMER_SECRET_VARIABLE}`,
    requestTokenUrl: provider.urls.requestToken,
    authorizationUrl: provider.urls.authorize,
    accessTokenUrl: provider.urls.accessToken,
    signatureMethod: 'HMAC-SHA1' as const,
  };
  const credentials = await authorizeOAuth1({
    auth,
    consumerSecret: provider.consumer.secret,
    fetch: globalThis.fetch,
    openBrowser: async (url) => {
      void actAsUser(url, 'allow');
    },
    clock: { now: () => Date.now() },
    log: () => undefined,
  });

  writeConnector(
    workspace,
    `schemaVersion: 1
name: Zylker Files
linkName: ${LINK_NAME}
stage: ready
baseUrl: ${provider.baseUrl}
auth:
  type: oauth1
  consumerKey: ${auth.consumerKey}
  consumerSecret: ${auth.consumerSecret}
  requestTokenUrl: ${auth.requestTokenUrl}
  authorizationUrl: ${auth.authorizationUrl}
  accessTokenUrl: ${auth.accessTokenUrl}
  signatureMethod: HMAC-SHA1
test:
  method: GET
  url: /1/account
`,
  );
  workspace.env[CONSUMER_SECRET_VARIABLE] = provider.consumer.secret;
  await seedConnection(workspace, { type: 'oauth1', token: credentials.token, tokenSecret: credentials.tokenSecret });
  return { provider, token: credentials.token, tokenSecret: credentials.tokenSecret };
}
