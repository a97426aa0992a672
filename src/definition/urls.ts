/** The URL rule of connector files: absolute https with a host; http only for loopback hosts. */

const PLACEHOLDER = /\{([^{}]*)\}/g;

export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Checks one URL field; returns a problem in plain words, or undefined when the URL is fine.
 * `{key}` placeholders are replaced by a letter before parsing, so they may stand in the host.
 */
export function checkUrl(field: string, value: string, example: string): string | undefined {
  const filled = value.replace(PLACEHOLDER, 'x');
  if (!/^[a-z][a-z0-9+.-]*:/i.test(filled)) {
    const suggestion = /^[\w.-]+\.[a-z]{2,}(?::\d+)?(\/|$)/i.test(value) ? `https://${value}` : example;
    return `${field} must be an absolute https URL; it has no scheme. Write it as ${suggestion}`;
  }

  let url: URL;
  try {
    url = new URL(filled);
  } catch {
    return `${field} is not a valid URL (${JSON.stringify(value)}), e.g. ${example}`;
  }

  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return undefined;
    return `${field} must use https; http is allowed only for loopback addresses such as 127.0.0.1. Write it as ${value.replace(/^http:/i, 'https:')}`;
  }
  if (url.protocol !== 'https:') return `${field} must be an absolute https URL, e.g. ${example} (got the scheme ${url.protocol})`;
  if (url.hostname === '') return `${field} must name a host, e.g. ${example}`;
  if (url.username !== '' || url.password !== '') return `${field} must not hold a user name or password; put credentials in the auth section`;
  if (url.hash !== '') return `${field} must not have a #fragment`;
  return undefined;
}

/** A pinned redirect URI must reach the loopback server: http, 127.0.0.1 or [::1], a port (RFC 8252 section 7.3). */
export function checkRedirectUri(field: string, value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${field} is not a valid URL (${JSON.stringify(value)}), e.g. http://127.0.0.1:8765/callback`;
  }
  if (url.hostname === 'localhost') {
    return `${field} must use the IP literal 127.0.0.1, not localhost (RFC 8252 section 8.3), e.g. ${value.replace('localhost', '127.0.0.1')}`;
  }
  if (url.protocol !== 'http:' || (url.hostname !== '127.0.0.1' && url.hostname !== '[::1]')) {
    return `${field} must be a loopback http URL that connector can listen on, e.g. http://127.0.0.1:8765/callback`;
  }
  if (url.port === '') return `${field} must name a port, e.g. http://127.0.0.1:8765${url.pathname}`;
  if (url.search !== '' || url.hash !== '') return `${field} must not have a query or fragment`;
  return undefined;
}
