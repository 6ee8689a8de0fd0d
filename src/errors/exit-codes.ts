/**
 * Process exit codes of the forcedown CLI. They are a documented contract (README "Exit codes"):
 * CI pipelines branch on them, so a value never changes meaning.
 */
export const ExitCode = {
  /** Everything done (or nothing needed doing). */
  Ok: 0,
  /** A step failed (after its retries), or the run finished with failed steps. */
  StepFailed: 1,
  /** Invalid input: usage, runbook/inventory/config validation, unknown host or run. */
  InvalidInput: 2,
  /** Refused for safety: no confirmed fence, host locked by another run, approval missing. */
  Refused: 3,
  /** Authentication or authorisation failed (Keystone 401, Nova/Keystone 403). */
  Auth: 4,
  /** Interrupted by SIGINT/SIGTERM; the journal is consistent and the run can be resumed. */
  Interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

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
    case ExitCode.Interrupted:
      return 'interrupted';
    default:
      return `exit-${code}`;
  }
}
