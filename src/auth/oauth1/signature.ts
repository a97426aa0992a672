/**
 * OAuth 1.0a request signing (RFC 5849 section 3): protocol parameters, the four signature
 * methods, and the `Authorization: OAuth ...` header.
 *
 * Hand-written rather than taken from npm. The algorithm is about a hundred lines, and it has to
 * match the RFC byte for byte, including the corrected section 3.1 example (erratum 2550) that
 * the tests check. The npm packages do not fit: `oauth` sends requests through an HTTP client of
 * its own, and `oauth-1.0a` still leaves the hashing to the caller.
 */

import { createHmac, randomBytes, sign as rsaSign } from 'node:crypto';

import type { Clock } from '../../cli/deps.js';
import { UsageError } from '../../cli/errors.js';
import type { SignatureMethod } from '../../definition/types.js';
import { signatureBaseString } from './base-string.js';
import { percentEncode } from './percent-encode.js';

/** The consumer's and the token's credentials, and how to sign with them. */
export interface OAuth1Keys {
  signatureMethod: SignatureMethod;
  consumerKey: string;
  /** The consumer secret, for HMAC-SHA1, HMAC-SHA256 and PLAINTEXT. RSA-SHA1 does not use it. */
  consumerSecret?: string;
  /** The consumer's RSA private key as PEM text, for RSA-SHA1. */
  rsaPrivateKey?: string;
  /** The temporary or token credentials' identifier; absent for a temporary credentials request. */
  token?: string;
  /** The secret paired with `token`; an empty string when there is no token. */
  tokenSecret?: string;
}

/** The parts of an HTTP request that the signature covers. */
export interface RequestToSign {
  method: string;
  url: URL;
  /** The body, only when its content type is `application/x-www-form-urlencoded` (section 3.4.1.3.1). */
  formBody?: string;
}

/** Per-request protocol values. */
export interface ProtocolOptions {
  /** Seconds since the epoch, as a decimal string. */
  timestamp: string;
  nonce: string;
  /** `oauth_callback`, sent only in the temporary credentials request. */
  callback?: string;
  /** `oauth_verifier`, sent only in the token credentials request. */
  verifier?: string;
  /** Whether to send `oauth_version="1.0"`, which RFC 5849 section 3.1 makes optional. Default true. */
  includeVersion?: boolean;
  /** `realm` for the Authorization header; it is not signed. */
  realm?: string;
}

export interface SignedRequest {
  baseString: string;
  /** The `oauth_signature` value, before percent-encoding. */
  signature: string;
  /** The protocol parameters in the order sent, `oauth_signature` last. */
  protocolParameters: Array<[string, string]>;
  /** The value of the Authorization header: `OAuth oauth_consumer_key="...", ...`. */
  authorization: string;
}

/** Lists the `oauth_*` parameters to send, without `oauth_signature` (section 3.1). */
export function protocolParametersFor(keys: OAuth1Keys, options: ProtocolOptions): Array<[string, string]> {
  const parameters: Array<[string, string]> = [['oauth_consumer_key', keys.consumerKey]];
  if (keys.token !== undefined) parameters.push(['oauth_token', keys.token]);
  parameters.push(
    ['oauth_signature_method', keys.signatureMethod],
    ['oauth_timestamp', options.timestamp],
    ['oauth_nonce', options.nonce],
  );
  if (options.includeVersion ?? true) parameters.push(['oauth_version', '1.0']);
  if (options.callback !== undefined) parameters.push(['oauth_callback', options.callback]);
  if (options.verifier !== undefined) parameters.push(['oauth_verifier', options.verifier]);
  return parameters;
}

function consumerSecretFor(keys: OAuth1Keys): string {
  if (keys.consumerSecret === undefined) {
    throw new UsageError(`The consumer secret is missing, and ${keys.signatureMethod} signing needs it.`, {
      hint: 'Set consumerSecret in connector.yaml to env:NAME or keychain.',
    });
  }
  return keys.consumerSecret;
}

/** Returns the HMAC and PLAINTEXT key: `encode(consumer secret)&encode(token secret)` (section 3.4.2). */
export function signingKey(keys: OAuth1Keys): string {
  return `${percentEncode(consumerSecretFor(keys))}&${percentEncode(keys.tokenSecret ?? '')}`;
}

function rsaSha1Signature(baseString: string, keys: OAuth1Keys): string {
  if (keys.rsaPrivateKey === undefined) {
    throw new UsageError('The RSA private key is missing, and RSA-SHA1 signing needs it.', {
      hint: 'Set consumerSecret in connector.yaml to file:PATH pointing at a PEM private key.',
    });
  }

  try {
    return rsaSign('sha1', Buffer.from(baseString, 'utf8'), keys.rsaPrivateKey).toString('base64');
  } catch (error) {
    // OpenSSL's message names the problem (such as "unsupported" or "bad decrypt") and never the key.
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`The RSA private key could not be used for RSA-SHA1 signing: ${reason}.`, {
      hint: 'Use an unencrypted PEM private key (PKCS#1 "BEGIN RSA PRIVATE KEY" or PKCS#8 "BEGIN PRIVATE KEY").',
      cause: error,
    });
  }
}

/** Computes `oauth_signature` for a base string with the method in `keys` (sections 3.4.2 to 3.4.4). */
export function computeSignature(baseString: string, keys: OAuth1Keys): string {
  switch (keys.signatureMethod) {
    case 'HMAC-SHA1':
      return createHmac('sha1', signingKey(keys)).update(baseString, 'utf8').digest('base64');
    case 'HMAC-SHA256':
      return createHmac('sha256', signingKey(keys)).update(baseString, 'utf8').digest('base64');
    case 'PLAINTEXT':
      return signingKey(keys);
    case 'RSA-SHA1':
      return rsaSha1Signature(baseString, keys);
  }
}

/**
 * Builds the Authorization header value (section 3.5.1): `OAuth `, then each parameter as
 * `name="value"` with both parts percent-encoded, separated by `, `. A realm goes first and is
 * written as an RFC 2617 quoted string.
 */
export function authorizationHeaderValue(parameters: ReadonlyArray<readonly [string, string]>, realm?: string): string {
  const fields = parameters.map(([name, value]) => `${percentEncode(name)}="${percentEncode(value)}"`);
  if (realm !== undefined) fields.unshift(`realm="${realm.replace(/["\\]/g, '\\$&')}"`);
  return `OAuth ${fields.join(', ')}`;
}

/** Signs one request: its base string, its signature and the Authorization header that carries them. */
export function signRequest(request: RequestToSign, keys: OAuth1Keys, options: ProtocolOptions): SignedRequest {
  const parameters = protocolParametersFor(keys, options);
  const baseString = signatureBaseString(request.method, request.url, request.formBody, parameters);
  const signature = computeSignature(baseString, keys);
  const protocolParameters: Array<[string, string]> = [...parameters, ['oauth_signature', signature]];
  return {
    baseString,
    signature,
    protocolParameters,
    authorization: authorizationHeaderValue(protocolParameters, options.realm),
  };
}

/** Returns a random `oauth_nonce`: 16 random bytes as 32 hex digits, which need no percent-encoding. */
export function randomNonce(): string {
  return randomBytes(16).toString('hex');
}

/** Returns a fresh timestamp (whole seconds since the epoch) and nonce for one request. */
export function freshTimestampAndNonce(
  clock: Clock,
  nonce: () => string = randomNonce,
): Pick<ProtocolOptions, 'timestamp' | 'nonce'> {
  return { timestamp: String(Math.floor(clock.now() / 1000)), nonce: nonce() };
}
