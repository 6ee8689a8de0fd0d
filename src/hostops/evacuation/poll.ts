/**
 * Confirming evacuations: one os-migrations list per interval whatever the number of servers in
 * flight, each flight judged by its own record only (see matching.ts); a server is read only
 * once its record has ended (so about once per server). A failed attempt is retried as transient
 * (placement conflicts, "No valid host" while others are in flight) with backoff, or counted
 * against `retries`; a succeeded one is put back in its original state, then settled.
 */
import { EVACUATION_FAILED, EVACUATION_SUCCEEDED, evacuationFailureCause } from '../../openstack/compute/vocabulary.js';
import { OpenStackApiError } from '../../openstack/errors.js';
import type { Migration, Server } from '../../openstack/openstack.interface.js';
import { formatDuration } from '../../runbook/durations.js';
import { recordOf } from './matching.js';
import { restoreStep } from './restore.js';
import { currentServer, retryTransient } from './send.js';
import { listingIsStale } from './server-locks.js';
import type { EvacuationState, Flight, Pending } from './state.js';

const ended = (record: Migration | undefined): boolean =>
  record !== undefined && (EVACUATION_SUCCEEDED.has(record.status) || EVACUATION_FAILED.has(record.status));

/** What a poll refills the slots its confirmations free with (the engine's `fill`). */
export interface Refill {
  /** When the plan's listing was made (see `lockBeforeSend`). */
  readonly listedAt: number;
  send(): Promise<void>;
}

/**
 * The queued servers the refill after this poll will lock, when it has to read them first (the
 * listing is stale): read together with the confirmations instead of after them.
 */
function toReadAhead(run: EvacuationState, freed: number, refill: Refill | undefined): string[] {
  if (refill === undefined || freed === 0 || !run.settings.lockServers || !listingIsStale(refill.listedAt)) return [];
  return run
    .due(freed)
    .filter((p) => p.recheck === undefined && !run.locks.has(p.plan.server.id))
    .map((p) => p.plan.server.id);
}

/**
 * One poll: list, match, read the servers whose records ended (and the ones the refill will
 * lock), judge every flight; with `refill`, the slots the confirmations free are refilled while
 * their unlocks and journal lines are still under way (issue 15: one round trip less per refill).
 */
export async function pollOnce(run: EvacuationState, refill?: Refill): Promise<void> {
  const { compute, signal } = run.ports;
  const listed = await compute.listMigrations(
    { sourceCompute: run.host, migrationType: 'evacuation', changesSince: run.pollSince },
    { signal },
  );
  run.saw(listed.map((m) => m.id));
  const records = new Map<string, Migration>();
  for (const [id, flight] of run.flights) {
    const record = recordOf(listed, id, run.host, flight.floor, flight.migrationId);
    if (record === undefined) continue;
    flight.migrationId = record.id;
    flight.lastStatus = record.status;
    records.set(id, record);
  }
  const toRead = [...run.flights.keys()].filter((id) => ended(records.get(id)));
  const ahead = toReadAhead(run, toRead.length, refill);
  const [read, readAhead] = await Promise.all([
    Promise.all(toRead.map((id) => currentServer(run, id))),
    // only a shortcut: a read that fails here is made again before the lock
    Promise.all(ahead.map((id) => currentServer(run, id).catch(() => undefined))),
  ]);
  const servers = new Map<string, Server | undefined>(toRead.map((id, index) => [id, read[index]]));
  const readAt = Date.now();
  for (const server of readAhead) if (server !== undefined) run.freshReads.set(server.id, { server, at: readAt });
  run.startBatch();
  // every flight at once: a confirmation's unlock (and its journal lines) no longer waits for the
  // previous server's, so N confirmations in one poll cost one round trip, not N (issue 15); the
  // judging frees the slots of the confirmed before its first await, so the refill sees them
  const work = [...run.flights.values()].map((flight) => {
    const id = flight.plan.server.id;
    return judge(run, flight, records.get(id), servers.has(id) ? (servers.get(id) ?? null) : undefined);
  });
  if (refill !== undefined) work.push(refill.send());
  const judged = await Promise.allSettled(work);
  const failure = judged.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}

