import { describe, expect, it } from 'vitest';

import { AuthorizationError, OperationError } from '../../src/cli/errors.js';
import type { TextResponse } from '../../src/auth/http.js';
import { readCredentialsResponse } from '../../src/auth/oauth1/credentials-response.js';

function response(status: number, mediaType: string, text: string): TextResponse {
  return {
    url: 'https://api.zylker.com/oauth/access_token',
    status,
    statusText: '',
    headers: new Headers(mediaType === '' ? {} : { 'Content-Type': mediaType }),
    mediaType,
    text,
  };
}

describe('readCredentialsResponse', () => {
  it('reads a form body', () => {
    const read = readCredentialsResponse(
      response(200, 'application/x-www-form-urlencoded', 'oauth_token=t1&oauth_token_secret=s1&screen_name=a+b'),
      'token credentials',
    );
    expect(read).toEqual({ token: 't1', tokenSecret: 's1', fields: { screen_name: 'a b' } });
  });

  it('reads a form body sent as text/html', () => {
    const read = readCredentialsResponse(response(200, 'text/html', 'oauth_token=t1&oauth_token_secret=s1'), 'token credentials');
    expect(read.token).toBe('t1');
  });

  it('reads JSON and turns values into strings', () => {
    const read = readCredentialsResponse(
      response(200, 'application/json', '{"oauth_token":"t1","oauth_token_secret":"s1","user_id":6253282,"oauth_callback_confirmed":true}'),
      'temporary credentials',
    );
    expect(read.fields).toEqual({ user_id: '6253282', oauth_callback_confirmed: 'true' });
  });

  it('rejects a 401 with its oauth_problem', () => {
    const read = () =>
      readCredentialsResponse(response(401, 'application/x-www-form-urlencoded', 'oauth_problem=token_expired'), 'token credentials');
    expect(read).toThrow(AuthorizationError);
    expect(read).toThrow(
      'The token credentials request to https://api.zylker.com/oauth/access_token failed with HTTP 401 (oauth_problem=token_expired).',
    );
  });

  it('rejects an oauth_problem sent with 200', () => {
    const read = () =>
      readCredentialsResponse(response(200, 'application/x-www-form-urlencoded', 'oauth_problem=nonce_used'), 'token credentials');
    expect(read).toThrow(AuthorizationError);
  });

  it('shortens an HTML error page', () => {
    const page = `<html><body><h1>502 Bad Gateway</h1>${'<p>padding</p>'.repeat(50)}</body></html>`;
    const error = (() => {
      try {
        readCredentialsResponse(response(502, 'text/html', page), 'token credentials');
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(OperationError);
    expect(error?.message).toContain('HTTP 502 (502 Bad Gateway padding');
    expect(error?.message).not.toContain('<h1>');
    expect(error?.message.length).toBeLessThan(250);
  });

  it('names the fields of a body without a token secret', () => {
    const read = () => readCredentialsResponse(response(200, 'application/json', '{"oauth_token":"t1","expires":"soon"}'), 'token credentials');
    expect(read).toThrow(/lacks oauth_token or oauth_token_secret \(fields present: oauth_token, expires\)/);
  });

  it('rejects an unreadable 200 body', () => {
    const read = () => readCredentialsResponse(response(200, 'text/plain', 'all good'), 'token credentials');
    expect(read).toThrow(/is neither form-encoded nor JSON \(HTTP 200, text\/plain\): all good/);
  });
});
