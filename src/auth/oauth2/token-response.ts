/**
 * Parses token endpoint responses (RFC 6749 sections 5.1 and 5.2).
 *
 * This is hand-written rather than taken from an OAuth client library, because real providers
 * deviate from the RFC in ways such libraries reject. They send form-encoded bodies (some with
 * a JSON or text Content-Type), `expires_in` as a string, errors inside a 200 response, scopes
 * separated by commas or spaces whatever was requested, `error` as an object, and HTML error
 * pages from proxies. Each deviation accepted here is noted where it is handled.
 */
import { AuthorizationError, OperationError, type CliError } from '../../cli/errors.js';
import type { ScopeDelimiter } from '../../definition/types.js';
import { snippet, type TextResponse } from '../http.js';
import { splitScopes } from './config.js';

/** The `error` code given to a response that is not a readable token response; not an RFC 6749 code. */
export const INVALID_RESPONSE = 'invalid_response';

export interface TokenSuccess {
  ok: true;
  accessToken: string;
  /** As the provider sent it, such as `Bearer` or `bearer`; `Bearer` when absent. */
  tokenType: string;
  refreshToken: string | null;
  /** Lifetime from `expires_in`, else the connector's `expiresIn`; null when neither is known. */
  expiresInSeconds: number | null;
  /** True when the lifetime is the connector's `expiresIn` because the response had no `expires_in`. */
  expiryAssumed: boolean;
  /** Scopes from the response's `scope`, or the requested scopes when it has none (RFC 6749 section 5.1). */
  grantedScopes: string[];
  /** Requested scopes that are not in `grantedScopes`. */
  missingScopes: string[];
  idToken?: string;
}

export interface TokenFailure {
  ok: false;
  /** The HTTP status of the response. */
  status: number;
  /** The RFC 6749 error code, such as `invalid_grant`, or INVALID_RESPONSE. */
  error: string;
  errorDescription: string | null;
  errorUri: string | null;
  /** One sentence for the user, naming the endpoint, the status and the error. */
  message: string;
}

export type TokenResponse = TokenSuccess | TokenFailure;

export interface TokenExpectations {
  /** The scopes the request asked for, to compare the granted ones with. */
  requestedScopes: readonly string[];
  scopeDelimiter: ScopeDelimiter;
  /** Seconds to assume when the response has no `expires_in` (the connector's `expiresIn`). */
  defaultExpiresIn?: number;
}

/** Parses a token endpoint response; never throws for a provider's error or an unreadable body. */
export function parseTokenResponse(response: TextResponse, expectations: TokenExpectations): TokenResponse {
  const fields = parseFields(response);
  if (fields === undefined) return unreadable(response);

  const error = errorFields(fields);
  if (error !== undefined) {
    // Some providers (GitHub among them) report errors with status 200.
    return failure(response, error.code, error.description, error.uri);
  }

  if (response.status < 200 || response.status >= 300) return unreadable(response);

  const accessToken = stringField(fields.access_token);
  if (accessToken === undefined || accessToken === '') {
    return failure(response, INVALID_RESPONSE, 'the response has no access_token', null);
  }

  const scopes = grantedScopes(fields.scope, expectations);
  const refreshToken = stringField(fields.refresh_token);
  const idToken = stringField(fields.id_token);
  const success: TokenSuccess = {
    ok: true,
    accessToken,
    tokenType: stringField(fields.token_type) || 'Bearer',
    refreshToken: refreshToken === undefined || refreshToken === '' ? null : refreshToken,
    expiresInSeconds: lifetime(fields.expires_in) ?? expectations.defaultExpiresIn ?? null,
    expiryAssumed: lifetime(fields.expires_in) === undefined,
    grantedScopes: scopes,
    missingScopes: expectations.requestedScopes.filter((scope) => !scopes.includes(scope)),
  };
  if (idToken !== undefined && idToken !== '') success.idToken = idToken;
  return success;
}

/**
 * Converts a failure into the error to raise: AuthorizationError (exit 4) when the provider
 * rejected the request, OperationError (exit 1) for an unreadable response or a server error.
 */
export function tokenError(failure: TokenFailure, options: { hint?: string } = {}): CliError {
  if (failure.error === INVALID_RESPONSE || failure.status >= 500) {
    return new OperationError(failure.message, options);
  }

  const hint = options.hint ?? ERROR_HINTS[failure.error];
  return new AuthorizationError(failure.message, hint === undefined ? {} : { hint });
}

