/**
 * The guards, checked every cycle before any fence: which confirmed candidates the watcher may
 * act on now, and every reason it does not act on the others. Pure: the watcher keeps the state.
 */
import type { ComputeReading, PollReading } from './detect.js';
import { markerHolder } from '../hostops/index.js';
import type { ProbeVerdict } from './ports.js';

export type TripReason =
  | 'stale-fraction'
  | 'control-plane-down'
  | 'self-check'
  | 'settle-after-trip'
  | 'max-concurrent'
  | 'max-per-hour'
  | 'zone-limit'
  | 'aggregate-limit'
  | 'disabled'
  | 'held-by-other-run'
  | 'unknown-host'
  | 'probe-veto';

/** Guards that stop everything this cycle (no host named); the hold after them too. */
export const BREAKER_REASONS: ReadonlySet<TripReason> = new Set([
  'stale-fraction',
  'control-plane-down',
  'self-check',
  'settle-after-trip',
]);

export interface Trip {
  readonly reason: TripReason;
  readonly host?: string;
  readonly message: string;
}

export interface GuardSettings {
  readonly maxStaleFraction: number;
  readonly maxConcurrentRecoveries: number;
  readonly maxRecoveriesPerHour: number;
  /** Most recoveries at once per availability zone. */
  readonly zoneLimits: Readonly<Record<string, number>>;
  /** Named host groups (Nova aggregates as configured) with their limit of recoveries at once. */
  readonly aggregates: Readonly<Record<string, { readonly hosts: readonly string[]; readonly maxConcurrent: number }>>;
  /** Disabled hosts whose reason matches are still acted on (undefined: never). */
  readonly disabledReasonPattern?: RegExp;
  readonly recoverAfterSamples: number;
  /** After any breaker trip, act on no host until the breakers have been clear this long. */
  readonly settleAfterTripMs: number;
}

/** What the watcher knows besides the poll. */
export interface GuardState {
  /** Hosts with a recovery run in flight. */
  readonly inFlight: readonly string[];
  /** Local start times (ms) of recoveries, for the hourly cap. */
  readonly startedAt: readonly number[];
  /** Good polls since the watcher's own last failed API call (Infinity: none failed). */
  readonly goodPollsSinceError: number;
  /** Local time (ms) of the last poll a breaker tripped in, if any. */
  readonly lastBreakerTripAt?: number;
  readonly now: number;
}

export interface GuardDecision {
  readonly act: readonly string[];
  readonly trips: readonly Trip[];
}

const HOUR_MS = 3_600_000;

/** The breakers: a reason to act on no host at all this cycle. */
export function breakerTrips(poll: PollReading, settings: GuardSettings, state: GuardState): Trip[] {
  const trips: Trip[] = [];
  if (state.goodPollsSinceError < settings.recoverAfterSamples) {
    trips.push({
      reason: 'self-check',
      message: `the watcher's own API calls failed recently: ${state.goodPollsSinceError} of ${settings.recoverAfterSamples} good polls since, acting on nothing`,
    });
  }
  if (poll.controlPlaneDown.length > 0) {
    trips.push({
      reason: 'control-plane-down',
      message: `Nova's control plane is down (${poll.controlPlaneDown.join(', ')}): acting on no host`,
    });
  }
  // aging counts: heartbeats that all stopped together (the conductor) go stale up to one
  // report_interval apart, and the oldest must not be the only one the breaker sees
  const enabled = poll.computes.filter((c) => c.enabled && !c.forcedDown);
  const aging = enabled.filter((c) => c.aging);
  if (enabled.length > 0 && aging.length / enabled.length >= settings.maxStaleFraction) {
    const stale = aging.filter((c) => c.stale).length;
    trips.push({
      reason: 'stale-fraction',
      message: `${aging.length} of ${enabled.length} enabled computes look stale or missed a heartbeat at once (${stale} stale, limit ${settings.maxStaleFraction}): a control-plane or network problem, acting on no host`,
    });
  }
  return trips;
}

/** The hold after a breaker trip: the last compute to resume its heartbeat is not a failed host. */
export function settleTrip(settings: GuardSettings, state: GuardState): Trip | undefined {
  if (state.lastBreakerTripAt === undefined) return undefined;
  const clearFor = state.now - state.lastBreakerTripAt;
  if (clearFor >= settings.settleAfterTripMs) return undefined;
  return {
    reason: 'settle-after-trip',
    message: `a breaker tripped ${Math.round(clearFor / 1000)} s ago: acting on no host until it has been clear for ${Math.round(settings.settleAfterTripMs / 1000)} s`,
  };
}

