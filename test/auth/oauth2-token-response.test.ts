import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AuthorizationError, OperationError } from '../../src/cli/errors.js';
import type { ScopeDelimiter } from '../../src/definition/types.js';
import type { TextResponse } from '../../src/auth/http.js';
import { INVALID_RESPONSE, parseTokenResponse, tokenError, type TokenFailure, type TokenResponse } from '../../src/auth/oauth2/token-response.js';

const TOKEN_URL = 'https://accounts.zylker.example/oauth/v2/token';

interface Fixture {
  name: string;
  status: number;
  contentType: string;
  body: string;
  delimiter?: ScopeDelimiter;
  requested?: string[];
}

function parse(fixture: Fixture): TokenResponse {
  const response: TextResponse = {
    url: TOKEN_URL,
    status: fixture.status,
    statusText: '',
    headers: new Headers({ 'Content-Type': fixture.contentType }),
    mediaType: fixture.contentType.split(';')[0]?.trim().toLowerCase() ?? '',
    text: fixture.body,
  };
  return parseTokenResponse(response, {
    requestedScopes: fixture.requested ?? [],
    scopeDelimiter: fixture.delimiter ?? 'space',
    defaultExpiresIn: 3600,
  });
}

// Responses as providers send them: RFC 6749 ones, and the deviations the parser tolerates.
const FIXTURES = {
  fullJson: {
    name: 'JSON with every field',
    status: 200,
    contentType: 'application/json',
    body: '{"access_token":"AT","token_type":"Bearer","expires_in":3600,"refresh_token":"RT","scope":"files.read files.write"}',
    delimiter: 'space',
  },
  expiresAsString: {
    name: 'expires_in as a string',
    status: 200,
    contentType: 'application/json',
    body: '{"token_type":"Bearer","expires_in":"3599","access_token":"AT","refresh_token":"RT"}',
  },
  emptyScope: {
    name: 'no refresh token, no expires_in, empty scope',
    status: 200,
    contentType: 'application/json',
    body: '{"access_token":"AT","token_type":"bearer","scope":""}',
  },
  formBody: {
    name: 'form-encoded body with comma-separated scopes',
    status: 200,
    contentType: 'application/x-www-form-urlencoded; charset=utf-8',
    body: 'access_token=AT&scope=repo%2Cgist&token_type=bearer',
    delimiter: 'comma',
  },
  formErrorIn200: {
    name: 'form-encoded error with status 200',
    status: 200,
    contentType: 'application/x-www-form-urlencoded',
    body: 'error=bad_verification_code&error_description=The+code+passed+is+incorrect+or+expired.',
  },
  jsonError400: {
    name: 'RFC 6749 error with status 400',
    status: 400,
    contentType: 'application/json',
    body: '{"error":"invalid_grant","error_description":"Authorization code expired"}',
  },
  scopesReordered: {
    name: 'granted scopes in another order',
    status: 200,
    contentType: 'application/json',
    body: '{"access_token":"AT","token_type":"Bearer","scope":"profile email openid"}',
    requested: ['openid', 'email', 'profile'],
  },
  scopeMissing: {
    name: 'fewer scopes granted than requested',
    status: 200,
    contentType: 'application/json',
    body: '{"access_token":"AT","token_type":"Bearer","scope":"openid"}',
    requested: ['openid', 'email'],
  },
  htmlBadGateway: {
    name: 'HTML error page from a proxy',
    status: 502,
    contentType: 'text/html',
    body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
  },
} satisfies Record<string, Fixture>;

function expectSuccess(result: TokenResponse): Extract<TokenResponse, { ok: true }> {
  if (!result.ok) throw new Error(`expected a token, got ${result.message}`);
  return result;
}

function expectFailure(result: TokenResponse): TokenFailure {
  if (result.ok) throw new Error('expected a failure, got a token');
  return result;
}

