/**
 * The terminal side of `connector connect` waiting for the browser: the flow's messages and a
 * countdown on stderr, and for a browser on another machine, the URL it ended on read from stdin.
 */
import { createInterface, type Interface } from 'node:readline';

import type { Deps, OpenBrowser, OutputStream } from '../cli/deps.js';
import { UsageError } from '../cli/errors.js';

const CLEAR_LINE = '\r\u001b[K';
const UP_ONE_LINE = '\u001b[1A';
const SAVE_CURSOR = '\u001b7';
const RESTORE_CURSOR = '\u001b8';

const PASTE_PROMPT = 'Or paste the URL the browser ended on, then press Enter: ';

/**
 * The stderr side of a wait. On a terminal the countdown is one line that is redrawn in place,
 * with the paste prompt below it when pasting is offered. Elsewhere (a pipe, a CI log) the
 * countdown prints a line at the start, at every whole minute, and at 30 and 10 seconds.
 */
export class WaitDisplay {
  private secondsLeft: number | undefined;
  /** The lines on screen below the last logged line: none, the status line, or the status line and the paste prompt. */
  private drawn: 'nothing' | 'status' | 'status and prompt' = 'nothing';

  constructor(
    private readonly stream: OutputStream,
    private readonly options: { live: boolean; pastePrompt: boolean },
  ) {}

  log(line: string): void {
    if (!this.options.live) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.erase();
    this.stream.write(`${line}\n`);
    this.draw();
  }

  tick(secondsLeft: number): void {
    this.secondsLeft = secondsLeft;
    if (!this.options.live) {
      if (this.drawn === 'nothing' || secondsLeft % 60 === 0 || secondsLeft === 30 || secondsLeft === 10) {
        this.stream.write(`${this.status()}\n`);
        this.drawn = 'status';
      }
      return;
    }

    if (this.drawn === 'status and prompt') {
      // The user may be typing on the prompt line, so the status line above it is redrawn
      // without moving the cursor for good.
      this.stream.write(`${SAVE_CURSOR}${UP_ONE_LINE}${CLEAR_LINE}${this.status()}${RESTORE_CURSOR}`);
      return;
    }
    if (this.drawn === 'status') {
      this.stream.write(`${CLEAR_LINE}${this.status()}`);
      return;
    }
    this.draw();
  }

  /** Called after the user pressed Enter on the paste prompt: the cursor is on a fresh line, below the layout. */
  lineEntered(): void {
    if (this.drawn === 'status and prompt') this.drawn = 'nothing';
  }

  /** Removes the status line and the prompt, so what follows starts on a clean line. */
  end(): void {
    if (this.options.live) this.erase();
    this.drawn = 'nothing';
  }

  private status(): string {
    const left = this.secondsLeft ?? 0;
    const time = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    return `Waiting for the authorization: ${time} left (Ctrl-C cancels)`;
  }

  private draw(): void {
    if (this.secondsLeft === undefined) return;

    if (this.options.pastePrompt) {
      this.stream.write(`${this.status()}\n${PASTE_PROMPT}`);
      this.drawn = 'status and prompt';
      return;
    }
    this.stream.write(this.status());
    this.drawn = 'status';
  }

  private erase(): void {
    if (this.drawn === 'status') this.stream.write(CLEAR_LINE);
    if (this.drawn === 'status and prompt') this.stream.write(`${CLEAR_LINE}${UP_ONE_LINE}${CLEAR_LINE}`);
    this.drawn = 'nothing';
  }
}

/**
 * Reads stdin line by line for as long as a wait lasts. Lines that arrive while no read is
 * pending are kept, so a URL pasted early is not lost.
 */
export class LineReader {
  private readonly lines: string[] = [];
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly reader: Interface;

  constructor(input: NodeJS.ReadableStream, onLine?: () => void) {
    // `terminal: false` leaves a terminal in its normal line mode, so Ctrl-C still sends SIGINT.
    this.reader = createInterface({ input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
    this.reader.on('line', (line) => {
      onLine?.();
      this.lines.push(line);
      this.wake?.();
    });
    this.reader.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
  }

  /** Resolves with the next line, or undefined once stdin has ended; rejects when `signal` aborts. */
  async next(signal: AbortSignal): Promise<string | undefined> {
    for (;;) {
      signal.throwIfAborted();
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.ended) return undefined;

      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          this.wake = undefined;
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        this.wake = () => {
          this.wake = undefined;
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
    }
  }

  /** Stops reading, so stdin no longer keeps the process alive. */
  close(): void {
    this.reader.close();
  }
}

/** The callbacks a redirect-based authorization takes, wired to stderr and stdin. */
export interface BrowserWait {
  log(line: string): void;
  onTick(secondsLeft: number): void;
  /** Absent with --no-browser or --paste. */
  openBrowser?: OpenBrowser;
  /** Present with --paste, or when a terminal lets the user paste while waiting. Resolves undefined once stdin ends. */
  readPastedUrl?: (signal: AbortSignal) => Promise<string | undefined>;
  /** Clears the countdown and stops reading stdin; call it however the wait ended. */
  end(): void;
}

export interface BrowserWaitOptions {
  openBrowser: boolean;
  /** `--paste`: read the URL from stdin, whether or not it is a terminal. */
  paste: boolean;
}

/**
 * Prepares the wait for a browser redirect. With a terminal, pasting is offered without
 * --paste, because the browser may run on another machine than this shell.
 */
export function startBrowserWait(deps: Deps, options: BrowserWaitOptions): BrowserWait {
  const pasting = options.paste || deps.interactive;
  const live = deps.io.stderr.isTTY === true;
  const display = new WaitDisplay(deps.io.stderr, { live, pastePrompt: pasting && live && deps.io.stdin.isTTY === true });
  let reader: LineReader | undefined;

  const wait: BrowserWait = {
    log: (line) => display.log(line),
    onTick: (secondsLeft) => display.tick(secondsLeft),
    end: () => {
      reader?.close();
      display.end();
    },
  };
  if (options.openBrowser && !options.paste) wait.openBrowser = deps.openBrowser;

  if (pasting) {
    if (!live || deps.io.stdin.isTTY !== true) display.log('Reading the URL the browser ended on from stdin, one per line.');
    wait.readPastedUrl = async (signal) => {
      reader ??= new LineReader(deps.io.stdin, () => display.lineEntered());
      const line = await reader.next(signal);
      // With --paste, stdin is the only way the flow can complete, so its end ends the wait.
      if (line === undefined && options.paste) {
        throw new UsageError('stdin ended before the URL the browser ended on was pasted', {
          hint: 'pipe in that URL (the http://127.0.0.1:... address), or run without --paste to wait for the browser',
        });
      }
      return line;
    };
  }
  return wait;
}
