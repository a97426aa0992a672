/**
 * Applies a connection's stored credential to an outgoing HTTP request, for each of the four
 * auth types a connector can declare.
 */

import type { Clock } from '../cli/deps.js';
import { AuthorizationError, UsageError } from '../cli/errors.js';
import type { ApiKeyAuth, Connector, OAuth1Auth, OAuth2Auth } from '../definition/types.js';
import type { StoredCredential } from './credential.js';
import { mediaTypeOf } from './http.js';
import { percentEncode } from './oauth1/percent-encode.js';
import { freshTimestampAndNonce, signRequest } from './oauth1/signature.js';

export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Headers;
  body?: string | Uint8Array;
  /** The body's media type; when absent, the Content-Type header is used. */
  contentType?: string;
}

/** Connector secrets, already resolved from `env:`, `keychain` or `file:` by the caller. */
export interface CredentialSecrets {
  /** The OAuth 1.0a consumer secret, for HMAC-SHA1, HMAC-SHA256 and PLAINTEXT. */
  consumerSecret?: string;
  /** The OAuth 1.0a consumer's RSA private key as PEM text, for RSA-SHA1. */
  rsaPrivateKey?: string;
}

export interface ApplyDeps {
  clock: Clock;
  /** Source of `oauth_nonce` values; a random one is used when absent. */
  randomNonce?: () => string;
}

const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

const RECONNECT_HINT = 'Run connector connect again to store a new credential.';

/**
 * Returns a copy of `request` with `credential` applied as the connector's auth section defines.
 * The input request is left unchanged.
 *
 * Raises AuthorizationError when the credential does not fit the connector, such as another
 * auth type or a missing API key value. Raises UsageError when the request cannot carry the
 * credential, such as an API key for a form body on a request with a JSON body.
 */
export function applyCredential(
  request: OutgoingRequest,
  connector: Connector,
  credential: StoredCredential,
  secrets: CredentialSecrets,
  deps: ApplyDeps,
): OutgoingRequest {
  const copy = copyRequest(request);
  const auth = connector.auth;

  if (auth.type === 'basic' && credential.type === 'basic') {
    copy.headers.set('Authorization', basicAuthorization(credential.username, credential.password));
    return copy;
  }
  if (auth.type === 'apiKey' && credential.type === 'apiKey') {
    return applyApiKey(copy, auth, credential.values);
  }
  if (auth.type === 'oauth1' && credential.type === 'oauth1') {
    return applyOAuth1(copy, auth, credential, secrets, deps);
  }
  if (auth.type === 'oauth2' && credential.type === 'oauth2') {
    setHeader(copy.headers, 'Authorization', bearerAuthorization(auth, credential.accessToken), 'The access token');
    return copy;
  }

  throw credentialMismatch(connector, credential);
}

/**
 * Returns the Authorization header value that `connector token --header` prints.
 *
 * Basic and OAuth 2.0 always have one. An API key has one only when it is sent in a header
 * named Authorization. OAuth 1.0a never has one, because each signature covers a single
 * request's method, URL, timestamp and nonce. Those cases raise UsageError with the reason.
 */
export function authorizationHeader(connector: Connector, credential: StoredCredential): string {
  const auth = connector.auth;

  if (auth.type === 'basic' && credential.type === 'basic') {
    return basicAuthorization(credential.username, credential.password);
  }
  if (auth.type === 'oauth2' && credential.type === 'oauth2') {
    return bearerAuthorization(auth, credential.accessToken);
  }
  if (auth.type === 'oauth1' && credential.type === 'oauth1') {
    throw new UsageError(
      'OAuth 1.0a has no reusable Authorization header: each request is signed over its own method, URL, timestamp and nonce.',
      { hint: 'Send the request with connector request, which signs it.' },
    );
  }
  if (auth.type === 'apiKey' && credential.type === 'apiKey') {
    return apiKeyAuthorization(auth, credential.values);
  }

  throw credentialMismatch(connector, credential);
}

function copyRequest(request: OutgoingRequest): OutgoingRequest {
  const copy: OutgoingRequest = { method: request.method, url: new URL(request.url), headers: new Headers(request.headers) };
  if (request.body !== undefined) copy.body = request.body;
  if (request.contentType !== undefined) copy.contentType = request.contentType;
  return copy;
}

function credentialMismatch(connector: Connector, credential: StoredCredential): AuthorizationError {
  return new AuthorizationError(
    `The stored connection has ${credential.type} credentials, but the connector ${connector.linkName} now uses ${connector.auth.type}.`,
    { hint: RECONNECT_HINT },
  );
}

/** Sets a header, turning the TypeError that `Headers` raises for an invalid value into a message that does not show the value. */
function setHeader(headers: Headers, name: string, value: string, description: string): void {
  try {
    headers.set(name, value);
  } catch (error) {
    throw new UsageError(
      `${description} cannot be sent in the ${name} header: the name must be an HTTP token, and the value may not contain line breaks or characters above U+00FF.`,
      { hint: RECONNECT_HINT, cause: error },
    );
  }
}

// Basic (RFC 7617).

