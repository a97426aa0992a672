import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { applyClientAuthentication, basicAuthorization } from '../../src/auth/oauth2/client-auth.js';
import { joinScopes, splitScopes } from '../../src/auth/oauth2/config.js';
import { codeChallengeS256, createCodeVerifier, createPkcePair } from '../../src/auth/oauth2/pkce.js';

describe('PKCE S256', () => {
  it('matches the RFC 7636 appendix B vector', () => {
    expect(codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('creates 43-character unreserved verifiers', () => {
    const verifiers = Array.from({ length: 50 }, () => createCodeVerifier());

    for (const verifier of verifiers) expect(verifier).toMatch(/^[A-Za-z0-9\-._~]{43}$/);
    expect(new Set(verifiers).size).toBe(50);
  });

  it('pairs a verifier with its challenge', () => {
    const pair = createPkcePair();

    expect(pair.codeChallengeMethod).toBe('S256');
    expect(pair.codeChallenge).toBe(codeChallengeS256(pair.codeVerifier));
    expect(pair.codeChallenge).toMatch(/^[\w-]{43}$/);
  });

  it('rejects verifiers outside 43 to 128 unreserved characters', () => {
    expect(() => codeChallengeS256('a'.repeat(42))).toThrow(RangeError);
    expect(() => codeChallengeS256('a'.repeat(129))).toThrow(RangeError);
    expect(() => codeChallengeS256(`${'a'.repeat(42)}+`)).toThrow(RangeError);
    expect(codeChallengeS256('a'.repeat(128))).toMatch(/^[\w-]{43}$/);
  });
});

describe('client authentication', () => {
  it('encodes the RFC 6749 basic example', () => {
    expect(basicAuthorization('s6BhdRkqt3', '7Fjfp0ZBr1KtDRbnfVdmIw')).toBe('Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3');
  });

  it('form-encodes the secret before base64', () => {
    const header = basicAuthorization('id', 'a b:c');

    expect(header).toBe('Basic aWQ6YStiJTNBYw==');
    expect(Buffer.from(header.slice('Basic '.length), 'base64').toString()).toBe('id:a+b%3Ac');
  });

  it('round-trips any client ID and secret through form decoding', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (id, secret) => {
        const decoded = Buffer.from(basicAuthorization(id, secret).slice('Basic '.length), 'base64').toString('utf8');
        const parts = decoded.split(':');

        expect(parts).toHaveLength(2);
        expect(new URLSearchParams(`value=${parts[0]}`).get('value')).toBe(id);
        expect(new URLSearchParams(`value=${parts[1]}`).get('value')).toBe(secret);
      }),
    );
  });

  it('sends basic credentials in the header only', () => {
    const request = { params: {} as Record<string, string>, headers: {} as Record<string, string> };

    applyClientAuthentication({ clientId: 'id', clientSecret: 'secret', method: 'basic' }, request);

    expect(request.headers.Authorization).toBe(basicAuthorization('id', 'secret'));
    expect(request.params).toEqual({});
  });

  it('sends body credentials as parameters', () => {
    const request = { params: {} as Record<string, string>, headers: {} as Record<string, string> };

    applyClientAuthentication({ clientId: 'id', clientSecret: 'secret', method: 'body' }, request);

    expect(request.params).toEqual({ client_id: 'id', client_secret: 'secret' });
    expect(request.headers).toEqual({});
  });

  it('sends only client_id for a public client', () => {
    for (const method of ['body', 'basic'] as const) {
      const request = { params: {} as Record<string, string>, headers: {} as Record<string, string> };

      applyClientAuthentication({ clientId: 'id', method }, request);

      expect(request.params).toEqual({ client_id: 'id' });
      expect(request.headers).toEqual({});
    }
  });
});

describe('scope parameters', () => {
  it('joins scopes with the delimiter', () => {
    expect(joinScopes(['a', 'b'], 'comma', 'form')).toBe('a,b');
    expect(joinScopes(['a', 'b'], 'space', 'form')).toBe('a b');
    expect(joinScopes(['a', 'b'], 'plus', 'json')).toBe('a+b');
  });

  it('joins plus-delimited scopes with a space for form encoding', () => {
    const encoded = new URLSearchParams({ scope: joinScopes(['a', 'b'], 'plus', 'form') }).toString();

    expect(encoded).toBe('scope=a+b');
  });

  it('splits and deduplicates granted scopes', () => {
    expect(splitScopes(' a  b a ', 'space')).toEqual(['a', 'b']);
    expect(splitScopes('a,b c', 'comma')).toEqual(['a', 'b', 'c']);
    expect(splitScopes('a+b c', 'plus')).toEqual(['a', 'b', 'c']);
    expect(splitScopes('', 'comma')).toEqual([]);
  });
});
