import { ForcedownError } from '../errors/index.js';

/** Facts about a failed child process; all text is redacted. */
export interface ExecErrorFacts {
  readonly command: string;
  readonly purpose: string | undefined;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly isCanceled: boolean;
  readonly notFound: boolean;
}

/**
 * A child process that failed: exited non-zero, timed out, was cancelled, or could not start.
 * The message never contains secrets (it is built from redacted text only).
 */
export class ExecError extends ForcedownError {
  readonly command: string;
  readonly childExitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  /** Killed because it ran past `timeoutMs`. */
  readonly timedOut: boolean;
  /** Killed because the run was cancelled (Ctrl+C, `task.signal`). */
  readonly isCanceled: boolean;
  /** The program does not exist or is not executable. */
  readonly notFound: boolean;

  constructor(facts: ExecErrorFacts, cause?: unknown) {
    const what = facts.purpose ? `${facts.purpose} (${facts.command})` : facts.command;
    let message: string;
    let code: string;
    let hint: string;
    if (facts.notFound) {
      code = 'EXEC_NOT_FOUND';
      message = `cannot run ${what}: program not found or not executable`;
      hint = 'install the program or fix its path (for fencing: the inventory entry of this host)';
    } else if (facts.isCanceled) {
      code = 'EXEC_CANCELED';
      message = `${what} was cancelled`;
      hint = 'the run was interrupted; resume it with `forcedown resume <run-id>`';
    } else if (facts.timedOut) {
      code = 'EXEC_TIMEOUT';
      message = `${what} did not finish within ${Math.round(facts.durationMs / 1000)} s and was killed`;
      hint = 'check that the target answers (BMC reachable?) or raise the step timeout';
    } else {
      code = 'EXEC_FAILED';
      const tail = (facts.stderr || facts.stdout).trim().split('\n').slice(-3).join(' | ');
      message = `${what} exited with ${facts.exitCode ?? facts.signal}${tail ? `: ${tail}` : ''}`;
      hint = 'read the program output above; fix its input or the target and retry';
    }
    super(message, {
      code,
      hint,
      kind: facts.isCanceled ? 'interrupted' : 'failed',
      data: { command: facts.command, exitCode: facts.exitCode, signal: facts.signal, timedOut: facts.timedOut },
      cause,
    });
    this.command = facts.command;
    this.childExitCode = facts.exitCode;
    this.signal = facts.signal;
    this.stdout = facts.stdout;
    this.stderr = facts.stderr;
    this.timedOut = facts.timedOut;
    this.isCanceled = facts.isCanceled;
    this.notFound = facts.notFound;
  }
}
ExecError.prototype.name = 'ExecError';