function basicAuthorization(username: string, password: string): string {
  if (username.includes(':')) {
    throw new AuthorizationError('The stored user name contains ":", which HTTP Basic authentication cannot carry (RFC 7617 section 2).', {
      hint: RECONNECT_HINT,
    });
  }
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

// OAuth 2.0 (RFC 6750 section 2.1).

function bearerAuthorization(auth: OAuth2Auth, accessToken: string): string {
  const scheme = auth.bearerName === '' ? 'Bearer' : auth.bearerName;
  return `${scheme} ${accessToken}`;
}

// API key.

function apiKeyValue(parameter: ApiKeyAuth['parameters'][number], values: Record<string, string>): string {
  const value = values[parameter.key];
  if (value === undefined) {
    throw new AuthorizationError(`The stored connection has no value for the API key parameter "${parameter.key}" (${parameter.name}).`, {
      hint: RECONNECT_HINT,
    });
  }
  return `${parameter.prefix ?? ''}${value}`;
}

function apiKeyAuthorization(auth: ApiKeyAuth, values: Record<string, string>): string {
  const parameter = auth.parameters.find((candidate) => candidate.key.toLowerCase() === 'authorization');
  if (auth.location !== 'header' || parameter === undefined) {
    const keys = auth.parameters.map((candidate) => candidate.key).join(', ');
    throw new UsageError(
      `This connector sends its API key as ${keys} in the ${auth.location === 'header' ? 'headers' : auth.location}, not in an Authorization header.`,
      { hint: 'Send the request with connector request, which adds the key.' },
    );
  }
  return apiKeyValue(parameter, values);
}

function applyApiKey(request: OutgoingRequest, auth: ApiKeyAuth, values: Record<string, string>): OutgoingRequest {
  const pairs = auth.parameters.map((parameter) => [parameter.key, apiKeyValue(parameter, values)] as const);

  switch (auth.location) {
    case 'header':
      for (const [key, value] of pairs) setHeader(request.headers, key, value, `The API key parameter "${key}"`);
      return request;
    case 'query':
      request.url.search = withParameters(request.url.search.replace(/^\?/, ''), pairs);
      return request;
    case 'form':
      return withFormParameters(request, pairs);
  }
}

/**
 * Adds `name=value` pairs to an `application/x-www-form-urlencoded` string, replacing any pair
 * of the same name. The other pairs keep their bytes, because re-serializing them (as
 * `URLSearchParams` does) could change how they are encoded.
 */
function withParameters(encoded: string, pairs: ReadonlyArray<readonly [string, string]>): string {
  const names = new Set(pairs.map(([name]) => name));
  const unchanged = encoded.split('&').filter((part) => part !== '' && !names.has(decodedName(part)));
  const added = pairs.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`);
  return [...unchanged, ...added].join('&');
}

function decodedName(part: string): string {
  const separator = part.indexOf('=');
  const raw = separator === -1 ? part : part.slice(0, separator);
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

/** Returns the body's media type in lower case, or '' when none is declared. */
function mediaType(request: OutgoingRequest): string {
  return mediaTypeOf(request.contentType ?? request.headers.get('content-type'));
}

function bodyText(body: string | Uint8Array): string {
  return typeof body === 'string' ? body : new TextDecoder().decode(body);
}

function withFormParameters(request: OutgoingRequest, pairs: ReadonlyArray<readonly [string, string]>): OutgoingRequest {
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD') {
    throw new UsageError(`This connector sends its API key in a form body, and a ${method} request cannot have a body.`, {
      hint: 'Send the request with POST, PUT or PATCH.',
    });
  }

  // A declared type other than a form is rejected even without a body, so the request never
  // carries a form body under another Content-Type.
  const type = mediaType(request);
  if ((request.body !== undefined || type !== '') && type !== FORM_MEDIA_TYPE) {
    throw new UsageError(
      `This connector sends its API key in a form body, but the request body is ${type === '' ? 'of no declared type' : type}, not ${FORM_MEDIA_TYPE}.`,
      { hint: `Send the data as ${FORM_MEDIA_TYPE}, or change auth.location in connector.yaml.` },
    );
  }

  request.body = withParameters(request.body === undefined ? '' : bodyText(request.body), pairs);
  if (type === '') {
    request.contentType = FORM_MEDIA_TYPE;
    request.headers.set('Content-Type', FORM_MEDIA_TYPE);
  }
  return request;
}

// OAuth 1.0a (RFC 5849 section 3).

function applyOAuth1(
  request: OutgoingRequest,
  auth: OAuth1Auth,
  credential: Extract<StoredCredential, { type: 'oauth1' }>,
  secrets: CredentialSecrets,
  deps: ApplyDeps,
): OutgoingRequest {
  // Section 3.4.1.3.1 signs the body parameters only for a single-part form body.
  const formBody = request.body !== undefined && mediaType(request) === FORM_MEDIA_TYPE ? bodyText(request.body) : undefined;

  const signed = signRequest(
    { method: request.method, url: request.url, formBody },
    {
      signatureMethod: auth.signatureMethod,
      consumerKey: auth.consumerKey,
      consumerSecret: secrets.consumerSecret,
      rsaPrivateKey: secrets.rsaPrivateKey,
      token: credential.token,
      tokenSecret: credential.tokenSecret,
    },
    freshTimestampAndNonce(deps.clock, deps.randomNonce),
  );
  request.headers.set('Authorization', signed.authorization);
  return request;
}
