/** The OAuth 2.0 grants, token refresh and revocation, for `connector connect`, `token` and `disconnect`. */
export { authorizeWithCode, DEFAULT_AUTHORIZATION_TIMEOUT_SECONDS, type AuthorizationCodeOptions } from './authorization-code.js';
export { buildAuthorizationUrl, loopbackRedirect, type AuthorizationRequest, type LoopbackRedirect } from './authorization-url.js';
export { applyClientAuthentication, basicAuthorization, type ClientCredentials } from './client-auth.js';
export { requestClientCredentialsToken } from './client-credentials.js';
export { joinScopes, oauth2ConfigFromConnector, splitScopes, type HttpContext, type OAuth2Config } from './config.js';
export {
  authorizeWithDeviceCode,
  parseDeviceAuthorization,
  pollForToken,
  requestDeviceAuthorization,
  type DeviceAuthorization,
  type DeviceFlowOptions,
} from './device.js';
export { codeChallengeS256, createCodeVerifier, createPkcePair, type PkcePair } from './pkce.js';
export { refreshAccessToken, type RefreshOptions } from './refresh.js';
export { revokeToken, type RevokeOptions } from './revoke.js';
export { requestToken, type TokenRequest } from './token-request.js';
export {
  INVALID_RESPONSE,
  parseTokenResponse,
  tokenError,
  type TokenFailure,
  type TokenResponse,
  type TokenSuccess,
} from './token-response.js';
export { realSleep, type Sleep } from './wait.js';
