/**
 * Sending evacuate requests: each journaled (with what recognises its record) before its POST,
 * never retried blindly. A POST that fails in transit is judged by the migration records; one Nova
 * refuses because an evacuation is already under way is followed; one refused because of a
 * concurrent task is tried again later (transient).
 */
import { refused } from '../../errors/index.js';
import { concurrentTaskOf, EVACUATION_FAILED, EVACUATION_IN_FLIGHT } from '../../openstack/compute/vocabulary.js';
import { OpenStackApiError, OpenStackConnectionError } from '../../openstack/errors.js';
import type { Migration, Server } from '../../openstack/openstack.interface.js';
import { lockBeforeSend } from './server-locks.js';
import { floorAt, latestByInstance, recordOf, type RequestFloor } from './matching.js';
import { MAX_SEND_FAILURES, type EvacuationState, type Pending } from './state.js';
import type { EvacuationResult } from './types.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
const maxOf = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

/** Backoff before transient retry `n` (1-based): 1 s doubling to 30 s, with jitter (50-100 %). */
export function backoffMs(n: number, random: number): number {
  return Math.round(Math.min(30_000, 1000 * 2 ** (n - 1)) * (0.5 + random / 2));
}

/** Every evacuation migration of one server (no `changes-since`: a fresh `accepted` record has no updated_at). */
export async function migrationsOf(run: EvacuationState, serverId: string): Promise<Migration[]> {
  const list = await run.ports.compute.listMigrations(
    { instanceUuid: serverId, migrationType: 'evacuation' },
    { signal: run.ports.signal },
  );
  run.saw(list.map((m) => m.id));
  return list;
}

/** The server as Nova shows it now; undefined when it was deleted. */
export async function currentServer(run: EvacuationState, id: string): Promise<Server | undefined> {
  try {
    return await run.ports.compute.getServer(id, { signal: run.ports.signal });
  } catch (error) {
    if (error instanceof OpenStackApiError && error.isNotFound) return undefined;
    throw error;
  }
}

/**
 * Queues `pending` again after a transient failure (`kind` says which fact to journal), with
 * backoff, if the server's time allows; false when it does not (the caller reports it failed).
 */
export async function retryTransient(
  run: EvacuationState,
  pending: Pending,
  kind: 'evacuation.failed-attempt' | 'evacuation.refused',
  facts: { cause: string; reason: string; migrationId?: number; sentAt: number },
): Promise<boolean> {
  const delay = backoffMs(pending.transients + 1, run.random());
  const firstSentAt = pending.firstSentAt ?? facts.sentAt;
  if (Date.now() + delay - firstSentAt > run.settings.serverTimeoutMs) return false;
  pending.transients += 1;
  await run.record(kind, {
    serverId: pending.plan.server.id,
    attempt: pending.attempt,
    migrationId: facts.migrationId ?? null,
    cause: facts.cause,
    transient: true,
    reason: facts.reason,
    retryInMs: delay,
  });
  await run.conflict(facts.sentAt);
  if (facts.migrationId !== undefined) pending.attempt += 1;
  pending.readyAt = Date.now() + delay;
  run.queue.push(pending);
  run.ports.output(
    `${pending.plan.server.name}: ${facts.reason}; transient, trying again in ${(delay / 1000).toFixed(1)} s`,
  );
  return true;
}

const deleted = (run: EvacuationState, pending: Pending): EvacuationResult => ({
  id: pending.plan.server.id,
  name: pending.plan.server.name,
  result: 'skipped',
  reason: 'the server was deleted',
  fromHost: run.host,
});

/** Sends a batch of requests together (one API round trip per refill, not one per server). */
export async function sendBatch(run: EvacuationState, batch: readonly Pending[], listedAt: number): Promise<void> {
  run.startBatch();
  await run.beforeWrite();
  const sent = await Promise.allSettled(batch.map((pending) => sendOne(run, pending, listedAt)));
  const failure = sent.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}

async function sendOne(run: EvacuationState, pending: Pending, listedAt: number): Promise<void> {
  const { server } = pending.plan;
  const { compute, signal } = run.ports;
  if (pending.recheck !== undefined && (await landedLate(run, pending, pending.recheck))) return;
  try {
    await lockBeforeSend(run, pending, listedAt);
  } catch (error) {
    if (!(error instanceof OpenStackApiError && error.isNotFound)) throw error;
    await run.finish(deleted(run, pending), pending.attempt);
    return;
  }
  const sentAt = Date.now();
  const floor = floorAt(compute.clock, sentAt, maxOf(pending.afterId, run.knownMaxId));
  pending.firstSentAt ??= sentAt;
  await run.record('evacuation.requested', {
    serverId: server.id,
    name: server.name,
    at: iso(sentAt),
    attempt: pending.attempt,
    vmState: server.vmState,
    restoreTo: pending.plan.restoreTo,
    afterId: floor.afterId ?? null,
    notBefore: iso(floor.notBefore),
    failures: pending.failures,
    firstSentAt: iso(pending.firstSentAt),
  });
  try {
    if (pending.plan.action === 'reset-then-evacuate' && !pending.resetDone) {
      await compute.resetState(server.id, 'error', { signal });
      pending.resetDone = true;
      run.ports.output(`${server.name}: reset from ${server.vmState} to error so Nova will evacuate it`);
    }
    const target = run.settings.targetHost;
    await compute.evacuate(server.id, { signal, ...(target === undefined ? {} : { targetHost: target }) });
  } catch (error) {
    await sendFailed(run, pending, sentAt, floor, error);
    return;
  }
  await run.record('evacuation.accepted', { serverId: server.id });
  run.fly(pending, sentAt, floor);
}

