/**
 * Reads the responses of the temporary credentials and token credentials endpoints
 * (RFC 5849 sections 2.1 and 2.3). The RFC prescribes a form-encoded body, but some providers
 * respond with JSON, so both are accepted whichever Content-Type the response declares.
 */

import { AuthorizationError, OperationError } from '../../cli/errors.js';
import { snippet, type TextResponse } from '../http.js';

/** A credentials pair from the provider, and the other fields it returned (such as `user_id`). */
export interface CredentialsResponse {
  token: string;
  tokenSecret: string;
  /** Every field but `oauth_token` and `oauth_token_secret`, as strings. */
  fields: Record<string, string>;
}

/** Hints for the `oauth_problem` values of the OAuth Problem Reporting extension that a user can act on. */
const PROBLEM_HINTS: Record<string, string> = {
  signature_invalid: 'Check the consumer key, the consumer secret and the signature method in connector.yaml.',
  consumer_key_unknown: 'Check auth.consumerKey in connector.yaml.',
  consumer_key_rejected: 'Check auth.consumerKey in connector.yaml, and that the application is enabled at the provider.',
  signature_method_rejected: 'Choose another auth.signatureMethod in connector.yaml.',
  timestamp_refused: "Check this computer's clock: the provider rejected the request's timestamp.",
  token_expired: 'The authorization took too long. Run connector connect again.',
  verifier_invalid: 'Run connector connect again.',
};

function parseFields(response: TextResponse): Record<string, string> | undefined {
  const text = response.text.trim();
  if (response.mediaType === 'application/json' || text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
      const fields: Record<string, string> = {};
      for (const [name, value] of Object.entries(parsed)) {
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[name] = String(value);
      }
      return fields;
    } catch {
      return undefined;
    }
  }
  if (text === '' || /[<\s]/.test(text)) return undefined;
  return Object.fromEntries(new URLSearchParams(text));
}

function failedResponseError(response: TextResponse, requestName: string, fields: Record<string, string> | undefined): Error {
  const problem = fields?.oauth_problem;
  const advice = fields?.oauth_problem_advice;
  const detail = problem === undefined ? snippet(response.text) : `oauth_problem=${problem}${advice === undefined ? '' : `: ${advice}`}`;
  const message = `The ${requestName} request to ${response.url} failed with HTTP ${response.status}${detail === '' ? '' : ` (${detail})`}.`;

  // An `oauth_problem`, a 400 or a 401 means the provider refused the consumer or the token.
  // Anything else is the provider's own failure.
  if (problem !== undefined || response.status === 400 || response.status === 401) {
    const hint = (problem === undefined ? undefined : PROBLEM_HINTS[problem]) ?? 'Check the consumer key, consumer secret and signature method in connector.yaml.';
    return new AuthorizationError(message, { hint });
  }
  return new OperationError(message);
}

/**
 * Reads a credentials response. `requestName` names the request in messages ("temporary credentials").
 * Raises AuthorizationError when the provider refused the request with 400 or 401, and
 * OperationError for any other failure or a body without `oauth_token` and `oauth_token_secret`.
 * Messages show the field names only, never a token secret.
 */
export function readCredentialsResponse(response: TextResponse, requestName: string): CredentialsResponse {
  const fields = parseFields(response);
  // Some providers report a problem with 200 and an `oauth_problem` field.
  if (response.status < 200 || response.status >= 300 || fields?.oauth_problem !== undefined) {
    throw failedResponseError(response, requestName, fields);
  }

  if (fields === undefined) {
    throw new OperationError(
      `The ${requestName} response from ${response.url} is neither form-encoded nor JSON (HTTP ${response.status}, ${response.mediaType || 'no Content-Type'}): ${snippet(response.text)}`,
    );
  }

  const { oauth_token: token, oauth_token_secret: tokenSecret, ...rest } = fields;
  if (token === undefined || token === '' || tokenSecret === undefined) {
    const names = Object.keys(fields).join(', ') || 'none';
    throw new OperationError(
      `The ${requestName} response from ${response.url} lacks oauth_token or oauth_token_secret (fields present: ${names}).`,
    );
  }
  return { token, tokenSecret, fields: rest };
}
