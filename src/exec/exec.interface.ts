/** Options of {@link run}. */
export interface ExecOptions {
  /**
   * Extra environment variables for the child (merged over the parent's). Secrets go here or on
   * stdin, never in `args`.
   * @defaultValue `{}`
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Values to redact from the command line, output and errors of this call, in addition to the
   * process-wide secret registry.
   * @defaultValue `[]`
   */
  readonly secrets?: readonly string[];
  /**
   * Kill the child (SIGTERM, then SIGKILL 2 s later) after this many milliseconds.
   * @defaultValue `60_000`
   */
  readonly timeoutMs?: number;
  /** Cancels the child when aborted (listr2's `task.signal`). */
  readonly signal?: AbortSignal;
  /** Text written to the child's stdin (then closed). */
  readonly input?: string;
  /** Working directory of the child. @defaultValue the current directory */
  readonly cwd?: string;
  /**
   * Do not start anything; resolve with `{ dryRun: true }` and the command that would have run.
   * @defaultValue `false`
   */
  readonly dryRun?: boolean;
  /**
   * Resolve (instead of rejecting) when the child exits non-zero; timeouts, cancellation and
   * a missing program still reject.
   * @defaultValue `false`
   */
  readonly allowNonZeroExit?: boolean;
  /** Words that say what this call is for, used in error messages ("power status of fake1"). */
  readonly purpose?: string;
}

/** What {@link run} resolves with. Output is already redacted. */
export interface ExecResult {
  /** The command line, redacted and shell-quoted for display only. */
  readonly command: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  /** True when `dryRun` was set and nothing ran. */
  readonly dryRun: boolean;
}

/** A record of one spawn, for audits and tests (argv as given, redacted). */
export interface ExecRecord {
  readonly file: string;
  readonly args: readonly string[];
  readonly pid: number | undefined;
  readonly at: string;
}