/** `now`: the server read this poll, null when deleted, undefined when not read. */
async function judge(
  run: EvacuationState,
  flight: Flight,
  record: Migration | undefined,
  now: Server | null | undefined,
): Promise<void> {
  const { server } = flight.plan;
  if (now === null) {
    await run.finish(
      { id: server.id, name: server.name, result: 'skipped', reason: 'the server was deleted', fromHost: run.host },
      flight.attempt,
    );
    return;
  }
  if (record !== undefined && EVACUATION_FAILED.has(record.status)) {
    await failedAttempt(run, flight, record, now);
    return;
  }
  const rebuilt =
    record !== undefined &&
    EVACUATION_SUCCEEDED.has(record.status) &&
    now !== undefined &&
    now.host !== null &&
    now.host !== run.host;
  if (rebuilt && now.taskState === null) {
    await settle(run, flight, record, now);
    return;
  }
  if (Date.now() - flight.sentAt <= run.settings.serverTimeoutMs) return;
  const limit = formatDuration(run.settings.serverTimeoutMs);
  const reason = rebuilt
    ? `now ${now.status} on ${now.host} (task ${now.taskState}); not back in its original state within ${limit}`
    : `not confirmed within ${limit} (Nova: ${flight.lastStatus}${flight.migrationId !== undefined ? `, migration ${flight.migrationId}` : ''}); not sent again — check it by hand`;
  await run.finish(
    {
      id: server.id,
      name: server.name,
      result: rebuilt ? 'evacuated' : 'failed',
      reason,
      fromHost: run.host,
      toHost: now?.host ?? null,
      ...(flight.migrationId !== undefined ? { migrationId: flight.migrationId } : {}),
      attempts: flight.attempt,
    },
    flight.attempt,
    now,
  );
}

/** Nova failed this attempt: transient → again with backoff; else again while `retries` allows; else failed. */
async function failedAttempt(
  run: EvacuationState,
  flight: Flight,
  record: Migration,
  now: Server | undefined,
): Promise<void> {
  const { server } = flight.plan;
  const fault = now?.fault ?? (await currentServer(run, server.id).catch(() => undefined))?.fault;
  const cause = evacuationFailureCause(fault);
  const othersInFlight = run.flights.size - 1;
  const transient = cause === 'placement-conflict' || (cause === 'no-valid-host' && othersInFlight > 0);
  const reason = `evacuation ${record.status} in Nova (migration ${record.id})${fault ? `: ${fault}` : ''}`;
  run.flights.delete(server.id);
  const pending: Pending = { ...flight, afterId: record.id, readyAt: 0, sendFailures: 0 };
  const sentAt = flight.sentAt;
  if (
    transient &&
    (await retryTransient(run, pending, 'evacuation.failed-attempt', { cause, reason, migrationId: record.id, sentAt }))
  )
    return;
  if (!transient && flight.failures < run.settings.retries) {
    pending.failures += 1;
    await run.record('evacuation.failed-attempt', {
      serverId: server.id,
      attempt: flight.attempt,
      migrationId: record.id,
      cause,
      transient: false,
      reason,
    });
    pending.attempt += 1;
    run.queue.push(pending);
    run.ports.output(
      `${server.name}: ${reason}; trying again (${pending.attempt}/${run.settings.retries + 1 + pending.transients})`,
    );
    return;
  }
  await run.finish(
    {
      id: server.id,
      name: server.name,
      result: 'failed',
      reason: transient ? `${reason}; still failing after ${formatDuration(run.settings.serverTimeoutMs)}` : reason,
      fromHost: run.host,
      toHost: null,
      migrationId: record.id,
      attempts: flight.attempt,
    },
    flight.attempt,
    now,
  );
}

/** Rebuilt and idle on its new host: restore its state, then confirm it. */
async function settle(run: EvacuationState, flight: Flight, record: Migration, now: Server): Promise<void> {
  const { compute, signal } = run.ports;
  const { server } = flight.plan;
  const step = restoreStep(flight, now);
  if (step.kind === 'wait') return;
  if (step.kind === 'call') {
    await run.beforeWrite();
    const call = {
      start: (id: string) => compute.startServer(id, { signal }),
      stop: (id: string) => compute.stopServer(id, { signal }),
      pause: (id: string) => compute.pauseServer(id, { signal }),
      suspend: (id: string) => compute.suspendServer(id, { signal }),
    }[step.action];
    try {
      await call(server.id);
      flight.restoring = step.action;
      run.ports.output(`${server.name}: ${step.message}`);
    } catch (error) {
      if (!(error instanceof OpenStackApiError) || error.isServerError) throw error;
      flight.note = `could not ${step.action} it again: ${error.apiMessage}`;
      run.ports.output(`${server.name}: ${flight.note}`);
    }
    return;
  }
  if (step.resetToError) {
    await run.beforeWrite();
    await compute.resetState(server.id, 'error', { signal });
  }
  await run.finish(
    {
      id: server.id,
      name: server.name,
      result: step.evacuated ? 'evacuated' : 'failed',
      reason: step.reason,
      fromHost: run.host,
      toHost: now.host,
      migrationId: record.id,
      attempts: flight.attempt,
    },
    flight.attempt,
    now,
  );
}
