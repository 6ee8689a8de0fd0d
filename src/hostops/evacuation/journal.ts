/**
 * The evacuation's facts in the journal, written before each action and read back on resume:
 * which requests were sent (with what it takes to recognise their records), which attempts Nova
 * failed and why, which servers are finished, which locks this run took.
 */
import { parseNovaTime } from '../../openstack/compute/vocabulary.js';
import type { RequestFloor } from './matching.js';
import type { EvacuationFact, EvacuationResult, RestoreTo } from './types.js';

/** A request an earlier attempt sent (or was about to send) and did not see finish. */
export interface JournaledRequest {
  readonly serverId: string;
  readonly name: string;
  /** Local time it was journaled, just before the POST. */
  readonly requestedAt: number;
  readonly attempt: number;
  /** Failures so far that count against serverRetries. */
  readonly failures: number;
  /** Local time of the server's first request (serverTimeout runs from it). */
  readonly firstSentAt: number;
  readonly vmState: string;
  readonly restoreTo: RestoreTo;
  /** What recognises its record; `notBefore` is absent in journals of older versions. */
  readonly floor: RequestFloor;
  readonly accepted: boolean;
  /**
   * Nova failed this attempt (the next one was not sent yet): its record's id (unknown in
   * journals of older versions) and whether the failure was transient (not counted against serverRetries).
   */
  readonly failed:
    { readonly migrationId: number | undefined; readonly transient: boolean; readonly reason: string } | undefined;
}

/** What the journal says about earlier attempts. */
export interface Replayed {
  /** Requests not finished (they may be in flight in Nova, or await their retry). */
  readonly open: Map<string, JournaledRequest>;
  /** Outcomes already known. */
  readonly finished: Map<string, EvacuationResult>;
  /** Servers this run locked (or was about to) and did not unlock: the lock reason. */
  readonly locks: Map<string, string>;
}

const text = (value: unknown, fallback = ''): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : fallback;
const int = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) ? value : undefined;
const RESTORE: readonly string[] = ['active', 'stopped', 'error', 'paused', 'suspended'];

function requested(fact: EvacuationFact, serverId: string): JournaledRequest {
  const d = fact.data;
  const requestedAt = Date.parse(text(d.at, fact.at ?? ''));
  const notBefore = typeof d.notBefore === 'string' ? parseNovaTime(d.notBefore) : undefined;
  return {
    serverId,
    name: text(d.name, serverId),
    requestedAt,
    attempt: int(d.attempt) ?? 1,
    failures: int(d.failures) ?? Math.max(0, (int(d.attempt) ?? 1) - 1),
    firstSentAt: typeof d.firstSentAt === 'string' ? Date.parse(d.firstSentAt) : requestedAt,
    vmState: text(d.vmState, 'active'),
    restoreTo: (RESTORE.includes(text(d.restoreTo)) ? text(d.restoreTo) : 'active') as RestoreTo,
    floor: { afterId: int(d.afterId), notBefore: notBefore === 0 ? undefined : notBefore },
    accepted: false,
    failed: undefined,
  };
}

function finished(fact: EvacuationFact, serverId: string, host: string): EvacuationResult {
  const d = fact.data;
  const migrationId = int(d.migrationId);
  const attempts = int(d.attempts);
  return {
    id: serverId,
    name: text(d.name, serverId),
    result: d.result as EvacuationResult['result'],
    reason: text(d.reason),
    fromHost: host,
    toHost: typeof d.toHost === 'string' ? d.toHost : null,
    ...(migrationId === undefined ? {} : { migrationId }),
    ...(attempts === undefined ? {} : { attempts }),
  };
}

/** Replays the facts of earlier attempts of the evacuation of `host`. */
export function replay(facts: readonly EvacuationFact[], host: string): Replayed {
  const open = new Map<string, JournaledRequest>();
  const done = new Map<string, EvacuationResult>();
  const locks = new Map<string, string>();
  for (const fact of facts) {
    const serverId = text(fact.data.serverId);
    if (serverId === '') continue;
    const entry = open.get(serverId);
    switch (fact.kind) {
      case 'evacuation.requested':
        open.set(serverId, requested(fact, serverId));
        done.delete(serverId);
        break;
      case 'evacuation.accepted':
        if (entry) open.set(serverId, { ...entry, accepted: true });
        break;
      case 'evacuation.failed-attempt':
        if (entry)
          open.set(serverId, {
            ...entry,
            failed: {
              migrationId: int(fact.data.migrationId),
              transient: fact.data.transient === true,
              reason: text(fact.data.reason, 'the evacuation failed in Nova'),
            },
          });
        break;
      case 'evacuation.finished':
        open.delete(serverId);
        done.set(serverId, finished(fact, serverId, host));
        break;
      case 'server.locking':
        locks.set(serverId, text(fact.data.reason));
        break;
      case 'server.unlocked':
        locks.delete(serverId);
        break;
    }
  }
  return { open, finished: done, locks };
}

/**
 * What earlier attempts left to do beyond the servers still on the host: requests to confirm
 * (their servers may have moved meanwhile) and locks to lift. A resume whose host is already
 * empty still has this to do.
 */
export function leftovers(
  replayed: Replayed,
  listedIds: ReadonlySet<string>,
): { unconfirmed: string[]; locks: string[] } {
  const unconfirmed = [...replayed.open.keys()].filter((id) => !listedIds.has(id));
  const locks = [...replayed.locks.keys()].filter((id) => !listedIds.has(id) && !replayed.open.has(id));
  return { unconfirmed, locks };
}
