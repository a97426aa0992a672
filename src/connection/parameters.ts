import type { Connector } from '../definition/types.js';

/** The `auth` fields that hold URLs and may contain `{key}` placeholders. */
export const URL_FIELDS = [
  'authorizationUrl',
  'deviceAuthorizationUrl',
  'tokenUrl',
  'refreshTokenUrl',
  'revokeTokenUrl',
  'requestTokenUrl',
  'accessTokenUrl',
] as const;

/**
 * Returns a copy of the connector with `{key}` placeholders in its URLs (and in the extra
 * authorization and token parameters) replaced by the connection's parameter values. Values
 * are percent-encoded so a value cannot add a path segment or a query to the URL.
 */
export function withParameters(connector: Connector, values: Record<string, string>): Connector {
  const fill = (text: string) => text.replace(/\{([^{}]*)\}/g, (whole, key: string) => (key in values ? encodeURIComponent(values[key]!) : whole));
  const fillPlain = (text: string) => text.replace(/\{([^{}]*)\}/g, (whole, key: string) => values[key] ?? whole);
  const copy = structuredClone(connector);

  if (copy.baseUrl) copy.baseUrl = fill(copy.baseUrl);
  if (copy.test) copy.test.url = fill(copy.test.url);
  const auth = copy.auth as unknown as Record<string, unknown>;
  for (const field of URL_FIELDS) {
    if (typeof auth[field] === 'string') auth[field] = fill(auth[field] as string);
  }
  for (const group of ['authorizationParams', 'tokenParams']) {
    const params = auth[group] as Record<string, string> | undefined;
    if (params) for (const key of Object.keys(params)) params[key] = fillPlain(params[key]!);
  }
  return copy;
}
