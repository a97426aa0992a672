/**
 * The signature base string of RFC 5849 section 3.4.1: the request method, the base string URI
 * and the normalized request parameters, each percent-encoded and joined with `&`.
 */

import { encodedFormParameters, percentEncode, type EncodedParameter } from './percent-encode.js';

/**
 * Returns the base string URI (section 3.4.1.2): scheme and host in lower case, the port only
 * when it is not the scheme's default, the path, and no query, fragment or user info.
 * The WHATWG `URL` parser already lower-cases the scheme and host and drops a default port.
 */
export function baseStringUri(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * Collects the request parameters (section 3.4.1.3.1) from the query and, when given, the form
 * body, followed by the protocol parameters. Names and values come back encoded.
 * `oauth_signature` is left out wherever it appears, and `realm` is never among the protocol
 * parameters, because both only travel in the Authorization header.
 */
export function collectParameters(
  url: URL,
  formBody: string | undefined,
  protocolParameters: ReadonlyArray<readonly [string, string]>,
): EncodedParameter[] {
  const query = url.search.startsWith('?') ? url.search.slice(1) : url.search;
  const fromRequest = [...encodedFormParameters(query), ...encodedFormParameters(formBody ?? '')];
  const fromProtocol = protocolParameters
    .filter(([name]) => name !== 'realm')
    .map(([name, value]) => ({ name: percentEncode(name), value: percentEncode(value) }));

  return [...fromRequest, ...fromProtocol].filter((parameter) => parameter.name !== 'oauth_signature');
}

/**
 * Sorts encoded parameters by name, then by value, in ascending byte order, and joins them as
 * `name=value` pairs with `&` (section 3.4.1.3.2). The encoded text is ASCII, so comparing
 * UTF-16 code units is comparing bytes.
 */
export function normalizeParameters(parameters: readonly EncodedParameter[]): string {
  const sorted = [...parameters].sort((left, right) => {
    if (left.name !== right.name) return left.name < right.name ? -1 : 1;
    if (left.value !== right.value) return left.value < right.value ? -1 : 1;
    return 0;
  });
  return sorted.map(({ name, value }) => `${name}=${value}`).join('&');
}

/** Builds the signature base string from the request method, URL, form body and protocol parameters. */
export function signatureBaseString(
  method: string,
  url: URL,
  formBody: string | undefined,
  protocolParameters: ReadonlyArray<readonly [string, string]>,
): string {
  const normalized = normalizeParameters(collectParameters(url, formBody, protocolParameters));
  return [method.toUpperCase(), baseStringUri(url), normalized].map((part) => percentEncode(part)).join('&');
}