/** Per-host guards: disabled hosts, other runs' markers. */
function hostTrip(host: string, reading: ComputeReading | undefined, settings: GuardSettings): Trip | undefined {
  if (!reading) return { reason: 'unknown-host', host, message: `${host} has no nova-compute service in Nova` };
  const holder = markerHolder(reading.disabledReason);
  if (holder !== undefined) {
    return { reason: 'held-by-other-run', host, message: `${host} is held by forcedown run ${holder}` };
  }
  if (!reading.enabled && !settings.disabledReasonPattern?.test(reading.disabledReason ?? '')) {
    return {
      reason: 'disabled',
      host,
      message: `${host} is disabled ("${reading.disabledReason ?? ''}"): someone's maintenance, left alone`,
    };
  }
  return undefined;
}

/** Room left under the concurrency, hourly, zone and aggregate caps for `host`. */
function capTrip(
  host: string,
  zone: string,
  active: readonly string[],
  zoneOf: (h: string) => string | undefined,
  settings: GuardSettings,
  startsThisHour: number,
): Trip | undefined {
  if (active.length >= settings.maxConcurrentRecoveries) {
    return {
      reason: 'max-concurrent',
      host,
      message: `${active.length} recoveries in flight (limit ${settings.maxConcurrentRecoveries}): ${host} waits`,
    };
  }
  if (startsThisHour >= settings.maxRecoveriesPerHour) {
    return {
      reason: 'max-per-hour',
      host,
      message: `${startsThisHour} recoveries started in the last hour (limit ${settings.maxRecoveriesPerHour}): ${host} waits`,
    };
  }
  const zoneLimit = settings.zoneLimits[zone];
  if (zoneLimit !== undefined && active.filter((h) => zoneOf(h) === zone).length >= zoneLimit) {
    return {
      reason: 'zone-limit',
      host,
      message: `zone ${zone} has ${zoneLimit} recoveries in flight (its limit): ${host} waits`,
    };
  }
  for (const [name, aggregate] of Object.entries(settings.aggregates)) {
    if (!aggregate.hosts.includes(host)) continue;
    if (active.filter((h) => aggregate.hosts.includes(h)).length >= aggregate.maxConcurrent) {
      return {
        reason: 'aggregate-limit',
        host,
        message: `aggregate ${name} has ${aggregate.maxConcurrent} recoveries in flight (its limit): ${host} waits`,
      };
    }
  }
  return undefined;
}

/** Decides which `confirmed` hosts (sorted, deduplicated) may be recovered now. */
export function decide(
  poll: PollReading,
  confirmed: readonly string[],
  settings: GuardSettings,
  state: GuardState,
): GuardDecision {
  const candidates = [...new Set(confirmed)].filter((h) => !state.inFlight.includes(h)).sort();
  if (candidates.length === 0) return { act: [], trips: [] };
  const breakers = breakerTrips(poll, settings, state);
  if (breakers.length > 0) return { act: [], trips: breakers };
  const hold = settleTrip(settings, state);
  if (hold) return { act: [], trips: [hold] };
  const byHost = new Map(poll.computes.map((c) => [c.host, c]));
  const zoneOf = (h: string): string | undefined => byHost.get(h)?.zone;
  const active = [...state.inFlight];
  let startsThisHour = state.startedAt.filter((t) => state.now - t < HOUR_MS).length;
  const act: string[] = [];
  const trips: Trip[] = [];
  for (const host of candidates) {
    const reading = byHost.get(host);
    const trip =
      hostTrip(host, reading, settings) ?? capTrip(host, reading!.zone, active, zoneOf, settings, startsThisHour);
    if (trip) {
      trips.push(trip);
      continue;
    }
    act.push(host);
    active.push(host);
    startsThisHour += 1;
  }
  return { act, trips };
}

/** The probe's second opinion: a host that still answers is not fenced (restart its nova-compute instead). */
export function probeTrip(host: string, verdict: ProbeVerdict): Trip | undefined {
  if (verdict !== 'answers') return undefined;
  return {
    reason: 'probe-veto',
    host,
    message: `${host}'s nova-compute is silent but the host answers its liveness probe: restart nova-compute there; not fencing`,
  };
}
