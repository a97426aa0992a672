import { request as httpRequest, Agent } from 'node:http';
import { createServer as createNetServer, connect, type Server as NetServer, type Socket } from 'node:net';
import { once } from 'node:events';

import { afterEach, describe, expect, it } from 'vitest';

import { InterruptedError, OperationError, UsageError } from '../../src/cli/errors.js';
import { renderPage } from '../../src/auth/pages.js';
import { startRedirectServer, type CallbackOutcome, type RedirectServer } from '../../src/auth/redirect-server.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  socket: Socket;
}

/** Sends one request with full control over the method and the Host header. */
function send(
  port: number,
  target: string,
  options: { method?: string; host?: string; agent?: Agent } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      host: '127.0.0.1',
      port,
      path: target,
      method: options.method ?? 'GET',
      headers: { host: options.host ?? `127.0.0.1:${port}` },
      agent: options.agent ?? false,
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          socket: request.socket as Socket,
        });
      });
    });
    request.end();
  });
}

/** Resolves with the server's whole reply to a raw request. */
async function sendRaw(port: number, text: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.end(text);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function codeHandler(query: URLSearchParams): CallbackOutcome<string> {
  const code = query.get('code');
  if (code === null) {
    return { kind: 'ignored', status: 400, page: { title: 'Not a callback', message: 'No code in this request.' } };
  }
  if (code === 'bad') {
    return { kind: 'failed', error: new Error('bad code'), page: { title: 'Failed', message: 'The code <b>bad</b> was rejected.' } };
  }
  return { kind: 'done', value: code, page: { title: 'Connected', message: 'You can close this tab.' } };
}

const servers: RedirectServer<unknown>[] = [];
const blockers: NetServer[] = [];

async function start(options: Partial<Parameters<typeof startRedirectServer<string>>[0]> = {}): Promise<RedirectServer<string>> {
  const server = await startRedirectServer<string>({ path: '/callback/test', handle: codeHandler, ...options });
  servers.push(server);
  return server;
}

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const blocker of blockers.splice(0)) await new Promise((resolve) => blocker.close(resolve));
});

