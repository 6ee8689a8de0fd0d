/**
 * Which migration record belongs to which evacuate request: the one rule every path uses (first
 * send, retry, resume, late requests of a killed run, "already under way" refusals).
 *
 * A request's record is an evacuation from the host with an id larger than every id known when
 * the request was sent (Nova's ids only grow: a retry's record has a larger id than the failed
 * attempt's). Where no id is known (Nova had no record of the host, a journal of an older
 * version), it is one created at or after the request on Nova's clock (measured from its `Date`
 * header, see NovaClock; truncated to whole seconds as Nova stores it), never a fixed window.
 * The first such record (smallest id) is the request's; once seen, its id is pinned. Ids first:
 * nova-api nodes behind a balancer may not share one clock.
 */
import { parseNovaTime } from '../../openstack/compute/vocabulary.js';
import type { Migration, NovaClock } from '../../openstack/openstack.interface.js';

/** How to recognise the record of one request. */
export interface RequestFloor {
  /** Its record's id is larger than this (the largest id known when it was sent), when known. */
  readonly afterId: number | undefined;
  /** Nova's time of the request (ms, whole seconds, the earliest it can be): the rule where no id is known. */
  readonly notBefore: number | undefined;
}

/**
 * Without a measurement of Nova's clock (a test fake; the real client measures every answer),
 * local time minus this stands in for the earliest Nova time of a request.
 */
export const UNMEASURED_CLOCK_ALLOWANCE_MS = 1000;

/** The floor of a request sent at local time `sentAt`, with the largest migration id known then. */
export function floorAt(clock: NovaClock | undefined, sentAt: number, afterId: number | undefined): RequestFloor {
  const earliest = clock?.earliest(sentAt) ?? sentAt - UNMEASURED_CLOCK_ALLOWANCE_MS;
  return { afterId, notBefore: Math.floor(earliest / 1000) * 1000 };
}

/** Is `migration` an evacuation from `host` that a request with `floor` could have created? */
export function belongs(migration: Migration, host: string, floor: RequestFloor): boolean {
  return (
    (migration.migrationType === 'evacuation' || migration.migrationType === '') &&
    migration.sourceCompute === host &&
    (floor.afterId !== undefined
      ? migration.id > floor.afterId
      : floor.notBefore === undefined || parseNovaTime(migration.createdAt) >= floor.notBefore)
  );
}

/** The record of a request among `migrations` (any instances): the pinned id, else the first that belongs. */
export function recordOf(
  migrations: readonly Migration[],
  serverId: string,
  host: string,
  floor: RequestFloor,
  pinned: number | undefined,
): Migration | undefined {
  let best: Migration | undefined;
  for (const migration of migrations) {
    if (migration.instanceUuid !== serverId) continue;
    if (pinned !== undefined) {
      if (migration.id === pinned) return migration;
      continue;
    }
    if (belongs(migration, host, floor) && (best === undefined || migration.id < best.id)) best = migration;
  }
  return best;
}

/** The latest (largest id) evacuation from `host` of each instance. */
export function latestByInstance(migrations: readonly Migration[], host: string): Map<string, Migration> {
  const out = new Map<string, Migration>();
  for (const migration of migrations) {
    if (migration.sourceCompute !== host) continue;
    const current = out.get(migration.instanceUuid);
    if (current === undefined || migration.id > current.id) out.set(migration.instanceUuid, migration);
  }
  return out;
}

/** The largest id among `migrations`, undefined when there are none. */
export function largestId(migrations: readonly Migration[]): number | undefined {
  let max: number | undefined;
  for (const migration of migrations) if (max === undefined || migration.id > max) max = migration.id;
  return max;
}
