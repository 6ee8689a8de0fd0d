/**
 * Detection: which nova-compute services look failed in one `GET /os-services` answer, measured
 * on Nova's clock, and which have looked failed for `confirmSamples` consecutive polls. Pure.
 */
import type { ComputeService } from '../openstack/openstack.interface.js';

/** Why a compute looks failed. */
export type StaleReason = 'down' | 'stale' | 'alert';

/** One compute's reading in one poll. */
export interface ComputeReading {
  readonly host: string;
  readonly zone: string;
  readonly enabled: boolean;
  readonly disabledReason: string | null;
  readonly forcedDown: boolean;
  /** Looks failed now (down, or heartbeat older than staleAfter on Nova's clock). */
  readonly stale: boolean;
  /**
   * Stale, or its heartbeat older than `agingAfter` (staleAfter - heartbeatInterval - 1 s): it
   * missed a heartbeat. The stale-fraction breaker counts these, so computes whose heartbeats all
   * stopped together (nova-conductor gone) trip it before the oldest of them is confirmed.
   */
  readonly aging: boolean;
  readonly reason?: StaleReason;
  /** Heartbeat age on Nova's clock (ms), when Nova gave an updated_at and its clock is known. */
  readonly ageMs?: number;
  /** Nova's time of the last heartbeat (ms since epoch), if known. */
  readonly lastHeartbeatMs?: number;
}

/** What one poll says about the whole region. */
export interface PollReading {
  readonly computes: readonly ComputeReading[];
  /** nova-conductor / nova-scheduler records reported down (the control plane). */
  readonly controlPlaneDown: readonly string[];
}

/** Nova's `updated_at` (UTC, often without a zone suffix) in ms since epoch. */
export function novaTime(updatedAt: string | null): number | undefined {
  if (!updatedAt) return undefined;
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(updatedAt) ? updatedAt : `${updatedAt}Z`;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** How old a heartbeat is (on Nova's clock) before it counts as stale, and as aging. */
export interface Staleness {
  readonly staleAfterMs: number;
  /** Nova's report_interval (nova.conf); 0 makes aging the same as stale. */
  readonly heartbeatIntervalMs: number;
}

/** updated_at is stored in whole seconds: two heartbeats' ages can differ by 1 s more than their times. */
const UPDATED_AT_RESOLUTION_MS = 1000;

/** The heartbeat age beyond which a compute is aging: it missed its last heartbeat. */
export function agingAfterMs(staleness: Staleness): number {
  if (staleness.heartbeatIntervalMs <= 0) return staleness.staleAfterMs;
  return staleness.staleAfterMs - staleness.heartbeatIntervalMs - UPDATED_AT_RESOLUTION_MS;
}

/**
 * Reads one os-services answer. `novaNowMs` is the earliest Nova time of the answer (its Date
 * header), so a heartbeat is only called stale when it is certainly older than `staleAfterMs`.
 */
export function readServices(
  services: readonly ComputeService[],
  novaNowMs: number | undefined,
  staleness: Staleness,
): PollReading {
  const computes: ComputeReading[] = [];
  const controlPlaneDown: string[] = [];
  for (const service of services) {
    if (service.binary === 'nova-conductor' || service.binary === 'nova-scheduler') {
      if (service.state === 'down' && service.status === 'enabled')
        controlPlaneDown.push(`${service.binary}@${service.host}`);
      continue;
    }
    if (service.binary !== 'nova-compute') continue;
    computes.push(readCompute(service, novaNowMs, staleness));
  }
  return { computes, controlPlaneDown };
}

function readCompute(service: ComputeService, novaNowMs: number | undefined, staleness: Staleness): ComputeReading {
  const heartbeat = novaTime(service.updatedAt);
  // updated_at has whole seconds (or microseconds): the heartbeat was at or after it
  const ageMs = heartbeat !== undefined && novaNowMs !== undefined ? novaNowMs - heartbeat : undefined;
  const reason: StaleReason | undefined =
    service.state === 'down' ? 'down' : ageMs !== undefined && ageMs > staleness.staleAfterMs ? 'stale' : undefined;
  const aging = reason !== undefined || (ageMs !== undefined && ageMs > agingAfterMs(staleness));
  return {
    host: service.host,
    zone: service.zone,
    enabled: service.status === 'enabled',
    disabledReason: service.disabledReason,
    forcedDown: service.forcedDown,
    stale: reason !== undefined,
    aging,
    ...(reason ? { reason } : {}),
    ...(ageMs !== undefined ? { ageMs } : {}),
    ...(heartbeat !== undefined ? { lastHeartbeatMs: heartbeat } : {}),
  };
}

/** A compute that may be failed: not forced down yet, stale now (whether enabled is the guards' call). */
export function isCandidate(reading: ComputeReading): boolean {
  return reading.stale && !reading.forcedDown;
}

/**
 * A compute a firing alert names is a candidate once Nova agrees it missed a heartbeat (aging, not
 * yet stale): the alert only shortens the wait, it never fences a compute that still heartbeats
 * (a wrong alert rule, or a leaked token, cannot power off a healthy host).
 */
export function isAlertCandidate(reading: ComputeReading): boolean {
  return reading.aging && !reading.forcedDown;
}

/** A host that has been a candidate for `samples` consecutive polls. */
export interface Confirmation {
  readonly host: string;
  readonly samples: number;
  readonly confirmed: boolean;
  /** Local time of the first stale sample of this streak. */
  readonly firstStaleAt: number;
}

/**
 * Counts consecutive candidate polls per host; a host missing from a poll, or not a candidate,
 * starts again from zero.
 */
export class CandidateTracker {
  readonly #streaks = new Map<string, { samples: number; firstStaleAt: number }>();

  constructor(private readonly confirmSamples: number) {}

  /** Takes one poll's candidates (hosts) at local time `now`; returns every current streak. */
  observe(candidates: Iterable<string>, now: number): Confirmation[] {
    const seen = new Set(candidates);
    for (const host of [...this.#streaks.keys()]) if (!seen.has(host)) this.#streaks.delete(host);
    const result: Confirmation[] = [];
    for (const host of seen) {
      const streak = this.#streaks.get(host) ?? { samples: 0, firstStaleAt: now };
      streak.samples += 1;
      this.#streaks.set(host, streak);
      result.push({
        host,
        samples: streak.samples,
        confirmed: streak.samples >= this.confirmSamples,
        firstStaleAt: streak.firstStaleAt,
      });
    }
    return result.sort((a, b) => a.host.localeCompare(b.host));
  }

  /** Forgets every streak (a breaker tripped: what looked failed may have been the control plane). */
  reset(): void {
    this.#streaks.clear();
  }

  /** Forgets a host (after a run was started for it). */
  forget(host: string): void {
    this.#streaks.delete(host);
  }
}
