/**
 * A real OpenID Connect provider (oidc-provider 9) on 127.0.0.1 with an ephemeral port, for
 * `npm run demo` and the integration tests. It uses the library's in-memory storage and its
 * built-in development login and consent pages (devInteractions), and accepts any user name
 * and password. Plain JavaScript, because the demo runs on Node 20 without a TypeScript step;
 * `oidc-provider.d.mts` gives its types.
 */
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';

export const TEST_SCOPES = ['openid', 'offline_access', 'profile', 'email'];
export const SERVICE_SCOPES = ['files.read', 'files.write'];

/** The link name of the demo's connector; the demo client's redirect URI ends in `/callback/<this>`. */
export const DEMO_LINK_NAME = 'connector_demo';

const CALLBACK_PATH = '/callback/zylker_files';
const DEMO_CALLBACK_PATH = `/callback/${DEMO_LINK_NAME}`;
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * Keeps the provider's pages on loopback. The devInteractions layout imports a web font from
 * fonts.googleapis.com; with this policy a browser never requests it and falls back to a local font.
 */
const PAGE_CONTENT_SECURITY_POLICY = "default-src 'self'; style-src 'unsafe-inline'";

let signingKey;

/** Starts a provider and resolves once it listens on 127.0.0.1. */
export async function startOidcProvider() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The OpenID provider did not get a TCP port.');
  const issuer = `http://127.0.0.1:${address.port}`;

  const restoreConsole = muteProviderNotices();
  const { default: Provider } = await import('oidc-provider');
  const clients = {
    nativeApp: { clientId: 'native-app' },
    confidentialApp: { clientId: 'confidential-app', clientSecret: 'confidential-app-secret-with-enough-length' },
    service: { clientId: 'service', clientSecret: 'service-secret-with-enough-length-for-hmac' },
    device: { clientId: 'device-app' },
    demo: { clientId: 'connector-demo' },
  };

  const provider = new Provider(issuer, {
    clients: [
      nativeClient(clients.nativeApp.clientId, CALLBACK_PATH),
      {
        ...nativeClient(clients.confidentialApp.clientId, CALLBACK_PATH),
        client_secret: clients.confidentialApp.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
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
      nativeClient(clients.demo.clientId, DEMO_CALLBACK_PATH),
    ],
    scopes: [...TEST_SCOPES, ...SERVICE_SCOPES],
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    findAccount: (_context, accountId) => ({
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
    issueRefreshToken: (_context, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    cookies: { keys: ['oidc-test-provider-cookie-key'] },
    jwks: { keys: [rsaSigningKey()] },
  });

  provider.use(async (context, next) => {
    await next();
    if (context.response.is('html') && !context.response.has('Content-Security-Policy')) {
      context.set('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
    }
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
      await new Promise((resolve) => server.close(() => resolve()));
      restoreConsole();
    },
  };
}

/**
 * Returns the registration of a public native client with PKCE and refresh tokens. For native
 * clients oidc-provider ignores the port of a loopback redirect URI when it compares them.
 */
function nativeClient(clientId, callbackPath) {
  return {
    client_id: clientId,
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: [`http://127.0.0.1${callbackPath}`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
}

/** Returns one RSA key for the whole process, because id tokens default to RS256 and generating a key is slow. */
function rsaSigningKey() {
  signingKey ??= {
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    use: 'sig',
    alg: 'RS256',
    kid: 'test-key',
  };
  return signingKey;
}

let muted = 0;
let originalInfo;
let originalWarn;

/**
 * Drops oidc-provider's development notices (in-memory storage, devInteractions, the Node 20
 * runtime) while a provider runs; other console output passes through. Returns the undo.
 */
function muteProviderNotices() {
  if (muted === 0) {
    originalInfo = console.info;
    originalWarn = console.warn;
    const info = originalInfo;
    const warn = originalWarn;
    const isNotice = (first) => typeof first === 'string' && first.includes('oidc-provider ');
    console.info = (...args) => {
      if (!isNotice(args[0])) info.apply(console, args);
    };
    console.warn = (...args) => {
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
