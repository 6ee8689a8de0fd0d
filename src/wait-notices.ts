/**
 * Notices of a call that keeps waiting: "no command is silent while it waits". Shared by the
 * OpenStack client (src/openstack) and the BMC drivers (src/fencing), which are peers and may not
 * import each other, so the timer lives here, one layer below both.
 */

/** How often a waiting call says so (under 5 s: no command is silent for longer while it waits). */
export const NOTICE_EVERY_MS = 4000;

/** What every wait notice carries, whoever waits (OpenStack, a BMC). Holds no secret. */
export interface WaitNoticeBase {
  /** Since the call started. */
  readonly waitedMs: number;
  /** The whole notice as one line for people. */
  readonly message: string;
}

/** The clock and timers of {@link startWaitNotices} (tests inject fake ones). */
export interface NoticeTimers {
  now(): number;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: NoticeTimers = {
  now: () => Date.now(),
  setInterval: (callback, ms) => {
    const timer = setInterval(callback, ms);
    // a notice never keeps the process alive
    timer.unref();
    return timer;
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** Options of {@link startWaitNotices}. */
export interface WaitNoticeTimerOptions {
  /** First notice after this many milliseconds, then again every as many. @defaultValue {@link NOTICE_EVERY_MS} */
  readonly everyMs?: number | undefined;
  /** @defaultValue the real clock and timers */
  readonly timers?: NoticeTimers | undefined;
}

/**
 * Calls `tick(waitedMs)` every `everyMs` (the first time after `everyMs`, never at once) until the
 * returned function is called. A `tick` that throws is ignored: a failing listener must not break
 * the call that waits.
 *
 * @returns stop: ends the notices (call it when the call ends, however it ends)
 */
export function startWaitNotices(tick: (waitedMs: number) => void, options: WaitNoticeTimerOptions = {}): () => void {
  const timers = options.timers ?? realTimers;
  const everyMs = options.everyMs !== undefined && options.everyMs > 0 ? options.everyMs : NOTICE_EVERY_MS;
  const started = timers.now();
  let fired = 0;
  const handle = timers.setInterval(() => {
    fired += 1;
    try {
      // Node's timers run on a monotonic clock and may fire a millisecond before Date.now says
      // everyMs has passed: a notice never claims less than the intervals that elapsed
      tick(Math.max(timers.now() - started, fired * everyMs));
    } catch {
      // a failing listener must not break the call
    }
  }, everyMs);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    timers.clearInterval(handle);
  };
}

/** `12.5 s`, for notices and messages about time limits. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