describe('parseTokenResponse fixtures', () => {
  it('reads JSON with every field', () => {
    const result = expectSuccess(parse(FIXTURES.fullJson));

    expect(result.accessToken).toBe('AT');
    expect(result.refreshToken).toBe('RT');
    expect(result.tokenType).toBe('Bearer');
    expect(result.expiresInSeconds).toBe(3600);
    expect(result.grantedScopes).toEqual(['files.read', 'files.write']);
  });

  it('reads expires_in given as a string', () => {
    const result = expectSuccess(parse(FIXTURES.expiresAsString));

    expect(result.expiresInSeconds).toBe(3599);
    expect(result.expiryAssumed).toBe(false);
    expect(result.refreshToken).toBe('RT');
  });

  it('applies defaults to an empty scope and no expires_in', () => {
    const result = expectSuccess(parse(FIXTURES.emptyScope));

    expect(result.refreshToken).toBeNull();
    expect(result.expiresInSeconds).toBe(3600);
    expect(result.expiryAssumed).toBe(true);
    expect(result.grantedScopes).toEqual([]);
    expect(result.tokenType).toBe('bearer');
  });

  it('reads a form-encoded body', () => {
    const result = expectSuccess(parse(FIXTURES.formBody));

    expect(result.accessToken).toBe('AT');
    expect(result.grantedScopes).toEqual(['repo', 'gist']);
    expect(result.expiresInSeconds).toBe(3600);
  });

  it('treats error in a 200 form body as a failure', () => {
    const result = expectFailure(parse(FIXTURES.formErrorIn200));

    expect(result.error).toBe('bad_verification_code');
    expect(result.errorDescription).toBe('The code passed is incorrect or expired.');
    expect(result.status).toBe(200);
  });

  it('reads an RFC 6749 error on 400', () => {
    const result = expectFailure(parse(FIXTURES.jsonError400));

    expect(result.error).toBe('invalid_grant');
    expect(result.errorDescription).toBe('Authorization code expired');
    expect(result.message).toBe(`The token endpoint ${TOKEN_URL} returned error "invalid_grant" (HTTP 400): Authorization code expired.`);
  });

  it('compares granted scopes as a set', () => {
    const result = expectSuccess(parse(FIXTURES.scopesReordered));

    expect(result.grantedScopes).toEqual(['profile', 'email', 'openid']);
    expect(result.missingScopes).toEqual([]);
  });

  it('reports scopes not granted', () => {
    const result = expectSuccess(parse(FIXTURES.scopeMissing));

    expect(result.grantedScopes).toEqual(['openid']);
    expect(result.missingScopes).toEqual(['email']);
  });

  it('names the status and URL for an HTML page', () => {
    const result = expectFailure(parse(FIXTURES.htmlBadGateway));

    expect(result.error).toBe(INVALID_RESPONSE);
    expect(result.status).toBe(502);
    expect(result.message).toContain('502');
    expect(result.message).toContain(TOKEN_URL);
    expect(result.message).toContain('502 Bad Gateway');
    expect(result.message).not.toContain('<html>');
    expect(result.message).not.toContain('<h1>');
  });
});

