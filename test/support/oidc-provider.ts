/**
 * A real OpenID Connect provider (oidc-provider 9) on 127.0.0.1 with an ephemeral port, for
 * integration tests of the OAuth 2.0 grants. The setup lives in `scripts/demo/`, in plain
 * JavaScript, so that `npm run demo` runs the same provider without a TypeScript step.
 */
export {
  DEMO_LINK_NAME,
  SERVICE_SCOPES,
  TEST_SCOPES,
  startOidcProvider,
  type OidcTestProvider,
  type TestClient,
} from '../../scripts/demo/oidc-provider.mjs';
