const brand = Symbol.for('forcedown.error');

/**
 * What kind of failure an error is: a fact about the error, not a process exit code. The CLI
 * maps kinds to its documented exit codes in one table (`src/cli/exit-codes.ts`); the runner
 * decides retries from it.
 *
 * - `invalid-input`: usage, a runbook/inventory/configuration that cannot work, an unknown host
 *   or run. Nothing was changed by the failed action.
 * - `refused`: refused for safety (no confirmed fence, a host held by another run, an approval
 *   missing). The refused action was not done.
 * - `auth`: authentication or authorisation failed (Keystone 401, Nova 403).
 * - `failed`: an operation failed (a step, a call, a bug). Worth another attempt where the
 *   runbook allows retries.
 * - `interrupted`: cancelled (Ctrl+C, SIGTERM).
 */
export type ErrorKind = 'invalid-input' | 'refused' | 'auth' | 'failed' | 'interrupted';

/** Options of a {@link ForcedownError}. */
export interface ForcedownErrorOptions {
  /** Stable machine-readable code, upper snake case (`NOVA_FORBIDDEN`, `RUNBOOK_INVALID`). */
  readonly code: string;
  /** What kind of failure this is. @defaultValue `'failed'` */
  readonly kind?: ErrorKind;
  /** What the user should do next. Every user-facing error carries one. */
  readonly hint: string;
  /** Structured facts for events and the journal (never secrets). */
  readonly data?: Readonly<Record<string, unknown>>;
  /** The underlying error, kept for debugging (`--debug` prints it). */
  readonly cause?: unknown;
}

/** The shape of a {@link ForcedownError} in events and the journal. */
export interface ForcedownErrorJson {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly message: string;
  readonly hint: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * An error a user can act on: a code, a message saying what went wrong, a hint saying what to do
 * next, its kind and structured facts (`data`). Boolean reason flags follow execa's style so
 * callers test `error.isRefused` instead of comparing kinds.
 */
export class ForcedownError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly hint: string;
  /**
   * Structured facts: the same name as the option and in the JSON. (Not `details`: test runners
   * such as uvu treat an error's `details` as preformatted text.)
   */
  readonly data: Readonly<Record<string, unknown>>;

  constructor(message: string, options: ForcedownErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.kind = options.kind ?? 'failed';
    this.hint = options.hint;
    this.data = options.data ?? {};
    Object.defineProperty(this, brand, { value: true });
  }

  /** Input was invalid: nothing was changed by the failed action. */
  get isInvalidInput(): boolean {
    return this.kind === 'invalid-input';
  }
  /** Refused for safety: the refused action was not done. */
  get isRefused(): boolean {
    return this.kind === 'refused';
  }
  /** Authentication or authorisation failure. */
  get isAuth(): boolean {
    return this.kind === 'auth';
  }
  /** Interrupted by a signal or cancellation. */
  get isInterrupted(): boolean {
    return this.kind === 'interrupted';
  }

  /** The shape written to events and the journal. */
  toJSON(): ForcedownErrorJson {
    return { code: this.code, kind: this.kind, message: this.message, hint: this.hint, data: this.data };
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
  data?: Record<string, unknown>,
  cause?: unknown,
) => ForcedownError;

const make =
  (kind: ErrorKind): Shortcut =>
  (code, message, hint, data, cause) =>
    new ForcedownError(message, { code, kind, hint, data, cause });

/** An input error (kind `invalid-input`). */
export const invalidInput: Shortcut = make('invalid-input');
/** A safety refusal (kind `refused`). */
export const refused: Shortcut = make('refused');
/** An authentication/authorisation error (kind `auth`). */
export const authFailed: Shortcut = make('auth');
/** A step/operation failure (kind `failed`). */
export const operationFailed: Shortcut = make('failed');
/** An interruption (kind `interrupted`). */
export const interrupted: Shortcut = make('interrupted');

/**
 * Turns anything thrown into a ForcedownError. Unknown errors become `INTERNAL_ERROR` (kind
 * `failed`) with a hint to report them; the original stays in `cause`.
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