describe('startRedirectServer', () => {
  it('builds the redirect URI on 127.0.0.1', async () => {
    const server = await start();

    expect(server.port).toBeGreaterThan(0);
    expect(server.redirectUri).toBe(`http://127.0.0.1:${server.port}/callback/test`);
  });

  it('resolves the result and shows the page', async () => {
    const server = await start();

    const response = await send(server.port, '/callback/test?code=abc');

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toContain('<title>Connected</title>');
    await expect(server.result).resolves.toBe('abc');
  });

  it('rejects the result on a failed outcome with an escaped page', async () => {
    const server = await start();

    const response = await send(server.port, '/callback/test?code=bad');

    expect(response.status).toBe(400);
    expect(response.body).toContain('The code &lt;b&gt;bad&lt;/b&gt; was rejected.');
    expect(response.body).not.toContain('<b>bad</b>');
    await expect(server.result).rejects.toThrow('bad code');
  });

  it('closes after the decisive page, keep-alive sockets included', async () => {
    const server = await start();
    const idleAgent = new Agent({ keepAlive: true });

    const favicon = await send(server.port, '/favicon.ico', { agent: idleAgent });
    const response = await send(server.port, '/callback/test?code=abc', { agent: new Agent({ keepAlive: true }) });
    await server.result;
    if (!favicon.socket.destroyed) await once(favicon.socket, 'close');
    idleAgent.destroy();

    expect(favicon.status).toBe(404);
    expect(response.headers.connection).toBe('close');
    expect(favicon.socket.destroyed).toBe(true);
    await expect(send(server.port, '/callback/test?code=again')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('writes the whole page before the result settles', async () => {
    const server = await start();
    void server.result.then(() => server.close());

    const response = await send(server.port, '/callback/test?code=abc');

    expect(response.status).toBe(200);
    expect(response.body).toContain('</html>');
  });

  it('answers 421 to a foreign Host header and keeps waiting', async () => {
    const server = await start();

    const localhost = await send(server.port, '/callback/test?code=evil', { host: `localhost:${server.port}` });
    const rebound = await send(server.port, '/callback/test?code=evil', { host: `attacker.example:${server.port}` });
    const otherPort = await send(server.port, '/callback/test?code=evil', { host: '127.0.0.1:1' });
    const real = await send(server.port, '/callback/test?code=good');

    expect(localhost.status).toBe(421);
    expect(rebound.status).toBe(421);
    expect(otherPort.status).toBe(421);
    expect(real.status).toBe(200);
    await expect(server.result).resolves.toBe('good');
  });

  it('answers 400 to a request without a Host header', async () => {
    const server = await start();

    const reply = await sendRaw(server.port, 'GET /callback/test?code=evil HTTP/1.0\r\n\r\n');
    const real = await send(server.port, '/callback/test?code=good');

    expect(reply).toMatch(/^HTTP\/1\.[01] 400 /);
    expect(real.status).toBe(200);
    await expect(server.result).resolves.toBe('good');
  });

  it('answers 400 to an invalid request target', async () => {
    const server = await start();

    const reply = await sendRaw(server.port, `GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`);
    const real = await send(server.port, '/callback/test?code=good');

    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('the request target is not a valid URL');
    expect(real.status).toBe(200);
    await expect(server.result).resolves.toBe('good');
  });

  it('answers 404 to the favicon and other paths', async () => {
    const server = await start();

    const favicon = await send(server.port, '/favicon.ico');
    const root = await send(server.port, '/?code=evil');
    const prefix = await send(server.port, '/callback/test/extra?code=evil');
    const real = await send(server.port, '/callback/test?code=good');

    expect(favicon.status).toBe(404);
    expect(root.status).toBe(404);
    expect(prefix.status).toBe(404);
    expect(real.status).toBe(200);
    await expect(server.result).resolves.toBe('good');
  });

  it('answers 405 to methods other than GET', async () => {
    const server = await start();

    const post = await send(server.port, '/callback/test?code=evil', { method: 'POST' });
    const head = await send(server.port, '/callback/test?code=evil', { method: 'HEAD' });
    const real = await send(server.port, '/callback/test?code=good');

    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
    expect(head.status).toBe(405);
    expect(real.status).toBe(200);
    await expect(server.result).resolves.toBe('good');
  });

  it('answers 414 to a URL over 8 KiB and keeps waiting', async () => {
    const server = await start();

    const long = await send(server.port, `/callback/test?code=${'x'.repeat(9000)}`);
    const veryLong = await send(server.port, `/callback/test?code=${'x'.repeat(20_000)}`);
    const real = await send(server.port, '/callback/test?code=good');

    expect(long.status).toBe(414);
    expect(veryLong.status).toBe(414);
    expect(real.status).toBe(200);
    await expect(server.result).resolves.toBe('good');
  });

  it('keeps waiting after an ignored request', async () => {
    const server = await start();

    const ignored = await send(server.port, '/callback/test');
    const real = await send(server.port, '/callback/test?code=good');

    expect(ignored.status).toBe(400);
    expect(ignored.body).toContain('No code in this request.');
    expect(real.status).toBe(200);
    await expect(server.result).resolves.toBe('good');
  });

  it('runs the handler once while requests overlap', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await start({
      handle: async (query) => {
        calls += 1;
        await gate;
        return codeHandler(query);
      },
    });

    const first = send(server.port, '/callback/test?code=first');
    while (calls === 0) await new Promise((resolve) => setImmediate(resolve));
    const second = await send(server.port, '/callback/test?code=second');
    release();

    expect(second.status).toBe(409);
    expect((await first).status).toBe(200);
    expect(calls).toBe(1);
    await expect(server.result).resolves.toBe('first');
  });

  it('rejects the result when the handler throws', async () => {
    const server = await start({
      handle: () => {
        throw new Error('handler broke');
      },
    });

    const response = await send(server.port, '/callback/test?code=abc');

    expect(response.status).toBe(400);
    expect(response.body).toContain('handler broke');
    await expect(server.result).rejects.toThrow('handler broke');
  });

  it('rejects a pinned port in use, naming the port', async () => {
    const blocker = createNetServer();
    blockers.push(blocker);
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no port');

    const starting = start({ port: address.port });

    await expect(starting).rejects.toBeInstanceOf(OperationError);
    await expect(starting).rejects.toThrow(`Port ${address.port} on 127.0.0.1 is already in use`);
    await expect(starting).rejects.toMatchObject({ hint: expect.stringContaining('redirect URI') });
  });

  it('rejects an invalid path', async () => {
    await expect(start({ path: 'callback' })).rejects.toBeInstanceOf(UsageError);
    await expect(start({ path: '/callback?x=1' })).rejects.toBeInstanceOf(UsageError);
  });

  it('rejects with InterruptedError on abort and stops listening', async () => {
    const controller = new AbortController();
    const server = await start({ signal: controller.signal });

    controller.abort();

    await expect(server.result).rejects.toBeInstanceOf(InterruptedError);
    await server.close();
    await expect(send(server.port, '/callback/test?code=late')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('rejects with the abort reason when it is an Error', async () => {
    const controller = new AbortController();
    const server = await start({ signal: controller.signal });

    controller.abort(new OperationError('timed out'));

    await expect(server.result).rejects.toThrow('timed out');
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();

    await expect(start({ signal: controller.signal })).rejects.toThrow();
  });

  it('rejects a pending result on close', async () => {
    const server = await start();

    await server.close(new OperationError('gave up'));

    await expect(server.result).rejects.toThrow('gave up');
  });

  it('completes the flow from a submitted URL', async () => {
    const server = await start();

    await server.submitUrl(`  ${server.redirectUri}?code=pasted  `);

    await expect(server.result).resolves.toBe('pasted');
  });

  it('rejects a submitted URL for another address and keeps waiting', async () => {
    const server = await start();

    await expect(server.submitUrl('not a url')).rejects.toBeInstanceOf(UsageError);
    await expect(server.submitUrl(`http://localhost:${server.port}/callback/test?code=x`)).rejects.toThrow(
      'does not start with the redirect URI',
    );
    await expect(server.submitUrl(`http://127.0.0.1:${server.port}/other?code=x`)).rejects.toBeInstanceOf(UsageError);
    await expect(server.submitUrl(`${server.redirectUri}`)).rejects.toThrow('No code in this request.');

    const real = await send(server.port, '/callback/test?code=good');
    expect(real.status).toBe(200);
    await expect(server.result).resolves.toBe('good');
  });

  it('rejects a submitted URL after the flow finished', async () => {
    const server = await start();
    await server.submitUrl(`${server.redirectUri}?code=first`);

    await expect(server.submitUrl(`${server.redirectUri}?code=second`)).rejects.toThrow('no longer waiting');
    await expect(server.result).resolves.toBe('first');
  });
});

describe('renderPage', () => {
  it('escapes every value', () => {
    const html = renderPage('failure', {
      title: '<img src=x onerror=alert(1)>',
      message: 'a & "b" \'c\'',
      details: ['error: <script>alert(1)</script>'],
    });

    expect(html).toContain('<title>&lt;img src=x onerror=alert(1)&gt;</title>');
    expect(html).toContain('a &amp; &quot;b&quot; &#39;c&#39;');
    expect(html).toContain('error: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
  });

  it('loads no external resources', () => {
    const html = renderPage('success', { title: 'Done', message: 'Close this tab.' });

    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<(link|script|img|iframe)\b/i);
    expect(html).not.toContain('@import');
  });
});