const ERROR_HINTS: Record<string, string> = {
  invalid_client: 'Check auth.clientId, the client secret and auth.clientAuthentication (body or basic).',
  unauthorized_client: 'Check that the client is allowed this grant type in the provider\'s developer console.',
  invalid_scope: 'Check the scopes in connector.yaml against the provider\'s documentation.',
  invalid_grant: 'Run connector connect again.',
};

/** Removes control characters and limits the length of text from a provider before it is shown. */
export function cleanProviderText(text: string, maxLength = 300): string {
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return printable.length > maxLength ? `${printable.slice(0, maxLength - 3)}...` : printable;
}

type Fields = Record<string, unknown>;

/**
 * Reads the body as a JSON object or as form data. JSON is tried when the media type is JSON
 * or the body starts with `{`. Form data is accepted under its own media type and, because
 * some providers label it wrongly, whenever the whole body has the `name=value&...` shape.
 */
function parseFields(response: TextResponse): Fields | undefined {
  const text = response.text.trim();
  if (text === '') return undefined;

  const looksJson = text.startsWith('{');
  if (looksJson || response.mediaType === 'application/json' || response.mediaType.endsWith('+json')) {
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : undefined;
    } catch {
      return undefined;
    }
  }

  if (response.mediaType === 'application/x-www-form-urlencoded' || FORM_BODY.test(text)) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  return undefined;
}

/** A whole body of `name=value` pairs joined by `&`, with form-encoded names and values. */
const FORM_BODY = /^[\w.~%+-]+=[\w.~%+*-]*(?:&[\w.~%+-]+=[\w.~%+*-]*)*$/;

function errorFields(fields: Fields): { code: string; description: string | null; uri: string | null } | undefined {
  const error = fields.error;
  if (error === undefined || error === null || error === '') return undefined;

  if (typeof error === 'object') {
    // Some providers (Facebook's Graph API, for one) send `error` as an object with a
    // message, a type and a numeric code.
    const nested = error as Fields;
    const code = stringField(nested.type) ?? stringField(nested.code) ?? 'error';
    return { code, description: stringField(nested.message) ?? null, uri: null };
  }

  return {
    code: String(error),
    description: stringField(fields.error_description) ?? null,
    uri: stringField(fields.error_uri) ?? null,
  };
}

function stringField(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Reads `expires_in` as a number or a numeric string; anything else counts as absent. */
function lifetime(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? Math.floor(seconds) : undefined;
}

function grantedScopes(value: unknown, expectations: TokenExpectations): string[] {
  if (value === undefined || value === null) return [...expectations.requestedScopes];

  // RFC 6749 defines `scope` as a string, but an array of strings is accepted too.
  if (Array.isArray(value)) {
    return [...new Set(value.filter((scope): scope is string => typeof scope === 'string' && scope !== ''))];
  }
  return splitScopes(String(value), expectations.scopeDelimiter);
}

function failure(response: TextResponse, error: string, description: string | null, uri: string | null): TokenFailure {
  const cleanError = cleanProviderText(error, 100);
  const cleanDescription = description === null ? null : cleanProviderText(description);
  const detail = cleanDescription === null || cleanDescription === '' ? '' : `: ${cleanDescription}`;
  const message =
    error === INVALID_RESPONSE
      ? `The token endpoint ${response.url} returned an invalid token response (HTTP ${response.status})${detail}.`
      : `The token endpoint ${response.url} returned error "${cleanError}" (HTTP ${response.status})${detail}.`;

  return { ok: false, status: response.status, error: cleanError, errorDescription: cleanDescription, errorUri: uri, message };
}

function unreadable(response: TextResponse): TokenFailure {
  const type = response.mediaType === '' ? 'no content type' : response.mediaType;
  const excerpt = snippet(response.text, 80);
  const statusText = response.statusText === '' ? '' : ` ${response.statusText}`;
  const description = `HTTP ${response.status}${statusText} with ${type}${excerpt === '' ? ' and an empty body' : `, starting "${excerpt}"`}`;

  return {
    ok: false,
    status: response.status,
    error: INVALID_RESPONSE,
    errorDescription: description,
    errorUri: null,
    message: `The token endpoint ${response.url} did not return a token response: ${description}.`,
  };
}
