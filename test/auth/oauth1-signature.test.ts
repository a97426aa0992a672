import { generateKeyPairSync, verify } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { UsageError } from '../../src/cli/errors.js';
import { baseStringUri, normalizeParameters, signatureBaseString } from '../../src/auth/oauth1/base-string.js';
import { encodedFormParameters, percentEncode } from '../../src/auth/oauth1/percent-encode.js';
import {
  authorizationHeaderValue,
  freshTimestampAndNonce,
  protocolParametersFor,
  signRequest,
  type OAuth1Keys,
} from '../../src/auth/oauth1/signature.js';

// Vectors from RFC 5849. The URLs are only signed here, never fetched.

/** Section 3.1. The RFC prints `bYT5CMsGcbgUdFHObYMEfcx6bsw=`, which is wrong (erratum 2550). */
const section31 = {
  method: 'POST',
  url: 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b',
  formBody: 'c2&a3=2+q',
  keys: {
    signatureMethod: 'HMAC-SHA1',
    consumerKey: '9djdj82h48djs9d2',
    consumerSecret: 'j49sk3j29djd',
    token: 'kkk9d7dh3k39sjv7',
    tokenSecret: 'dh893hdasih9',
  } satisfies OAuth1Keys,
  timestamp: '137131201',
  nonce: '7d8f3e4a',
  baseString:
    'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
  signature: 'r6/TJjbCOr97/+UU0NsvSne7s5g=',
};

const photosConsumer = { consumerKey: 'dpf43f3p2l4k3l03', consumerSecret: 'kd94hf93k423kf44' };

/** Section 1.2: the three requests of the printer and photo site walkthrough. */
const section12 = [
  {
    name: 'temporary credentials request',
    method: 'POST',
    url: 'https://photos.example.net/initiate',
    keys: { signatureMethod: 'HMAC-SHA1', ...photosConsumer, tokenSecret: '' } satisfies OAuth1Keys,
    options: { timestamp: '137131200', nonce: 'wIjqoS', callback: 'http://printer.example.com/ready' },
    signature: '74KNZJeDHnMBp0EMJ9ZHt/XKycU=',
  },
  {
    name: 'token credentials request',
    method: 'POST',
    url: 'https://photos.example.net/token',
    keys: {
      signatureMethod: 'HMAC-SHA1',
      ...photosConsumer,
      token: 'hh5s93j4hdidpola',
      tokenSecret: 'hdhd0244k9j7ao03',
    } satisfies OAuth1Keys,
    options: { timestamp: '137131201', nonce: 'walatlh', verifier: 'hfdp7dh39dks9884' },
    signature: 'gKgrFCywp7rO0OXSjdot/IHF7IU=',
  },
  {
    name: 'protected resource request',
    method: 'GET',
    url: 'http://photos.example.net/photos?file=vacation.jpg&size=original',
    keys: {
      signatureMethod: 'HMAC-SHA1',
      ...photosConsumer,
      token: 'nnch734d00sl2jdk',
      tokenSecret: 'pfkkdhi9sl3r4s00',
    } satisfies OAuth1Keys,
    options: { timestamp: '137131202', nonce: 'chapoH' },
    signature: 'MdpQcU8iPSUjWoN/UDMsK2sui9I=',
  },
];

describe('percentEncode', () => {
  it('matches the RFC 5849 section 3.6 rule', () => {
    const input = " !#$%&'()*+,-./0-9:;<=>?@A-Z[]^_`a-z{|}~\u0100";
    expect(percentEncode(input)).toBe(
      '%20%21%23%24%25%26%27%28%29%2A%2B%2C-.%2F0-9%3A%3B%3C%3D%3E%3F%40A-Z%5B%5D%5E_%60a-z%7B%7C%7D~%C4%80',
    );
  });

  it('encodes characters outside the BMP as four UTF-8 bytes', () => {
    expect(percentEncode('\u{1F600}')).toBe('%F0%9F%98%80');
  });

  it('encodes raw bytes that are not UTF-8', () => {
    expect(percentEncode(new Uint8Array([0xff, 0x41]))).toBe('%FFA');
  });

  it('leaves only unreserved characters bare', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        expect(percentEncode(value)).toMatch(/^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/);
      }),
    );
  });

  it('round-trips through decodeURIComponent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (value) => {
        expect(decodeURIComponent(percentEncode(value))).toBe(value);
      }),
    );
  });
});

