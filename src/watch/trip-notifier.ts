/**
 * Guard trips told to a webhook: one JSON POST per trip, the same reason and host at most once per
 * `repeatAfterMs` (a breaker trips every poll while the control plane is down). Sending never
 * blocks a cycle and a failed send is logged, never thrown: the guard already held.
 */
import { webhookUrl } from '../steps/notify.js';
import { secrets } from '../secrets/index.js';
import type { Trip } from './guards.js';
import type { LogRecord } from './watcher.js';

export interface TripNotifierOptions {
  readonly url: string;
  /** A bearer token (already read from its environment variable). */
  readonly token?: string;
  readonly repeatAfterMs?: number;
  readonly log: (record: LogRecord) => void;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** Bound on one POST (connect and answer). @defaultValue 10000 */
  readonly timeoutMs?: number;
}

export interface TripNotifier {
  trip(trip: Trip): void;
  /** Resolves when every POST started so far has ended. */
  settle(): Promise<void>;
}

const HOUR_MS = 3_600_000;

export function createTripNotifier(options: TripNotifierOptions): TripNotifier {
  const url = webhookUrl(options.url, 'notify');
  if (options.token) secrets.add(options.token);
  const send = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const repeatAfterMs = options.repeatAfterMs ?? HOUR_MS;
  const lastSent = new Map<string, number>();
  const pending = new Set<Promise<void>>();
  const post = async (trip: Trip): Promise<void> => {
    const body = JSON.stringify({
      source: 'forcedown',
      event: 'watch.guard-trip',
      reason: trip.reason,
      host: trip.host ?? null,
      message: trip.message,
      at: new Date(now()).toISOString(),
    });
    try {
      const response = await send(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'forcedown',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      options.log({
        msg: 'could not tell the notify webhook of a guard trip',
        level: 'warn',
        guard: trip.reason,
        error: (error as Error).message,
      });
    }
  };
  return {
    trip(trip) {
      const key = `${trip.reason}\u0000${trip.host ?? ''}`;
      const at = now();
      const last = lastSent.get(key);
      if (last !== undefined && at - last < repeatAfterMs) return;
      lastSent.set(key, at);
      // forget keys that went quiet long ago: the map stays as small as the trips of one period
      for (const [k, t] of lastSent) if (at - t >= repeatAfterMs) lastSent.delete(k);
      const sending = post(trip).finally(() => pending.delete(sending));
      pending.add(sending);
    },
    async settle() {
      await Promise.all([...pending]);
    },
  };
}