describe('parseTokenResponse deviations', () => {
  it('takes the requested scopes when scope is absent', () => {
    const result = expectSuccess(
      parse({ name: '', status: 200, contentType: 'application/json', body: '{"access_token":"AT"}', requested: ['a', 'b'] }),
    );

    expect(result.grantedScopes).toEqual(['a', 'b']);
    expect(result.missingScopes).toEqual([]);
    expect(result.tokenType).toBe('Bearer');
  });

  it('splits space-separated scopes under the comma delimiter', () => {
    const result = expectSuccess(
      parse({ name: '', status: 200, contentType: 'application/json', body: '{"access_token":"AT","scope":"a b,c"}', delimiter: 'comma' }),
    );

    expect(result.grantedScopes).toEqual(['a', 'b', 'c']);
  });

  it('splits plus-separated scopes from JSON and form bodies', () => {
    const json = expectSuccess(
      parse({ name: '', status: 200, contentType: 'application/json', body: '{"access_token":"AT","scope":"a+b"}', delimiter: 'plus' }),
    );
    const form = expectSuccess(
      parse({ name: '', status: 200, contentType: 'application/x-www-form-urlencoded', body: 'access_token=AT&scope=a+b', delimiter: 'plus' }),
    );

    expect(json.grantedScopes).toEqual(['a', 'b']);
    expect(form.grantedScopes).toEqual(['a', 'b']);
  });

  it('accepts scopes as a JSON array', () => {
    const result = expectSuccess(
      parse({ name: '', status: 200, contentType: 'application/json', body: '{"access_token":"AT","scope":["a","b"]}', requested: ['a', 'c'] }),
    );

    expect(result.grantedScopes).toEqual(['a', 'b']);
    expect(result.missingScopes).toEqual(['c']);
  });

  it('detects a form body sent as text/plain', () => {
    const result = expectSuccess(
      parse({ name: '', status: 200, contentType: 'text/plain', body: 'access_token=AT&token_type=bearer&expires_in=60' }),
    );

    expect(result.accessToken).toBe('AT');
    expect(result.expiresInSeconds).toBe(60);
  });

  it('detects JSON sent as text/html', () => {
    const result = expectSuccess(parse({ name: '', status: 200, contentType: 'text/html', body: '{"access_token":"AT"}' }));

    expect(result.accessToken).toBe('AT');
  });

  it('keeps the id_token', () => {
    const result = expectSuccess(parse({ name: '', status: 200, contentType: 'application/json', body: '{"access_token":"AT","id_token":"a.b.c"}' }));

    expect(result.idToken).toBe('a.b.c');
  });

  it('ignores a non-numeric expires_in', () => {
    const result = expectSuccess(
      parse({ name: '', status: 200, contentType: 'application/json', body: '{"access_token":"AT","expires_in":"soon"}' }),
    );

    expect(result.expiresInSeconds).toBe(3600);
  });

  it('reads an error object with a message', () => {
    const result = expectFailure(
      parse({
        name: '',
        status: 400,
        contentType: 'application/json',
        body: '{"error":{"message":"Invalid verification code format.","type":"OAuthException","code":100}}',
      }),
    );

    expect(result.error).toBe('OAuthException');
    expect(result.errorDescription).toBe('Invalid verification code format.');
  });

  it('rejects a 200 without access_token', () => {
    const result = expectFailure(parse({ name: '', status: 200, contentType: 'application/json', body: '{"token_type":"Bearer"}' }));

    expect(result.error).toBe(INVALID_RESPONSE);
    expect(result.message).toContain('no access_token');
  });

  it('rejects an empty body with its status', () => {
    const result = expectFailure(parse({ name: '', status: 401, contentType: '', body: '' }));

    expect(result.error).toBe(INVALID_RESPONSE);
    expect(result.message).toContain('HTTP 401');
    expect(result.message).toContain('empty body');
  });

  it('rejects invalid JSON under a JSON content type', () => {
    const result = expectFailure(parse({ name: '', status: 200, contentType: 'application/json', body: '{"access_token":' }));

    expect(result.error).toBe(INVALID_RESPONSE);
  });

  it('shortens a long HTML page to a snippet', () => {
    const body = `<html><body><p>${'Service unavailable. '.repeat(200)}</p></body></html>`;
    const result = expectFailure(parse({ name: '', status: 503, contentType: 'text/html', body }));

    expect(result.message.length).toBeLessThan(300);
  });

  it('removes control characters from a provider description', () => {
    const result = expectFailure(
      parse({ name: '', status: 400, contentType: 'application/json', body: '{"error":"invalid_request","error_description":"bad\\u001b[31m red\\nline"}' }),
    );

    expect(result.errorDescription).toBe('bad [31m red line');
  });
});

describe('parseTokenResponse on arbitrary input', () => {
  it('returns a result without throwing', () => {
    const body = fc.oneof(
      fc.string(),
      fc.json(),
      fc.dictionary(fc.constantFrom('access_token', 'error', 'scope', 'expires_in', 'refresh_token', 'error_description'), fc.jsonValue()).map((value) =>
        JSON.stringify(value),
      ),
    );
    const contentType = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/html', 'text/plain', '');

    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), contentType, body, (status, type, text) => {
        const result = parse({ name: '', status, contentType: type, body: text, requested: ['a'] });

        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) expect(result.message.length).toBeLessThan(1000);
      }),
    );
  });
});

describe('tokenError', () => {
  it('maps a provider rejection to AuthorizationError', () => {
    const failure = expectFailure(parse(FIXTURES.jsonError400));

    const error = tokenError(failure);

    expect(error).toBeInstanceOf(AuthorizationError);
    expect(error.message).toBe(failure.message);
    expect(error.hint).toBe('Run connector connect again.');
  });

  it('maps an unreadable response to OperationError', () => {
    const error = tokenError(expectFailure(parse(FIXTURES.htmlBadGateway)));

    expect(error).toBeInstanceOf(OperationError);
  });

  it('maps invalid_client to a hint about the credentials', () => {
    const failure = expectFailure(parse({ name: '', status: 401, contentType: 'application/json', body: '{"error":"invalid_client"}' }));

    expect(tokenError(failure).hint).toContain('auth.clientId');
  });
});