describe('encodedFormParameters', () => {
  it('reads plus as a space and a bare name as empty', () => {
    expect(encodedFormParameters('c2&a3=2+q')).toEqual([
      { name: 'c2', value: '' },
      { name: 'a3', value: '2%20q' },
    ]);
  });

  it('keeps bytes that are not UTF-8', () => {
    expect(encodedFormParameters('x=%ff')).toEqual([{ name: 'x', value: '%FF' }]);
  });

  it('keeps a percent sign without hex digits', () => {
    expect(encodedFormParameters('x=100%&y=%zz')).toEqual([
      { name: 'x', value: '100%25' },
      { name: 'y', value: '%25zz' },
    ]);
  });

  it('skips empty parts', () => {
    expect(encodedFormParameters('&a=1&&b=2&')).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: '2' },
    ]);
  });
});

describe('baseStringUri', () => {
  it('lower-cases scheme and host', () => {
    expect(baseStringUri(new URL('HTTP://EXAMPLE.COM/Path'))).toBe('http://example.com/Path');
  });

  it('drops a default port', () => {
    expect(baseStringUri(new URL('https://www.example.net:443/?q=1'))).toBe('https://www.example.net/');
  });

  it('keeps another port', () => {
    expect(baseStringUri(new URL('http://www.example.net:8080/r#frag'))).toBe('http://www.example.net:8080/r');
  });
});

describe('normalizeParameters', () => {
  it('sorts by name, then by value', () => {
    const parameters = [
      { name: 'b', value: '2' },
      { name: 'a', value: 'z' },
      { name: 'a', value: 'y' },
    ];
    expect(normalizeParameters(parameters)).toBe('a=y&a=z&b=2');
  });

  it('sorts by encoded bytes, so upper case first', () => {
    const parameters = [
      { name: 'a', value: '1' },
      { name: 'B', value: '1' },
      { name: '%20', value: '1' },
    ];
    expect(normalizeParameters(parameters)).toBe('%20=1&B=1&a=1');
  });
});

