import { describe, expect, it } from 'vitest';

import type { Fetch } from '../../src/cli/deps.js';
import { addTraceSecrets, createTracingFetch, REDACTED, Redactor } from '../../src/cli/trace.js';

describe('Redactor', () => {
  const redactor = new Redactor();

  it.each([
    ['Authorization', 'Bearer eyJhbGciOi.payload.signature', `Bearer ${REDACTED}`],
    ['Authorization', 'OAuth oauth_consumer_key="ck", oauth_signature="c2ln"', `OAuth ${REDACTED}`],
    ['Proxy-Authorization', 'Basic dXNlcjpwYXNz', `Basic ${REDACTED}`],
    ['Cookie', 'sid=abc123; theme=dark', `sid=${REDACTED}; theme=${REDACTED}`],
    ['Set-Cookie', 'sid=abc123; Path=/; HttpOnly', `sid=${REDACTED}; Path=/; HttpOnly`],
    ['X-Api-Key', 'k-123456', REDACTED],
    ['X-Auth-Token', 't-123456', REDACTED],
  ])('redacts the %s header', (name, value, expected) => {
    expect(redactor.header(name, value)).toBe(expected);
  });

  it.each([
    ['WWW-Authenticate', 'Bearer error="invalid_token"'],
    ['Content-Type', 'application/json'],
  ])('keeps the %s header', (name, value) => {
    expect(redactor.header(name, value)).toBe(value);
  });

  it('redacts credentials in a query string', () => {
    const url = redactor.url('https://api.zylker.test/v1/files?access_token=at1&page=2&client_secret=cs1&code=c1&code_verifier=v1');

    expect(url).toBe(`https://api.zylker.test/v1/files?access_token=${REDACTED}&page=2&client_secret=${REDACTED}&code=${REDACTED}&code_verifier=${REDACTED}`);
  });

  it('drops a user name and password from a URL', () => {
    expect(redactor.url('https://user:pa55@api.zylker.test/v1')).toBe('https://api.zylker.test/v1');
  });

  it('redacts a form body by field name', () => {
    const body = redactor.body('grant_type=refresh_token&refresh_token=rt1&client_id=app&client_secret=cs1&password=pw1', 'application/x-www-form-urlencoded');

    expect(body).toBe(`grant_type=refresh_token&refresh_token=${REDACTED}&client_id=app&client_secret=${REDACTED}&password=${REDACTED}`);
  });

  it('redacts nested JSON fields and keeps descriptive ones', () => {
    const body = redactor.body(
      JSON.stringify({ access_token: 'at1', token_type: 'Bearer', expires_in: 3600, user: { name: 'Ada', apiKey: 'k1', session: { id: 's1' } } }),
      'application/json',
    );

    expect(JSON.parse(body)).toEqual({ access_token: REDACTED, token_type: 'Bearer', expires_in: 3600, user: { name: 'Ada', apiKey: REDACTED, session: { id: 's1' } } });
  });

  it('redacts a cut-off JSON body', () => {
    expect(redactor.body('{"refresh_token": "rt-abc", "id_token": "eyJ', 'application/json')).toBe(`{"refresh_token": "${REDACTED}", "id_token": "${REDACTED}"`);
  });

  it('redacts OAuth 1.0a credentials in a form response', () => {
    const body = redactor.body('oauth_token=t1&oauth_token_secret=s1&oauth_verifier=v1&user_id=42', 'text/plain');

    expect(body).toBe(`oauth_token=${REDACTED}&oauth_token_secret=${REDACTED}&oauth_verifier=${REDACTED}&user_id=42`);
  });

  it('hides a known secret in its encoded forms', () => {
    const known = new Redactor();
    known.add(['a b/c+d!']);

    expect(known.text('raw a b/c+d! uri a%20b%2Fc%2Bd! form a+b%2Fc%2Bd%21 rfc a%20b%2Fc%2Bd%21')).toBe(`raw ${REDACTED} uri ${REDACTED} form ${REDACTED} rfc ${REDACTED}`);
  });

  it('ignores known secrets shorter than four characters', () => {
    const known = new Redactor();
    known.add(['ab']);

    expect(known.text('abc')).toBe('abc');
  });

  it('shortens a long body', () => {
    expect(redactor.body('x'.repeat(5000), 'text/plain')).toMatch(/^x{2000}\.\.\. \(3000 more characters\)$/);
  });
});

describe('createTracingFetch', () => {
  function traced(respond: (url: string, init?: RequestInit) => Response | Promise<Response>): { fetch: Fetch; trace: () => string } {
    let text = '';
    const inner = (async (input: string | URL | Request, init?: RequestInit) => respond(String(input), init)) as Fetch;
    const fetch = createTracingFetch(inner, { stream: { write: (chunk) => (text += String(chunk)) }, clock: { now: () => 0 } });
    return { fetch, trace: () => text };
  }

  it('writes the request and the response', async () => {
    const { fetch, trace } = traced(() => new Response('{"ok":true}', { status: 201, statusText: 'Created', headers: { 'Content-Type': 'application/json' } }));

    const response = await fetch('https://api.zylker.test/v1/files?page=1', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Bearer at-secret' },
      body: 'name=report&client_secret=cs-secret',
    });
    await response.text();

    expect(trace()).toBe(
      [
        '* POST https://api.zylker.test/v1/files?page=1',
        `> authorization: Bearer ${REDACTED}`,
        '> content-type: application/x-www-form-urlencoded',
        '> ',
        `> name=report&client_secret=${REDACTED}`,
        '< HTTP 201 Created (0 ms)',
        '< content-type: application/json',
        '< ',
        '< {"ok":true}',
        '',
      ].join('\n'),
    );
  });

  it('passes a large body through unchanged', async () => {
    const bytes = Buffer.alloc(1024 * 1024, 'connector');
    const { fetch, trace } = traced(() => new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } }));

    const response = await fetch('https://api.zylker.test/v1/blob');
    const received = Buffer.from(await response.arrayBuffer());

    expect(received.equals(bytes)).toBe(true);
    expect(trace()).toMatch(/< \[\d+\+ bytes of application\/octet-stream\]\n$/);
  });

  it('keeps the status and headers of the response', async () => {
    const { fetch } = traced(() => new Response(null, { status: 302, headers: { Location: '/next' } }));

    const response = await fetch('https://api.zylker.test/v1/old', { redirect: 'manual' });

    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/next');
  });

  it('hides registered secrets anywhere', async () => {
    const { fetch, trace } = traced(() => new Response('your key is key-0123456789', { headers: { 'Content-Type': 'text/plain' } }));
    addTraceSecrets(fetch, ['key-0123456789']);

    await (await fetch('https://api.zylker.test/v1/files?zid=key-0123456789', { headers: { 'X-Zylker-Id': 'key-0123456789' } })).text();

    expect(trace()).not.toContain('key-0123456789');
    expect(trace()).toContain(`?zid=${REDACTED}`);
  });

  it('writes a failed request', async () => {
    const { fetch, trace } = traced(() => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    });

    await expect(fetch('http://127.0.0.1:9/v1')).rejects.toThrow('fetch failed');

    expect(trace()).toContain('< failed after 0 ms: fetch failed: connect ECONNREFUSED 127.0.0.1:9');
  });

  it('does nothing for a fetch that does not trace', () => {
    expect(() => addTraceSecrets(globalThis.fetch, ['secret-value'])).not.toThrow();
  });
});
