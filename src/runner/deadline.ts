import { isForcedownError, operationFailed, toForcedownError, type ForcedownError } from '../errors/index.js';
import { formatDuration } from '../runbook/index.js';

/** Sleeps `ms`, rejecting when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `work`, or an AbortError as soon as `signal` aborts (`work` goes on; its outcome is dropped). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

/** How long a step may take to wind down after its signal aborts (report what was in flight). */
const ABORT_GRACE_MS = 3000;

/**
 * Settles with `work`; when `signal` aborts, gives the step {@link ABORT_GRACE_MS} to stop and
 * report (e.g. the evacuations still in flight), then rejects with `onAbort()` even if the step
 * ignores its signal.
 */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => ForcedownError): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let graceTimer: NodeJS.Timeout | undefined;
    const abort = (): void => {
      graceTimer = setTimeout(() => reject(onAbort()), ABORT_GRACE_MS);
    };
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        clearTimeout(graceTimer);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        clearTimeout(graceTimer);
        // the step's own account of an interruption is the better one; anything else caused by
        // the abort is reported as the abort
        if (signal.aborted) {
          const fallback = onAbort();
          reject(fallback.isInterrupted && isForcedownError(error) && error.isInterrupted ? error : fallback);
        } else reject(isForcedownError(error) ? error : toForcedownError(error));
      },
    );
  });
}

/** One attempt's time limit and what running out of it means. */
export interface Deadline {
  readonly stepId: string;
  readonly timeoutMs: number;
  /** The run's signal (Ctrl+C, SIGTERM). */
  readonly runSignal: AbortSignal;
  /** The step's own error for running out of time (a fence's is a refusal). */
  readonly timeoutError?: () => ForcedownError | undefined;
}

/**
 * Runs one attempt of a step under its deadline: `work` gets a signal that aborts when the run is
 * interrupted or the time is up, and the attempt ends then (after a short grace) even if the
 * step ignores it.
 */
export async function withDeadline<T>(deadline: Deadline, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('timeout')), deadline.timeoutMs);
  const relay = (): void => controller.abort(deadline.runSignal.reason);
  if (deadline.runSignal.aborted) relay();
  else deadline.runSignal.addEventListener('abort', relay, { once: true });
  try {
    return await raceAbort(work(controller.signal), controller.signal, () => {
      if (deadline.runSignal.aborted)
        return toForcedownError(Object.assign(new Error('interrupted'), { name: 'AbortError' }));
      return (
        deadline.timeoutError?.() ??
        operationFailed(
          'STEP_TIMEOUT',
          `step "${deadline.stepId}" did not finish within ${formatDuration(deadline.timeoutMs)}`,
          'raise the step\'s "timeout" in the runbook, or find out why it is slow (BMC, Nova)',
          { timeoutMs: deadline.timeoutMs },
        )
      );
    });
  } finally {
    clearTimeout(timer);
    deadline.runSignal.removeEventListener('abort', relay);
  }
}
