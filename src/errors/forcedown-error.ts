import { ExitCode } from './exit-codes.js';

const brand = Symbol.for('forcedown.error');

/** Options of a {@link ForcedownError}. */
export interface ForcedownErrorOptions {
  /** Stable machine-readable code, upper snake case (`NOVA_FORBIDDEN`, `RUNBOOK_INVALID`). */
  readonly code: string;
  /**
   * What the process exits with when this error ends a run.
   * @defaultValue `ExitCode.StepFailed` (1)
   */
  readonly exitCode?: ExitCode;
  /** What the user should do next. Every user-facing error carries one. */
  readonly hint: string;
  /** Structured facts for events and the journal (never secrets). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The underlying error, kept for debugging (`--debug` prints it). */
  readonly cause?: unknown;
}

/**
 * An error a user can act on: a code, a message saying what went wrong, a hint saying what to do
 * next, and the exit code it maps to. Boolean reason flags follow execa's style so callers test
 * `error.isRefused` instead of comparing numbers.
 */
export class ForcedownError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string;
  /**
   * Structured facts (the `details` option). Not named `details`: test runners such as uvu treat
   * an error's `details` as preformatted text.
   */
  readonly data: Readonly<Record<string, unknown>>;

  constructor(message: string, options: ForcedownErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.exitCode = options.exitCode ?? ExitCode.StepFailed;
    this.hint = options.hint;
    this.data = options.details ?? {};
    Object.defineProperty(this, brand, { value: true });
  }

  /** Input was invalid (exit 2): nothing was changed. */
  get isInvalidInput(): boolean {
    return this.exitCode === ExitCode.InvalidInput;
  }
  /** Refused for safety (exit 3): nothing was changed by the refused action. */
  get isRefused(): boolean {
    return this.exitCode === ExitCode.Refused;
  }
  /** Authentication or authorisation failure (exit 4). */
  get isAuth(): boolean {
    return this.exitCode === ExitCode.Auth;
  }
  /** Interrupted by a signal or cancellation (exit 130). */
  get isInterrupted(): boolean {
    return this.exitCode === ExitCode.Interrupted;
  }

  /** The shape written to events and the journal. */
  toJSON(): {
    code: string;
    message: string;
    hint: string;
    exitCode: number;
    details: Readonly<Record<string, unknown>>;
  } {
    return { code: this.code, message: this.message, hint: this.hint, exitCode: this.exitCode, details: this.data };
  }
}
ForcedownError.prototype.name = 'ForcedownError';

/** True for any ForcedownError, also across module copies (symbol brand, like execa's `isExecaError`). */
export function isForcedownError(value: unknown): value is ForcedownError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

type Shortcut = (
  code: string,
  message: string,
  hint: string,
  details?: Record<string, unknown>,
  cause?: unknown,
) => ForcedownError;

const make =
  (exitCode: ExitCode): Shortcut =>
  (code, message, hint, details, cause) =>
    new ForcedownError(message, { code, exitCode, hint, details, cause });

/** An input error (exit 2). */
export const invalidInput: Shortcut = make(ExitCode.InvalidInput);
/** A safety refusal (exit 3). */
export const refused: Shortcut = make(ExitCode.Refused);
/** An authentication/authorisation error (exit 4). */
export const authFailed: Shortcut = make(ExitCode.Auth);
/** A step/operation failure (exit 1). */
export const operationFailed: Shortcut = make(ExitCode.StepFailed);
/** An interruption (exit 130). */
export const interrupted: Shortcut = make(ExitCode.Interrupted);

/**
 * Turns anything thrown into a ForcedownError. Unknown errors become `INTERNAL_ERROR` (exit 1)
 * with a hint to report them; the original stays in `cause`.
 */
export function toForcedownError(error: unknown): ForcedownError {
  if (isForcedownError(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return interrupted(
      'INTERRUPTED',
      'the operation was cancelled',
      'resume the run with `forcedown resume <run-id>`',
      {},
      error,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ForcedownError(`unexpected internal error: ${message}`, {
    code: 'INTERNAL_ERROR',
    hint: 'this is a bug in forcedown; re-run with --debug and report the output',
    cause: error,
  });
}
