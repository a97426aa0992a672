/**
 * Runs `connector` commands for the demo and prints them as a shell session: `$ ` and the
 * command as a user would type it, then its output, line by line as it arrives. The demo's
 * own remarks are `# ` comments. Every known secret is replaced by `[redacted]` before a line
 * is printed.
 */
import { spawn } from 'node:child_process';

/** A `connector` command that ended with an exit code other than the one expected. */
export class StepFailedError extends Error {
  constructor(display, code, expected) {
    super(`\`${display}\` exited with code ${code}, expected ${expected}.`);
    this.name = 'StepFailedError';
  }
}

export class Transcript {
  #out;
  #binary;
  #cwd;
  #env;
  #secrets = new Set();
  #running = new Set();
  #signal;

  /**
   * `out` is the stream the session goes to, `binary` the path of bin/connector.cjs, and `cwd`
   * and `env` the working folder and environment of every command. Once `signal` aborts, only
   * steps with `afterStop` start.
   */
  constructor({ out, binary, cwd, env, signal }) {
    this.#signal = signal;
    this.#out = out;
    this.#binary = binary;
    this.#cwd = cwd;
    this.#env = env;
  }

  /** Prints a remark as `# ` lines. */
  comment(text) {
    for (const line of text.split('\n')) this.#out.write(line === '' ? '#\n' : `# ${line}\n`);
  }

  /** Prints a line with every known secret replaced. */
  print(line) {
    this.#out.write(`${this.#redact(line)}\n`);
  }

  blank() {
    this.#out.write('\n');
  }

  /** Adds a value that must never appear in the transcript. */
  redact(secret) {
    if (secret !== '') this.#secrets.add(secret);
  }

  /**
   * Starts `connector ARGS`, printing `$ DISPLAY` first, and returns the running step. Its
   * stdout and stderr are echoed unless `echoStdout` is false, which keeps stdout for the caller.
   */
  start(args, { display, echoStdout = true, afterStop = false } = {}) {
    if (this.#signal?.aborted && !afterStop) throw new Error('The demo is stopping, so no further command starts.');
    this.#out.write(`$ ${display ?? ['connector', ...args].join(' ')}\n`);

    const child = spawn(process.execPath, [this.#binary, ...args], { cwd: this.#cwd, env: this.#env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#running.add(child);

    let stdout = '';
    let stderr = '';
    const watchers = new Set();
    const notify = () => {
      for (const watcher of [...watchers]) watcher();
    };

    const echo = (stream) => {
      let pending = '';
      stream.setEncoding('utf8').on('data', (chunk) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) this.print(line);
      });
      stream.on('end', () => {
        if (pending !== '') this.print(pending);
      });
    };

    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      notify();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
      notify();
    });
    if (echoStdout) echo(child.stdout);
    echo(child.stderr);

    let exited = false;
    const result = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        exited = true;
        this.#running.delete(child);
        notify();
        resolve({ code: code ?? (signal === null ? 1 : 128), stdout, stderr });
      });
    });

    return {
      result,
      /** Resolves with the first match of `pattern` in stderr; rejects if the command exits first. */
      waitForStderr: (pattern) =>
        new Promise((resolve, reject) => {
          const check = () => {
            const match = pattern.exec(stderr);
            if (match !== null) {
              watchers.delete(check);
              resolve(match);
            } else if (exited) {
              watchers.delete(check);
              reject(new Error(`\`${display}\` ended before printing what the demo waits for.`));
            }
          };
          watchers.add(check);
          check();
        }),
    };
  }

  /**
   * Runs `connector ARGS` to its end and returns `{ code, stdout, stderr }`. Raises
   * StepFailedError when the exit code is not `expectCode` (default 0).
   */
  async run(args, { display, echoStdout = true, expectCode = 0, afterStop = false } = {}) {
    const commandLine = display ?? ['connector', ...args].join(' ');
    const result = await this.start(args, { display: commandLine, echoStdout, afterStop }).result;
    if (result.code !== expectCode) throw new StepFailedError(commandLine, result.code, expectCode);
    return result;
  }

  /**
   * Sends SIGINT to every command still running (by its process id) and waits until all have
   * exited. A command still running after 5 s gets SIGKILL.
   */
  async stop() {
    const exits = [...this.#running].map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const escalation = setTimeout(() => child.kill('SIGKILL'), 5_000);
          child.once('close', () => {
            clearTimeout(escalation);
            resolve();
          });
          child.kill('SIGINT');
        }),
    );
    await Promise.all(exits);
  }

  #redact(text) {
    let result = text;
    for (const secret of this.#secrets) result = result.split(secret).join('[redacted]');
    return result;
  }
}

/** Quotes an argument for display the way a POSIX shell would need it. */
export function shellQuote(argument) {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, `'\\''`)}'`;
}
