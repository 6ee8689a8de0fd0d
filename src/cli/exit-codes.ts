import { toForcedownError, type ErrorKind } from '../errors/index.js';

/**
 * Process exit codes of the forcedown CLI. They are a documented contract (README "Exit codes"):
 * CI pipelines branch on them, so a value never changes meaning.
 */
export const ExitCode = {
  /** Everything done (or nothing needed doing). */
  Ok: 0,
  /** A step failed (after its retries), or the run failed after it had changed something. */
  StepFailed: 1,
  /** Invalid input: usage, runbook/inventory/config validation, unknown host or run. Nothing was changed. */
  InvalidInput: 2,
  /** Refused for safety: no confirmed fence, host locked by another run, approval missing. */
  Refused: 3,
  /** Authentication or authorisation failed (Keystone 401, Nova/Keystone 403). */
  Auth: 4,
  /** `watch --once`: hosts it recovered, or would recover (dry run, observe); no guard held one back. */
  WatchFoundWork: 10,
  /** `watch --once`: a guard (breaker, cap, probe veto, disabled host...) held a host back. */
  WatchHeldBack: 11,
  /** `watch --once`: Keystone or Nova could not be reached or was unavailable (refused, timeout, DNS, 502/503/504). */
  WatchUnreachable: 12,
  /** Interrupted by SIGINT/SIGTERM; the journal is consistent and the run can be resumed. */
  Interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The one table from an error's kind to the exit code. Domain modules say what kind of failure
 * an error is (`src/errors`); only the CLI turns that into a number.
 */
const EXIT_CODE_OF_KIND: Readonly<Record<ErrorKind, ExitCode>> = {
  'invalid-input': ExitCode.InvalidInput,
  refused: ExitCode.Refused,
  auth: ExitCode.Auth,
  failed: ExitCode.StepFailed,
  interrupted: ExitCode.Interrupted,
};

/**
 * The exit code of an outcome: 0 without an error, else its kind's code. Exit 2 promises that
 * nothing was changed, so invalid input met after the run had changed something is a failure
 * (exit 1) instead.
 */
export function exitCodeFor(kind: ErrorKind | undefined, afterChanges = false): ExitCode {
  if (kind === undefined) return ExitCode.Ok;
  if (kind === 'invalid-input' && afterChanges) return ExitCode.StepFailed;
  return EXIT_CODE_OF_KIND[kind];
}

/** The exit code of anything thrown (unknown errors are internal failures: exit 1). */
export function exitCodeOf(error: unknown): ExitCode {
  return exitCodeFor(toForcedownError(error).kind);
}

/** The name of an exit code, for events and summaries (`refused`, `step-failed`...). */
export function exitCodeName(code: number): string {
  switch (code) {
    case ExitCode.Ok:
      return 'ok';
    case ExitCode.StepFailed:
      return 'step-failed';
    case ExitCode.InvalidInput:
      return 'invalid-input';
    case ExitCode.Refused:
      return 'refused';
    case ExitCode.Auth:
      return 'auth';
    case ExitCode.WatchFoundWork:
      return 'found-work';
    case ExitCode.WatchHeldBack:
      return 'held-back';
    case ExitCode.WatchUnreachable:
      return 'unreachable';
    case ExitCode.Interrupted:
      return 'interrupted';
    default:
      return `exit-${code}`;
  }
}
