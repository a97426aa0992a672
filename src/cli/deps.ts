/**
 * Dependencies a command takes from the outside world. `main` builds the real ones; tests pass
 * fakes, so a command runs without a terminal, a network, a browser or a real keychain.
 */

export interface OutputStream {
  write(chunk: string | Uint8Array): unknown;
  /** True when the stream is a terminal. */
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Whether styling is allowed on stderr: false under NO_COLOR, --no-color or a non-terminal. */
  color: boolean;
}

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
}

/** The interactive prompts; the real one wraps @inquirer/prompts. */
export interface Prompter {
  input(options: { message: string; default?: string; validate?: (value: string) => true | string }): Promise<string>;
  password(options: { message: string; validate?: (value: string) => true | string }): Promise<string>;
  select<T>(options: { message: string; choices: Choice<T>[]; default?: T }): Promise<T>;
  confirm(options: { message: string; default?: boolean }): Promise<boolean>;
}

/** A secret store keyed by service and account, as the OS keychains are. */
export interface SecretStore {
  /** A short name for messages and `connector connections`, such as "keychain" or "file". */
  readonly kind: string;
  get(service: string, account: string): Promise<string | null>;
  set(service: string, account: string, value: string): Promise<void>;
  /** Returns true when an entry was deleted. */
  delete(service: string, account: string): Promise<boolean>;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export type OpenBrowser = (url: string) => Promise<void>;
export type Fetch = typeof globalThis.fetch;

export interface GlobalOptions {
  file?: string;
  json: boolean;
  input: boolean;
  color: boolean;
  verbose: boolean;
  insecureStorage?: boolean;
}

export interface Deps {
  io: Io;
  env: NodeJS.ProcessEnv;
  cwd: string;
  clock: Clock;
  /** Loaded on first use, because the prompt library costs start-up time. */
  prompter: () => Promise<Prompter>;
  /** The keychain, or the opt-in file store; loaded on first use. */
  secretStore: () => Promise<SecretStore>;
  openBrowser: OpenBrowser;
  fetch: Fetch;
  /** Whether prompting is allowed: stdin and stdout are terminals and --no-input is not set. */
  interactive: boolean;
  /** Aborted on Ctrl-C, so long waits (the redirect server, device polling) stop and clean up. */
  signal: AbortSignal;
  options: GlobalOptions;
}
