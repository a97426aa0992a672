/**
 * A scripted browser for oidc-provider's development pages: it signs in, approves or cancels
 * the consent, and requests the loopback redirect URI. The code lives in `scripts/demo/`, in
 * plain JavaScript, so that `npm run demo` uses the same agent without a TypeScript step.
 */
export {
  completeAuthorization,
  completeDeviceAuthorization,
  type AuthorizationScript,
  type CallbackResponse,
  type DeviceScript,
} from '../../scripts/demo/user-agent.mjs';
