/** Exponential backoff with jitter for idempotent OpenStack calls. */
import { abortError } from './transport.js';

/** How idempotent calls are retried on connection errors and 502/503/504. */
export interface RetryPolicy {
  /** Retries after the first attempt. @defaultValue `3` */
  readonly retries: number;
  /** Delay before the first retry. @defaultValue `500` (ms) */
  readonly baseDelayMs: number;
  /** Cap of one delay. @defaultValue `8000` (ms) */
  readonly maxDelayMs: number;
}

/** The defaults of {@link RetryPolicy}. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 8000 };

/**
 * The delay before retry number `attempt` (1-based): `baseDelayMs * 2^(attempt-1)`, capped at
 * `maxDelayMs`, then scaled by a random factor in [0.5, 1) ("equal jitter") so that many clients
 * do not retry in lock-step.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.5 + random() * 0.5));
}

/** Waits `ms`, or rejects with an AbortError when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
