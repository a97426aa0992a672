/**
 * Errors a user can act on. Each carries the exit code that `main` maps it to, so no module
 * below the CLI calls `process.exit`. Anything else that reaches `main` is a bug and is shown
 * with its stack only under `--verbose`.
 */

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  invalidFile: 3,
  authorization: 4,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  readonly exitCode: ExitCodeValue;
  /** A next step printed after the message, such as "run connector connect again". */
  readonly hint: string | undefined;

  constructor(message: string, exitCode: ExitCodeValue, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = options.hint;
  }
}

/** A wrong flag, a missing value under `--no-input`, or a bad argument: exit 2. */
export class UsageError extends CliError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, ExitCode.usage, options);
  }
}

/** The connector file is invalid, or not complete enough for the requested stage: exit 3. */
export class InvalidFileError extends CliError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, ExitCode.invalidFile, options);
  }
}

/** Authorization is needed or was refused by the provider or the user: exit 4. */
export class AuthorizationError extends CliError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, ExitCode.authorization, options);
  }
}

/** An operation failed for a reason outside the user's input (network, keychain, HTTP >= 400): exit 1. */
export class OperationError extends CliError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, ExitCode.failure, options);
  }
}

/** The user pressed Ctrl-C or cancelled a prompt: exit 130, with no message. */
export class InterruptedError extends CliError {
  constructor(message = 'Interrupted.') {
    super(message, ExitCode.interrupted);
  }
}

/**
 * The command already printed its result or diagnostics and only needs a non-zero exit,
 * as `validate` does for an invalid file.
 */
export class SilentExit extends CliError {
  constructor(exitCode: ExitCodeValue) {
    super('', exitCode);
  }
}
