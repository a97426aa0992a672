import { PassThrough } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { LineReader, WaitDisplay } from '../../src/connection/waiting.js';

function collector(isTTY: boolean): { text: string; isTTY: boolean; write(chunk: string): boolean } {
  return {
    text: '',
    isTTY,
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

describe('WaitDisplay without a terminal', () => {
  it('prints the countdown at milestones', () => {
    const stream = collector(false);
    const display = new WaitDisplay(stream, { live: false, pastePrompt: false });

    for (let left = 125; left >= 1; left--) display.tick(left);

    expect(stream.text.trim().split('\n')).toEqual([
      'Waiting for the authorization: 2:05 left (Ctrl-C cancels)',
      'Waiting for the authorization: 2:00 left (Ctrl-C cancels)',
      'Waiting for the authorization: 1:00 left (Ctrl-C cancels)',
      'Waiting for the authorization: 0:30 left (Ctrl-C cancels)',
      'Waiting for the authorization: 0:10 left (Ctrl-C cancels)',
    ]);
  });

  it('prints log lines as they come', () => {
    const stream = collector(false);
    const display = new WaitDisplay(stream, { live: false, pastePrompt: false });

    display.log('Open this URL');
    display.end();

    expect(stream.text).toBe('Open this URL\n');
  });
});

describe('WaitDisplay on a terminal', () => {
  it('redraws one status line in place', () => {
    const stream = collector(true);
    const display = new WaitDisplay(stream, { live: true, pastePrompt: false });

    display.tick(300);
    display.tick(299);
    display.log('a message');
    display.end();

    expect(stream.text).toBe(
      'Waiting for the authorization: 5:00 left (Ctrl-C cancels)' +
        '\r\u001b[KWaiting for the authorization: 4:59 left (Ctrl-C cancels)' +
        '\r\u001b[Ka message\nWaiting for the authorization: 4:59 left (Ctrl-C cancels)' +
        '\r\u001b[K',
    );
  });

  it('keeps the paste prompt below the status line', () => {
    const stream = collector(true);
    const display = new WaitDisplay(stream, { live: true, pastePrompt: true });

    display.tick(61);
    display.tick(60);
    display.lineEntered();
    display.log('Invalid URL');

    const prompt = 'Or paste the URL the browser ended on, then press Enter: ';
    expect(stream.text).toBe(
      `Waiting for the authorization: 1:01 left (Ctrl-C cancels)\n${prompt}` +
        '\u001b7\u001b[1A\r\u001b[KWaiting for the authorization: 1:00 left (Ctrl-C cancels)\u001b8' +
        `Invalid URL\nWaiting for the authorization: 1:00 left (Ctrl-C cancels)\n${prompt}`,
    );
  });
});

describe('LineReader', () => {
  it('keeps lines that arrive before they are asked for', async () => {
    const input = new PassThrough();
    const reader = new LineReader(input);
    const signal = new AbortController().signal;

    input.write('first\nsecond\r\n');
    await new Promise((resolve) => setImmediate(resolve));

    expect(await reader.next(signal)).toBe('first');
    expect(await reader.next(signal)).toBe('second');
    reader.close();
  });

  it('resolves undefined once the input ends', async () => {
    const input = new PassThrough();
    const reader = new LineReader(input);

    const next = reader.next(new AbortController().signal);
    input.end('last\n');

    expect(await next).toBe('last');
    expect(await reader.next(new AbortController().signal)).toBeUndefined();
  });

  it('rejects a pending read when the signal aborts', async () => {
    const reader = new LineReader(new PassThrough());
    const controller = new AbortController();

    const next = reader.next(controller.signal);
    controller.abort(new Error('stopped'));

    await expect(next).rejects.toThrow('stopped');
    reader.close();
  });

  it('calls onLine for each line', async () => {
    const input = new PassThrough();
    let lines = 0;
    const reader = new LineReader(input, () => (lines += 1));

    input.end('a\nb\n');
    await reader.next(new AbortController().signal);
    await reader.next(new AbortController().signal);

    expect(lines).toBe(2);
  });
});