describe('signRequest', () => {
  it('builds the section 3.1 base string', () => {
    const signed = signRequest(
      { method: section31.method, url: new URL(section31.url), formBody: section31.formBody },
      section31.keys,
      { timestamp: section31.timestamp, nonce: section31.nonce, includeVersion: false },
    );
    expect(signed.baseString).toBe(section31.baseString);
  });

  it('computes the corrected section 3.1 signature', () => {
    const signed = signRequest(
      { method: section31.method, url: new URL(section31.url), formBody: section31.formBody },
      section31.keys,
      { timestamp: section31.timestamp, nonce: section31.nonce, includeVersion: false },
    );
    expect(signed.signature).toBe(section31.signature);
  });

  it.each(section12)('computes the section 1.2 $name', ({ method, url, keys, options, signature }) => {
    const signed = signRequest({ method, url: new URL(url) }, keys, { ...options, includeVersion: false });
    expect(signed.signature).toBe(signature);
  });

  it('signs PLAINTEXT as the encoded secrets', () => {
    const signed = signRequest(
      { method: 'POST', url: new URL('https://server.example.com/request_temp_credentials') },
      { signatureMethod: 'PLAINTEXT', consumerKey: 'jd83jd92dhsh93js', consumerSecret: 'ja893SD9' },
      { timestamp: '137131200', nonce: 'n' },
    );
    expect(signed.signature).toBe('ja893SD9&');
  });

  it('encodes the PLAINTEXT signature in the header', () => {
    const signed = signRequest(
      { method: 'POST', url: new URL('https://server.example.com/request_temp_credentials') },
      { signatureMethod: 'PLAINTEXT', consumerKey: 'jd83jd92dhsh93js', consumerSecret: 'ja893SD9' },
      { timestamp: '137131200', nonce: 'n' },
    );
    expect(signed.authorization).toContain('oauth_signature="ja893SD9%26"');
  });

  it('signs HMAC-SHA256 with the same key and base string', () => {
    // Computed apart from this code: the section 3.1 base string with HMAC-SHA256 as the method,
    // through `openssl dgst -sha256 -hmac 'j49sk3j29djd&dh893hdasih9' -binary | base64`.
    const signed = signRequest(
      { method: section31.method, url: new URL(section31.url), formBody: section31.formBody },
      { ...section31.keys, signatureMethod: 'HMAC-SHA256' },
      { timestamp: section31.timestamp, nonce: section31.nonce, includeVersion: false },
    );
    expect(signed.signature).toBe('ypAxjNip++Dm0fTM+gCl8wAo6ufSnseu1WHxL7py3BU=');
  });

  it('signs RSA-SHA1 so the public key verifies it', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signed = signRequest(
      { method: 'GET', url: new URL(section12[2]!.url) },
      {
        signatureMethod: 'RSA-SHA1',
        consumerKey: 'dpf43f3p2l4k3l03',
        rsaPrivateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        token: 'nnch734d00sl2jdk',
        tokenSecret: 'pfkkdhi9sl3r4s00',
      },
      { timestamp: '137131202', nonce: 'chapoH' },
    );
    const valid = verify('sha1', Buffer.from(signed.baseString), publicKey, Buffer.from(signed.signature, 'base64'));
    expect(valid).toBe(true);
  });

  it('rejects RSA-SHA1 without a private key', () => {
    const sign = () =>
      signRequest(
        { method: 'GET', url: new URL('https://photos.example.net/photos') },
        { signatureMethod: 'RSA-SHA1', consumerKey: 'ck' },
        { timestamp: '1', nonce: 'n' },
      );
    expect(sign).toThrow(UsageError);
  });

  it('rejects an unreadable RSA private key', () => {
    const sign = () =>
      signRequest(
        { method: 'GET', url: new URL('https://photos.example.net/photos') },
        { signatureMethod: 'RSA-SHA1', consumerKey: 'ck', rsaPrivateKey: 'not a key' },
        { timestamp: '1', nonce: 'n' },
      );
    expect(sign).toThrow(/RSA private key could not be used/);
  });

  it('rejects HMAC-SHA1 without a consumer secret', () => {
    const sign = () =>
      signRequest(
        { method: 'GET', url: new URL('https://photos.example.net/photos') },
        { signatureMethod: 'HMAC-SHA1', consumerKey: 'ck' },
        { timestamp: '1', nonce: 'n' },
      );
    expect(sign).toThrow(/consumer secret is missing/);
  });

  it('sends oauth_version by default', () => {
    const parameters = protocolParametersFor(photosKeys(), { timestamp: '1', nonce: 'n' });
    expect(parameters).toContainEqual(['oauth_version', '1.0']);
  });

  it('signs oauth_version when sent', () => {
    const signed = signRequest({ method: 'GET', url: new URL('https://photos.example.net/') }, photosKeys(), {
      timestamp: '1',
      nonce: 'n',
    });
    expect(signed.baseString).toContain('oauth_version%3D1.0');
  });

  it('leaves oauth_signature in the query out of the base string', () => {
    const url = new URL('https://photos.example.net/p?oauth_signature=old&x=1');
    const base = signatureBaseString('GET', url, undefined, []);
    expect(base).toBe('GET&https%3A%2F%2Fphotos.example.net%2Fp&x%3D1');
  });

  it('puts realm in the header but not the base string', () => {
    const signed = signRequest({ method: 'GET', url: new URL('https://photos.example.net/') }, photosKeys(), {
      timestamp: '1',
      nonce: 'n',
      realm: 'Photos "beta"',
    });
    expect(signed.authorization.startsWith('OAuth realm="Photos \\"beta\\"", oauth_consumer_key=')).toBe(true);
    expect(signed.baseString).not.toContain('realm');
  });
});

describe('authorizationHeaderValue', () => {
  it('quotes encoded values and separates with commas', () => {
    const header = authorizationHeaderValue([
      ['oauth_consumer_key', 'a b'],
      ['oauth_callback', 'http://127.0.0.1:1/cb'],
    ]);
    expect(header).toBe('OAuth oauth_consumer_key="a%20b", oauth_callback="http%3A%2F%2F127.0.0.1%3A1%2Fcb"');
  });
});

describe('freshTimestampAndNonce', () => {
  it('uses whole seconds from the clock', () => {
    const fresh = freshTimestampAndNonce({ now: () => 1_700_000_000_999 }, () => 'fixed');
    expect(fresh).toEqual({ timestamp: '1700000000', nonce: 'fixed' });
  });

  it('makes a different nonce each call', () => {
    const clock = { now: () => 0 };
    expect(freshTimestampAndNonce(clock).nonce).not.toBe(freshTimestampAndNonce(clock).nonce);
  });
});

function photosKeys(): OAuth1Keys {
  return { signatureMethod: 'HMAC-SHA1', ...photosConsumer, token: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00' };
}
