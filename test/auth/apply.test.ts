import { generateKeyPairSync } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuthorizationError, UsageError } from '../../src/cli/errors.js';
import type { ApiKeyAuth, Auth, Connector, OAuth1Auth, OAuth2Auth, SignatureMethod } from '../../src/definition/types.js';
import type { StoredCredential } from '../../src/auth/credential.js';
import { applyCredential, authorizationHeader, type OutgoingRequest } from '../../src/auth/apply.js';
import { authorizeOAuth1 } from '../../src/auth/oauth1/flow.js';
import { actAsUser, startOAuth1Provider, type OAuth1Provider } from '../support/oauth1-provider.js';

const clock = { now: () => Date.now() };

function connectorWith(auth: Auth): Connector {
  return { schemaVersion: 1, name: 'Zylker Files', linkName: 'zylker_files', stage: 'ready', auth };
}

function request(overrides: Partial<OutgoingRequest> = {}): OutgoingRequest {
  return { method: 'GET', url: new URL('https://api.zylker.com/v1/files?page=2'), headers: new Headers(), ...overrides };
}

const basicAuth: Auth = { type: 'basic', username: { name: 'User name', key: 'username' }, password: { name: 'Password', key: 'password' } };

const oauth2Auth: OAuth2Auth = {
  type: 'oauth2',
  grantType: 'authorizationCode',
  clientId: '1000.ABC',
  tokenUrl: 'https://accounts.zylker.com/oauth/v2/token',
  bearerName: 'Zoho-oauthtoken',
  expiresIn: 3600,
  pkce: true,
  clientAuthentication: 'body',
  tokenRequestFormat: 'form',
};

const oauth2Credential: StoredCredential = { type: 'oauth2', accessToken: '1000.at.xyz', tokenType: 'Bearer' };

function apiKeyAuth(location: ApiKeyAuth['location'], parameters: ApiKeyAuth['parameters'] = [{ name: 'API key', key: 'X-Api-Key' }]): ApiKeyAuth {
  return { type: 'apiKey', location, parameters };
}

const apiKeyCredential: StoredCredential = { type: 'apiKey', values: { 'X-Api-Key': 'k 1&2', Authorization: 'tok' } };

describe('applyCredential with Basic', () => {
  it('encodes user name and password as UTF-8', () => {
    const applied = applyCredential(
      request(),
      connectorWith(basicAuth),
      { type: 'basic', username: 'Aladdin', password: 'open sesame' },
      {},
      { clock },
    );
    expect(applied.headers.get('authorization')).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  });

  it('encodes non-ASCII characters as UTF-8', () => {
    const applied = applyCredential(request(), connectorWith(basicAuth), { type: 'basic', username: 'test', password: '123£' }, {}, { clock });
    expect(applied.headers.get('authorization')).toBe('Basic dGVzdDoxMjPCow==');
  });

  it('rejects a colon in the user name', () => {
    const apply = () => applyCredential(request(), connectorWith(basicAuth), { type: 'basic', username: 'a:b', password: 'p' }, {}, { clock });
    expect(apply).toThrow(AuthorizationError);
  });

  it('leaves the input request unchanged', () => {
    const original = request();
    applyCredential(original, connectorWith(basicAuth), { type: 'basic', username: 'u', password: 'p' }, {}, { clock });
    expect(original.headers.has('authorization')).toBe(false);
  });
});

describe('applyCredential with OAuth 2.0', () => {
  it('sends the bearer name and access token', () => {
    const applied = applyCredential(request(), connectorWith(oauth2Auth), oauth2Credential, {}, { clock });
    expect(applied.headers.get('authorization')).toBe('Zoho-oauthtoken 1000.at.xyz');
  });

  it('falls back to Bearer for an empty bearer name', () => {
    const applied = applyCredential(request(), connectorWith({ ...oauth2Auth, bearerName: '' }), oauth2Credential, {}, { clock });
    expect(applied.headers.get('authorization')).toBe('Bearer 1000.at.xyz');
  });

  it('rejects a token with a line break', () => {
    const credential: StoredCredential = { type: 'oauth2', accessToken: 'a\r\nX-Injected: 1', tokenType: 'Bearer' };
    const apply = () => applyCredential(request(), connectorWith(oauth2Auth), credential, {}, { clock });
    expect(apply).toThrow(UsageError);
  });

  it('keeps the token out of the header error', () => {
    const credential: StoredCredential = { type: 'oauth2', accessToken: 'secret\nvalue', tokenType: 'Bearer' };
    const apply = () => applyCredential(request(), connectorWith(oauth2Auth), credential, {}, { clock });
    expect(apply).not.toThrow(/secret/);
  });
});