/** A stopped run's request found in Nova after all (it landed late): followed, not sent again. */
async function landedLate(
  run: EvacuationState,
  pending: Pending,
  recheck: NonNullable<Pending['recheck']>,
): Promise<boolean> {
  const { server } = pending.plan;
  const record = recordOf(await migrationsOf(run, server.id), server.id, run.host, recheck.floor, undefined);
  delete pending.recheck;
  if (record === undefined) return false;
  run.fly(pending, recheck.requestedAt, recheck.floor, record.id, record.status);
  run.ports.output(
    `${server.name}: the stopped run's request reached Nova late (migration ${record.id}, ${record.status}); confirming it, not re-sending`,
  );
  return true;
}

async function sendFailed(
  run: EvacuationState,
  pending: Pending,
  sentAt: number,
  floor: RequestFloor,
  error: unknown,
): Promise<void> {
  const { server } = pending.plan;
  if (error instanceof OpenStackConnectionError || (error instanceof OpenStackApiError && error.isServerError)) {
    // the request may or may not have reached Nova: give it a moment, then its record decides
    // (that read is retried, so it also waits out a short API outage)
    await run.ports.sleep(1000);
    const record = recordOf(await migrationsOf(run, server.id), server.id, run.host, floor, undefined);
    const message = (error as Error).message;
    if (record !== undefined) {
      run.fly(pending, sentAt, floor, record.id, record.status);
      run.ports.output(
        `${server.name}: the evacuate call failed (${message}) but Nova accepted it (migration ${record.id}); tracking it`,
      );
      return;
    }
    pending.sendFailures += 1;
    if (pending.sendFailures > MAX_SEND_FAILURES) throw error;
    await run.record('evacuation.not-accepted', { serverId: server.id, reason: message });
    run.ports.output(`${server.name}: Nova did not accept the evacuation (${message}); sending it again`);
    run.queue.unshift(pending);
    return;
  }
  if (!(error instanceof OpenStackApiError)) throw error;
  if (error.isNotFound) {
    await run.finish(deleted(run, pending), pending.attempt);
    return;
  }
  if (error.isServiceInUse || error.isConflict) {
    await refusedAsUnderWay(run, pending, sentAt, error);
    return;
  }
  if (error.isBadRequest) {
    await refusedForGood(run, pending, error);
    return;
  }
  throw error;
}

async function refusedForGood(run: EvacuationState, pending: Pending, error: OpenStackApiError): Promise<void> {
  const { server } = pending.plan;
  await run.finish(
    {
      id: server.id,
      name: server.name,
      result: 'failed',
      reason: `Nova refused the evacuation: ${error.apiMessage}`,
      fromHost: run.host,
      attempts: pending.attempt,
    },
    pending.attempt,
  );
}

/**
 * Refused because an evacuation is already under way? A request of a run killed mid-call can
 * reach Nova seconds later: Nova then says the server's task is "rebuilding" (409) or names the
 * service of its new host (400 "still in use"). Such a server is followed, never sent again. A 409
 * for another concurrent task is transient; one for the server's vm_state is final.
 */
async function refusedAsUnderWay(
  run: EvacuationState,
  pending: Pending,
  sentAt: number,
  error: OpenStackApiError,
): Promise<void> {
  const { server } = pending.plan;
  const latest = latestByInstance(await migrationsOf(run, server.id), run.host).get(server.id);
  // in flight, or one that began after this run looked at Nova (and may be done already)
  const began = latest !== undefined && (run.firstLookMaxId === undefined || latest.id > run.firstLookMaxId);
  if (
    latest !== undefined &&
    (EVACUATION_IN_FLIGHT.has(latest.status) || (began && !EVACUATION_FAILED.has(latest.status)))
  ) {
    run.fly(pending, sentAt, { afterId: latest.id - 1, notBefore: undefined }, latest.id, latest.status);
    run.ports.output(
      `${server.name}: an evacuation accepted earlier is under way (migration ${latest.id}, ${latest.status}); confirming it, not re-sending`,
    );
    return;
  }
  if (error.isServiceInUse) {
    const now = await currentServer(run, server.id);
    if (now === undefined || (now.host !== null && now.host !== run.host)) {
      const reason =
        now === undefined
          ? 'the server was deleted'
          : `moved to ${now.host} since the host was listed, not by an evacuation`;
      await run.finish(
        {
          id: server.id,
          name: server.name,
          result: 'skipped',
          reason,
          fromHost: run.host,
          ...(now ? { toHost: now.host } : {}),
        },
        pending.attempt,
      );
      return;
    }
    throw refused(
      'SERVICE_NOT_DOWN',
      `Nova refuses to evacuate from ${run.host}: "${error.apiMessage}"`,
      'the service is not down in Nova: run the force-down step first',
      { host: run.host },
    );
  }
  const task = concurrentTaskOf(error.apiMessage);
  const reason = `Nova refused the evacuation: ${error.apiMessage}`;
  if (
    task !== undefined &&
    (await retryTransient(run, pending, 'evacuation.refused', { cause: 'concurrent-task', reason, sentAt }))
  )
    return;
  await refusedForGood(run, pending, error);
}
