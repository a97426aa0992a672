/** Types of `user-agent.mjs`, for the TypeScript tests that import it. */

export interface CallbackResponse {
  /** The redirect URI with the authorization response in its query. */
  url: string;
  status: number;
  body: string;
}

export interface AuthorizationScript {
  /** The user name typed into the sign-in form; any value is accepted. */
  login?: string;
  /** `deny` cancels at the consent page, so the provider returns `error=access_denied`. */
  consent?: 'approve' | 'deny';
  /** Replaces the redirect URL before it is requested, to test a forged or altered response. */
  rewriteCallback?: (url: URL) => URL;
}

export interface DeviceScript {
  login?: string;
  /** `deny` cancels at the consent page, so polling ends with `access_denied`. */
  consent?: 'approve' | 'deny';
}

/**
 * Drives an authorization request from its URL to the redirect at `redirect_uri`, then sends
 * that request to the loopback redirect server and returns its response.
 */
export function completeAuthorization(authorizationUrl: string, script?: AuthorizationScript): Promise<CallbackResponse>;

/**
 * Completes a device authorization as the user would on another device, and returns the text
 * of the last page.
 */
export function completeDeviceAuthorization(verificationUri: string, userCode: string, script?: DeviceScript): Promise<string>;