describe('applyCredential with an API key', () => {
  it('sets a header', () => {
    const applied = applyCredential(request(), connectorWith(apiKeyAuth('header')), apiKeyCredential, {}, { clock });
    expect(applied.headers.get('x-api-key')).toBe('k 1&2');
  });

  it('puts the prefix before the value', () => {
    const auth = apiKeyAuth('header', [{ name: 'Token', key: 'Authorization', prefix: 'Token ' }]);
    const applied = applyCredential(request(), connectorWith(auth), apiKeyCredential, {}, { clock });
    expect(applied.headers.get('authorization')).toBe('Token tok');
  });

  it('sets every parameter', () => {
    const auth = apiKeyAuth('header', [
      { name: 'API key', key: 'X-Api-Key' },
      { name: 'Token', key: 'Authorization', prefix: 'Bearer ' },
    ]);
    const applied = applyCredential(request(), connectorWith(auth), apiKeyCredential, {}, { clock });
    expect([...applied.headers]).toEqual([
      ['authorization', 'Bearer tok'],
      ['x-api-key', 'k 1&2'],
    ]);
  });

  it('appends to the query, keeping other parameters as written', () => {
    const original = request({ url: new URL('https://api.zylker.com/v1/files?q=a+b&x=%7e') });
    const applied = applyCredential(original, connectorWith(apiKeyAuth('query')), apiKeyCredential, {}, { clock });
    expect(applied.url.search).toBe('?q=a+b&x=%7e&X-Api-Key=k%201%262');
  });

  it('replaces a query parameter of the same name', () => {
    const original = request({ url: new URL('https://api.zylker.com/v1/files?X-Api-Key=old&page=2') });
    const applied = applyCredential(original, connectorWith(apiKeyAuth('query')), apiKeyCredential, {}, { clock });
    expect(applied.url.searchParams.getAll('X-Api-Key')).toEqual(['k 1&2']);
  });

  it('creates a form body when there is none', () => {
    const applied = applyCredential(request({ method: 'POST' }), connectorWith(apiKeyAuth('form')), apiKeyCredential, {}, { clock });
    expect(applied.body).toBe('X-Api-Key=k%201%262');
    expect(applied.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
  });

  it('merges into a form body', () => {
    const original = request({ method: 'POST', body: 'name=report.pdf', contentType: 'application/x-www-form-urlencoded; charset=utf-8' });
    const applied = applyCredential(original, connectorWith(apiKeyAuth('form')), apiKeyCredential, {}, { clock });
    expect(applied.body).toBe('name=report.pdf&X-Api-Key=k%201%262');
  });

  it('merges into a form body given as bytes', () => {
    const original = request({
      method: 'PUT',
      body: new TextEncoder().encode('a=1'),
      headers: new Headers({ 'Content-Type': 'application/x-www-form-urlencoded' }),
    });
    const applied = applyCredential(original, connectorWith(apiKeyAuth('form')), apiKeyCredential, {}, { clock });
    expect(applied.body).toBe('a=1&X-Api-Key=k%201%262');
  });

  it('rejects a JSON body for the form location', () => {
    const original = request({ method: 'POST', body: '{"a":1}', contentType: 'application/json' });
    const apply = () => applyCredential(original, connectorWith(apiKeyAuth('form')), apiKeyCredential, {}, { clock });
    expect(apply).toThrow(/request body is application\/json, not application\/x-www-form-urlencoded/);
  });

  it('rejects a body without a type for the form location', () => {
    const original = request({ method: 'POST', body: 'raw' });
    const apply = () => applyCredential(original, connectorWith(apiKeyAuth('form')), apiKeyCredential, {}, { clock });
    expect(apply).toThrow(UsageError);
  });

  it('rejects a GET for the form location', () => {
    const apply = () => applyCredential(request(), connectorWith(apiKeyAuth('form')), apiKeyCredential, {}, { clock });
    expect(apply).toThrow(/GET request cannot have a body/);
  });

  it('rejects a missing value', () => {
    const apply = () =>
      applyCredential(request(), connectorWith(apiKeyAuth('header')), { type: 'apiKey', values: {} }, {}, { clock });
    expect(apply).toThrow(/no value for the API key parameter "X-Api-Key"/);
  });

  it('rejects an invalid header name', () => {
    const auth = apiKeyAuth('header', [{ name: 'API key', key: 'X Api Key' }]);
    const apply = () => applyCredential(request(), connectorWith(auth), { type: 'apiKey', values: { 'X Api Key': 'k' } }, {}, { clock });
    expect(apply).toThrow(UsageError);
  });
});

describe('applyCredential with another auth type', () => {
  it('rejects a credential of another type', () => {
    const apply = () => applyCredential(request(), connectorWith(oauth2Auth), { type: 'basic', username: 'u', password: 'p' }, {}, { clock });
    expect(apply).toThrow(/has basic credentials, but the connector zylker_files now uses oauth2/);
  });
});

describe('applyCredential with OAuth 1.0a', () => {
  const auth: OAuth1Auth = {
    type: 'oauth1',
    consumerKey: 'dpf43f3p2l4k3l03',
    consumerSecret: 'env:PHOTOS_SECRET',
    requestTokenUrl: 'https://photos.example.net/initiate',
    authorizationUrl: 'https://photos.example.net/authorize',
    accessTokenUrl: 'https://photos.example.net/token',
    signatureMethod: 'HMAC-SHA1',
  };
  const credential: StoredCredential = { type: 'oauth1', token: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00' };
  const photosRequest = () => request({ url: new URL('http://photos.example.net/photos?file=vacation.jpg&size=original') });

  it('signs with the clock and nonce given', () => {
    // The RFC 5849 section 1.2 protected resource request, with oauth_version as sent by default.
    const applied = applyCredential(photosRequest(), connectorWith(auth), credential, { consumerSecret: 'kd94hf93k423kf44' }, {
      clock: { now: () => 137131202_000 },
      randomNonce: () => 'chapoH',
    });
    expect(applied.headers.get('authorization')).toBe(
      'OAuth oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131202", oauth_nonce="chapoH", oauth_version="1.0", oauth_signature="' +
        encodeURIComponent(SECTION_12_SIGNATURE_WITH_VERSION) +
        '"',
    );
  });

  it('signs a form body but not a JSON body', () => {
    const deps = { clock: { now: () => 137131202_000 }, randomNonce: () => 'chapoH' };
    const secrets = { consumerSecret: 'kd94hf93k423kf44' };
    const post = (contentType: string) =>
      request({ method: 'POST', url: new URL('http://photos.example.net/photos'), body: 'a=1', contentType });
    const bare = request({ method: 'POST', url: new URL('http://photos.example.net/photos') });

    const asForm = applyCredential(post('application/x-www-form-urlencoded'), connectorWith(auth), credential, secrets, deps);
    const asJson = applyCredential(post('application/json'), connectorWith(auth), credential, secrets, deps);
    const withoutBody = applyCredential(bare, connectorWith(auth), credential, secrets, deps);

    expect(asForm.headers.get('authorization')).not.toBe(withoutBody.headers.get('authorization'));
    expect(asJson.headers.get('authorization')).toBe(withoutBody.headers.get('authorization'));
  });

  it('rejects a missing consumer secret', () => {
    const apply = () => applyCredential(photosRequest(), connectorWith(auth), credential, {}, { clock });
    expect(apply).toThrow(UsageError);
  });
});

describe('authorizationHeader', () => {
  it('returns Basic', () => {
    expect(authorizationHeader(connectorWith(basicAuth), { type: 'basic', username: 'Aladdin', password: 'open sesame' })).toBe(
      'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==',
    );
  });

  it('returns the OAuth 2.0 bearer header', () => {
    expect(authorizationHeader(connectorWith(oauth2Auth), oauth2Credential)).toBe('Zoho-oauthtoken 1000.at.xyz');
  });

  it('returns an API key sent as Authorization', () => {
    const auth = apiKeyAuth('header', [{ name: 'Token', key: 'authorization', prefix: 'Token ' }]);
    expect(authorizationHeader(connectorWith(auth), { type: 'apiKey', values: { authorization: 'abc' } })).toBe('Token abc');
  });

  it('explains an API key in another header', () => {
    expect(() => authorizationHeader(connectorWith(apiKeyAuth('header')), apiKeyCredential)).toThrow(
      /sends its API key as X-Api-Key in the headers, not in an Authorization header/,
    );
  });

  it('explains an API key in the query', () => {
    expect(() => authorizationHeader(connectorWith(apiKeyAuth('query')), apiKeyCredential)).toThrow(/in the query/);
  });

  it('explains why OAuth 1.0a has none', () => {
    const auth: OAuth1Auth = {
      type: 'oauth1',
      consumerKey: 'ck',
      consumerSecret: 'keychain',
      requestTokenUrl: 'https://api.zylker.com/oauth/request_token',
      authorizationUrl: 'https://api.zylker.com/oauth/authorize',
      accessTokenUrl: 'https://api.zylker.com/oauth/access_token',
      signatureMethod: 'HMAC-SHA1',
    };
    expect(() => authorizationHeader(connectorWith(auth), { type: 'oauth1', token: 't', tokenSecret: 's' })).toThrow(
      /each request is signed over its own method, URL, timestamp and nonce/,
    );
  });
});

describe('applyCredential against an OAuth 1.0a provider', () => {
  const rsaKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaPrivateKey = rsaKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let provider: OAuth1Provider;
  const connections = new Map<SignatureMethod, { connector: Connector; credential: StoredCredential }>();
  const methods: SignatureMethod[] = ['HMAC-SHA1', 'HMAC-SHA256', 'PLAINTEXT', 'RSA-SHA1'];

  beforeAll(async () => {
    provider = await startOAuth1Provider({ rsaPublicKey: rsaKeys.publicKey });
    for (const signatureMethod of methods) {
      const auth: OAuth1Auth = {
        type: 'oauth1',
        consumerKey: provider.consumer.key,
        consumerSecret: 'env:CONSUMER_SECRET',
        requestTokenUrl: provider.urls.requestToken,
        authorizationUrl: provider.urls.authorize,
        accessTokenUrl: provider.urls.accessToken,
        signatureMethod,
      };
      const tokens = await authorizeOAuth1({
        auth,
        consumerSecret: provider.consumer.secret,
        rsaPrivateKey,
        fetch: globalThis.fetch,
        openBrowser: async (url) => void actAsUser(url, 'allow'),
        clock,
        log: () => undefined,
      });
      connections.set(signatureMethod, { connector: connectorWith(auth), credential: { type: 'oauth1', ...tokens } });
    }
  });

  afterAll(async () => {
    await provider.close();
  });

  function send(signatureMethod: SignatureMethod, outgoing: OutgoingRequest, nonce?: () => string): Promise<Response> {
    const { connector, credential } = connections.get(signatureMethod)!;
    const applied = applyCredential(outgoing, connector, credential, { consumerSecret: provider.consumer.secret, rsaPrivateKey }, {
      clock,
      ...(nonce === undefined ? {} : { randomNonce: nonce }),
    });
    return fetch(applied.url, { method: applied.method, headers: applied.headers, ...(applied.body === undefined ? {} : { body: applied.body }) });
  }

  it.each(methods)('sends a signed GET with %s', async (signatureMethod) => {
    const url = new URL(`${provider.urls.account}?include=email&name=J%C3%BCrgen+M%C3%BCller&x=%2A`);
    const response = await send(signatureMethod, { method: 'GET', url, headers: new Headers() });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ screen_name: 'zylker_tester', query: { name: 'Jürgen Müller', x: '*' } });
  });

  it.each(methods)('sends a signed form POST with %s', async (signatureMethod) => {
    const response = await send(signatureMethod, {
      method: 'POST',
      url: new URL(`${provider.urls.account}?dry_run=1`),
      headers: new Headers({ 'Content-Type': 'application/x-www-form-urlencoded' }),
      body: "status=Hello%20Ladies%20%2b%20Gentlemen%2C%20a%20signed%20OAuth%20request%21&note=it's+(fine)*",
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      method: 'POST',
      form: { status: 'Hello Ladies + Gentlemen, a signed OAuth request!', note: "it's (fine)*" },
    });
  });

  it('is rejected when the form body changes after signing', async () => {
    const { connector, credential } = connections.get('HMAC-SHA1')!;
    const applied = applyCredential(
      {
        method: 'POST',
        url: new URL(provider.urls.account),
        headers: new Headers({ 'Content-Type': 'application/x-www-form-urlencoded' }),
        body: 'amount=1',
      },
      connector,
      credential,
      { consumerSecret: provider.consumer.secret },
      { clock },
    );
    const response = await fetch(applied.url, { method: 'POST', headers: applied.headers, body: 'amount=1000' });

    expect(response.status).toBe(401);
    expect(await response.text()).toBe('oauth_problem=signature_invalid');
  });

  it('is rejected when a nonce is reused', async () => {
    const nonce = () => 'same-nonce-twice';
    const first = await send('HMAC-SHA1', { method: 'GET', url: new URL(provider.urls.account), headers: new Headers() }, nonce);
    const second = await send('HMAC-SHA1', { method: 'GET', url: new URL(provider.urls.account), headers: new Headers() }, nonce);

    expect(first.status).toBe(200);
    expect(await second.text()).toBe('oauth_problem=nonce_used');
  });
});

// RFC 5849 section 1.2's protected resource request, signed with oauth_version="1.0" included.
// Computed apart from this code: the base string with oauth_version%3D1.0 inserted, through
// `openssl dgst -sha1 -hmac 'kd94hf93k423kf44&pfkkdhi9sl3r4s00' -binary | base64`.
const SECTION_12_SIGNATURE_WITH_VERSION = '1IAE9RzK+DqSqVTdQ/0zWANXVzs=';
