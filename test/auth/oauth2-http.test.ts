import { createServer, type Server } from 'node:http';
import { once } from 'node:events';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InterruptedError, OperationError } from '../../src/cli/errors.js';
import { HttpRequestError, httpPost, mediaTypeOf, snippet, urlForMessages } from '../../src/auth/http.js';
import { unusedPort } from '../support/ports.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      switch (path) {
        case '/echo':
          response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
          response.end(JSON.stringify({ method: request.method, headers: request.headers, body: Buffer.concat(chunks).toString() }));
          return;
        case '/status':
          response.writeHead(503, 'Service Unavailable', { 'Content-Type': 'text/plain' });
          response.end('down');
          return;
        case '/hang':
          return;
        case '/hang-body':
          response.writeHead(200, { 'Content-Type': 'application/json' });
          response.write('{"access_token":');
          return;
        case '/reset':
          request.socket.destroy();
          return;
        case '/redirect':
          response.writeHead(302, { Location: '/elsewhere?code=abc' });
          response.end();
          return;
        case '/big':
          response.writeHead(200, { 'Content-Type': 'text/plain' });
          response.end('x'.repeat(1024 * 1024 + 1));
          return;
        case '/big-declared':
          response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(2 * 1024 * 1024) });
          response.write('x');
          return;
        case '/exact':
          response.writeHead(200, { 'Content-Type': 'text/plain' });
          response.end('é'.repeat(512 * 1024));
          return;
        default:
          response.writeHead(404);
          response.end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('httpPost', () => {
  it('sends a form body with its content type', async () => {
    const response = await httpPost({ fetch, url: `${base}/echo`, body: { form: { a: 'x y', b: '1:2' } }, headers: { Accept: 'application/json' } });
    const echo = JSON.parse(response.text) as { method: string; headers: Record<string, string>; body: string };

    expect(response.status).toBe(200);
    expect(response.mediaType).toBe('application/json');
    expect(echo.method).toBe('POST');
    expect(echo.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(echo.headers.accept).toBe('application/json');
    expect(echo.body).toBe('a=x+y&b=1%3A2');
  });

  it('sends a JSON body with its content type', async () => {
    const response = await httpPost({ fetch, url: `${base}/echo`, body: { json: { a: 'x' } } });
    const echo = JSON.parse(response.text) as { headers: Record<string, string>; body: string };

    expect(echo.headers['content-type']).toBe('application/json');
    expect(echo.body).toBe('{"a":"x"}');
  });

  it('returns error statuses with their body', async () => {
    const response = await httpPost({ fetch, url: `${base}/status`, body: { form: {} } });

    expect(response.status).toBe(503);
    expect(response.statusText).toBe('Service Unavailable');
    expect(response.text).toBe('down');
  });

  it('names the URL when the connection is refused', async () => {
    const url = `http://127.0.0.1:${await unusedPort()}/token`;

    const request = httpPost({ fetch, url, body: { form: {} } });

    await expect(request).rejects.toBeInstanceOf(HttpRequestError);
    await expect(request).rejects.toThrow(`POST ${url} failed: the connection was refused`);
  });

  it('times out a request with no response', async () => {
    const request = httpPost({ fetch, url: `${base}/hang`, body: { form: {} }, timeoutMs: 50 });

    await expect(request).rejects.toThrow(`POST ${base}/hang timed out after 50 ms.`);
    await expect(request).rejects.toMatchObject({ timedOut: true });
  });

  it('times out a body that never ends', async () => {
    const request = httpPost({ fetch, url: `${base}/hang-body`, body: { form: {} }, timeoutMs: 50 });

    await expect(request).rejects.toThrow('timed out after 50 ms');
  });

  it('reports a reset connection', async () => {
    const request = httpPost({ fetch, url: `${base}/reset`, body: { form: {} } });

    await expect(request).rejects.toBeInstanceOf(HttpRequestError);
    await expect(request).rejects.toThrow(/POST .*\/reset failed: the connection was (reset|closed by the server)/);
    await expect(request).rejects.toMatchObject({ timedOut: false });
  });

  it('does not follow a redirect', async () => {
    const request = httpPost({ fetch, url: `${base}/redirect`, body: { form: { client_secret: 's' } } });

    await expect(request).rejects.toBeInstanceOf(OperationError);
    await expect(request).rejects.toThrow(`POST ${base}/redirect was redirected (HTTP 302 to ${base}/elsewhere).`);
  });

  it('stops reading a body over 1 MiB', async () => {
    const request = httpPost({ fetch, url: `${base}/big`, body: { form: {} } });

    await expect(request).rejects.toThrow(`The response from ${base}/big is larger than 1 MiB`);
  });

  it('rejects a declared length over the cap', async () => {
    const request = httpPost({ fetch, url: `${base}/big-declared`, body: { form: {} } });

    await expect(request).rejects.toThrow('larger than 1 MiB');
  });

  it('reads a body of exactly 1 MiB', async () => {
    const response = await httpPost({ fetch, url: `${base}/exact`, body: { form: {} } });

    expect(response.text).toHaveLength(512 * 1024);
  });

  it('raises InterruptedError on abort', async () => {
    const controller = new AbortController();
    const request = httpPost({ fetch, url: `${base}/hang`, body: { form: {} }, signal: controller.signal });

    controller.abort();

    await expect(request).rejects.toBeInstanceOf(InterruptedError);
  });

  it('raises InterruptedError when already aborted', async () => {
    const request = httpPost({ fetch, url: `${base}/echo`, body: { form: {} }, signal: AbortSignal.abort() });

    await expect(request).rejects.toBeInstanceOf(InterruptedError);
  });

  it('leaves the query out of messages', async () => {
    const url = `http://127.0.0.1:${await unusedPort()}/token?api_key=k`;

    const request = httpPost({ fetch, url, body: { form: {} } });

    await expect(request).rejects.not.toThrow('api_key');
  });
});

describe('http helpers', () => {
  it('reads the media type without parameters', () => {
    expect(mediaTypeOf('Application/JSON; charset=utf-8')).toBe('application/json');
    expect(mediaTypeOf(null)).toBe('');
  });

  it('strips query and fragment from URLs', () => {
    expect(urlForMessages('https://a.example/token?x=1#y')).toBe('https://a.example/token');
    expect(urlForMessages('/relative?x=1', 'https://a.example/base')).toBe('https://a.example/relative');
  });

  it('shortens text and drops markup', () => {
    expect(snippet('<p>Hello   <b>world</b></p>')).toBe('Hello world');
    expect(snippet('x'.repeat(200), 10)).toBe('xxxxxxx...');
  });
});
