/**
 * A real OpenID Connect provider (oidc-provider 9) on 127.0.0.1 with an ephemeral port, for
 * integration tests of the OAuth 2.0 grants. It uses the library's in-memory storage and its
 * built-in development login and consent pages (devInteractions), and accepts any user name.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';

export interface TestClient {
  clientId: string;
  /** Absent for public clients. */
  clientSecret?: string;
}

export interface OidcTestProvider {
  /** `http://127.0.0.1:<port>`, which is also the base of every endpoint. */
  issuer: string;
  endpoints: {
    authorization: string;
    token: string;
    deviceAuthorization: string;
    revocation: string;
    introspection: string;
    userinfo: string;
  };
  clients: {
    /** Public native client: authorization code with PKCE and refresh tokens, loopback redirect. */
    nativeApp: TestClient;
    /** Confidential native client using client_secret_basic: authorization code and refresh tokens. */
    confidentialApp: TestClient;
    /** Confidential client using client_secret_post: client credentials only. */
    service: TestClient;
    /** Public client: device authorization grant and refresh tokens. */
    device: TestClient;
  };
  /** The callback path registered for the app clients; any loopback port matches it. */
  callbackPath: string;
  close(): Promise<void>;
}

/** The minimal surface of oidc-provider's Provider class that this module uses. */
interface ProviderInstance {
  callback(): (request: IncomingMessage, response: ServerResponse) => void;
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

export const TEST_SCOPES = ['openid', 'offline_access', 'profile', 'email'];
export const SERVICE_SCOPES = ['files.read', 'files.write'];
const CALLBACK_PATH = '/callback/zylker_files';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let signingKey: Record<string, unknown> | undefined;

/** Starts a provider and resolves once it listens. */
export async function startOidcProvider(): Promise<OidcTestProvider> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The test provider did not get a TCP port.');
  const issuer = `http://127.0.0.1:${address.port}`;

  const restoreConsole = muteProviderNotices();
  const Provider = await loadProvider();
  const clients = {
    nativeApp: { clientId: 'native-app' },
    confidentialApp: { clientId: 'confidential-app', clientSecret: 'confidential-app-secret-with-enough-length' },
    service: { clientId: 'service', clientSecret: 'service-secret-with-enough-length-for-hmac' },
    device: { clientId: 'device-app' },
  };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clients.nativeApp.clientId,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: [`http://127.0.0.1${CALLBACK_PATH}`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      {
        client_id: clients.confidentialApp.clientId,
        client_secret: clients.confidentialApp.clientSecret,
        application_type: 'native',
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`http://127.0.0.1${CALLBACK_PATH}`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      {
        client_id: clients.service.clientId,
        client_secret: clients.service.clientSecret,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: SERVICE_SCOPES.join(' '),
      },
      {
        client_id: clients.device.clientId,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: [DEVICE_GRANT, 'refresh_token'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    scopes: [...TEST_SCOPES, ...SERVICE_SCOPES],
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    findAccount: (_context: unknown, accountId: string) => ({
      accountId,
      claims: () => ({ sub: accountId, name: accountId, email: `${accountId}@example.test` }),
    }),
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
    },
    // Refresh tokens for every client allowed the refresh_token grant, rotated on each use.
    issueRefreshToken: (_context: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    cookies: { keys: ['oidc-test-provider-cookie-key'] },
    jwks: { keys: [rsaSigningKey()] },
  });

  server.on('request', provider.callback());

  return {
    issuer,
    endpoints: {
      authorization: `${issuer}/auth`,
      token: `${issuer}/token`,
      deviceAuthorization: `${issuer}/device/auth`,
      revocation: `${issuer}/token/revocation`,
      introspection: `${issuer}/token/introspection`,
      userinfo: `${issuer}/me`,
    },
    clients,
    callbackPath: CALLBACK_PATH,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      restoreConsole();
    },
  };
}

async function loadProvider(): Promise<ProviderConstructor> {
  // @ts-expect-error -- oidc-provider 9 ships no type declarations; ProviderInstance covers what is used.
  const module = (await import('oidc-provider')) as { default: ProviderConstructor };
  return module.default;
}

/** Returns one RSA key for the whole process, because id tokens default to RS256 and generating a key is slow. */
function rsaSigningKey(): Record<string, unknown> {
  signingKey ??= {
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    use: 'sig',
    alg: 'RS256',
    kid: 'test-key',
  };
  return signingKey;
}

let muted = 0;
let originalInfo: typeof console.info | undefined;
let originalWarn: typeof console.warn | undefined;

/**
 * Drops oidc-provider's development notices (in-memory storage, devInteractions, the Node 20
 * runtime) while a test provider runs; other console output passes through. Returns the undo.
 */
function muteProviderNotices(): () => void {
  if (muted === 0) {
    originalInfo = console.info;
    originalWarn = console.warn;
    const info = originalInfo;
    const warn = originalWarn;
    const isNotice = (first: unknown): boolean => typeof first === 'string' && first.includes('oidc-provider ');
    console.info = (...args: unknown[]) => {
      if (!isNotice(args[0])) info.apply(console, args);
    };
    console.warn = (...args: unknown[]) => {
      if (!isNotice(args[0])) warn.apply(console, args);
    };
  }
  muted += 1;

  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    muted -= 1;
    if (muted === 0 && originalInfo !== undefined && originalWarn !== undefined) {
      console.info = originalInfo;
      console.warn = originalWarn;
    }
  };
}
