/** Types of `oidc-provider.mjs`, for the TypeScript tests that import it. */

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
    /** Public native client like `nativeApp`, with the redirect URI path `/callback/connector_demo`. */
    demo: TestClient;
  };
  /** The callback path registered for the app clients other than `demo`; any loopback port matches it. */
  callbackPath: string;
  close(): Promise<void>;
}

export const TEST_SCOPES: string[];
export const SERVICE_SCOPES: string[];
export const DEMO_LINK_NAME: string;

export function startOidcProvider(): Promise<OidcTestProvider>;
