/**
 * Before the first request: what Nova and the journal already know. Servers mid-rebuild are
 * followed; requests the journal holds are matched to their own records (never re-sent when Nova
 * accepted them); a request with no record yet is sent again only once it is
 * LATE_REQUEST_GRACE_MS old and still has none (a killed runner's request can land late);
 * servers that moved while the run was down are confirmed; locks of finished servers are lifted.
 */
import { EVACUATION_IN_FLIGHT } from '../../openstack/compute/vocabulary.js';
import type { Migration, Server } from '../../openstack/openstack.interface.js';
import { formatDuration } from '../../runbook/durations.js';
import type { JournaledRequest, Replayed } from './journal.js';
import { floorAt, latestByInstance, recordOf, type RequestFloor } from './matching.js';
import { currentServer, migrationsOf } from './send.js';
import { lockBeforeSend } from './server-locks.js';
import type { EvacuationState, Pending } from './state.js';
import type { Classified, ServerPlan } from './types.js';

/**
 * On resume, how old a journaled evacuate request without a migration record must be before it
 * is sent again: a request of a runner killed mid-call can still reach Nova after the resume has
 * looked (seen on the testbed, where a kill -9 test's request landed a few seconds late).
 */
export const LATE_REQUEST_GRACE_MS = 15_000;

/** The floor of a journaled request (journals of older versions have no `notBefore`: Nova's clock now stands in). */
function journaledFloor(run: EvacuationState, journaled: JournaledRequest): RequestFloor {
  if (journaled.floor.notBefore !== undefined) return journaled.floor;
  return floorAt(run.ports.compute.clock, journaled.requestedAt, journaled.floor.afterId);
}

/** Where the polls' `changes-since` starts: before this attempt and every journaled request (Nova time). */
function pollSince(run: EvacuationState, replayed: Replayed): string {
  let since = floorAt(run.ports.compute.clock, run.startedAt, undefined).notBefore!;
  for (const journaled of replayed.open.values()) since = Math.min(since, journaledFloor(run, journaled).notBefore!);
  return new Date(since - 1000).toISOString();
}

/** Sets up the queue and the flights from the plan, Nova's records and the journal. */
export async function prepare(
  run: EvacuationState,
  classified: Classified,
  replayed: Replayed,
  listed: readonly Server[],
  listedAt: number,
): Promise<void> {
  const { compute, signal } = run.ports;
  // every evacuation from the host: without changes-since, which hides fresh `accepted` records (no updated_at)
  const all = await compute.listMigrations({ sourceCompute: run.host, migrationType: 'evacuation' }, { signal });
  run.saw(all.map((m) => m.id));
  run.firstLookMaxId = run.knownMaxId;
  run.pollSince = pollSince(run, replayed);
  const listedIds = new Set(listed.map((server) => server.id));
  for (const [id, result] of replayed.finished) if (!listedIds.has(id)) run.results.set(id, result);
  for (const [id, reason] of replayed.locks) run.locks.set(id, reason);
  const latest = latestByInstance(all, run.host);
  for (const plan of [...classified.track, ...classified.evacuate, ...classified.resetThenEvacuate])
    await place(run, plan, replayed.open.get(plan.server.id), all, latest.get(plan.server.id));
  const late = run.queue.filter((pending) => pending.recheck !== undefined);
  if (late.length > 0) {
    const wait = Math.max(...late.map((pending) => pending.readyAt)) - Date.now();
    run.ports.output(
      `${late.length} evacuation request(s) of the stopped run have no migration record in Nova: waiting ${formatDuration(Math.max(0, wait))} for any still on their way before sending them again`,
    );
  }
  await confirmMoved(run, replayed, listedIds);
  run.startBatch();
  for (const flight of run.flights.values())
    if (flight.plan.action === 'track' && !run.locks.has(flight.plan.server.id)) {
      await run.beforeWrite();
      await lockBeforeSend(run, flight, listedAt);
    }
  for (const id of [...run.locks.keys()])
    if (!run.flights.has(id) && !run.queue.some((p) => p.plan.server.id === id)) await run.unlock(id);
}

/** Queues `plan`, or follows what Nova or the journal shows already under way. */
async function place(
  run: EvacuationState,
  plan: ServerPlan,
  journaled: JournaledRequest | undefined,
  all: readonly Migration[],
  latest: Migration | undefined,
): Promise<void> {
  const id = plan.server.id;
  if (journaled === undefined) {
    // mid-rebuild (task_state), or accepted so recently that the server does not show it yet
    if (latest !== undefined && (plan.action === 'track' || EVACUATION_IN_FLIGHT.has(latest.status))) {
      run.fly(
        run.pending(plan),
        Date.now(),
        { afterId: latest.id - 1, notBefore: undefined },
        latest.id,
        latest.status,
      );
      run.ports.output(
        `${plan.server.name}: an evacuation is already in progress in Nova (migration ${latest.id}, ${latest.status}); tracking it, not re-sending`,
      );
    } else if (plan.action === 'track')
      run.fly(run.pending(plan), Date.now(), { afterId: undefined, notBefore: undefined }, undefined, 'rebuilding');
    else run.queue.push(run.pending(plan));
    return;
  }
  // the journal keeps the state the server had before this run (it may be in ERROR now)
  const original: ServerPlan = {
    ...plan,
    server: { ...plan.server, vmState: journaled.vmState },
    restoreTo: journaled.restoreTo,
    action: plan.action === 'track' ? 'evacuate' : plan.action,
  };
  const pending = run.pending(original, {
    attempt: journaled.attempt,
    failures: journaled.failures,
    firstSentAt: journaled.firstSentAt,
    afterId: journaled.floor.afterId,
  });
  if (journaled.failed !== undefined) {
    await afterFailedAttempt(run, pending, journaled);
    return;
  }
  const floor = journaledFloor(run, journaled);
  const record = recordOf(all, id, run.host, floor, undefined);
  if (record !== undefined) {
    run.fly(pending, journaled.requestedAt, floor, record.id, record.status);
    run.ports.output(
      `${plan.server.name}: evacuation requested before the run stopped (migration ${record.id}, ${record.status}); confirming it`,
    );
    return;
  }
  run.queue.push({
    ...pending,
    readyAt: journaled.requestedAt + (run.settings.lateRequestGraceMs ?? LATE_REQUEST_GRACE_MS),
    recheck: { floor, requestedAt: journaled.requestedAt },
  });
}

/** The journal's last word on a server is an attempt Nova failed: the next one, if retries allow. */
async function afterFailedAttempt(run: EvacuationState, pending: Pending, journaled: JournaledRequest): Promise<void> {
  const failed = journaled.failed!;
  pending.afterId = failed.migrationId ?? pending.afterId;
  pending.attempt += 1;
  if (failed.transient) pending.transients += 1;
  else pending.failures += 1;
  if (!failed.transient && pending.failures > run.settings.retries) {
    const { server } = pending.plan;
    await run.finish(
      {
        id: server.id,
        name: server.name,
        result: 'failed',
        reason: failed.reason,
        fromHost: run.host,
        toHost: null,
        ...(failed.migrationId === undefined ? {} : { migrationId: failed.migrationId }),
        attempts: journaled.attempt,
      },
      journaled.attempt,
    );
    return;
  }
  run.queue.push(pending);
}

/** Requests the journal holds for servers no longer on the host (they moved while the run was down). */
async function confirmMoved(run: EvacuationState, replayed: Replayed, listedIds: ReadonlySet<string>): Promise<void> {
  for (const [id, journaled] of replayed.open) {
    if (listedIds.has(id) || run.results.has(id) || run.flights.has(id)) continue;
    const now = await currentServer(run, id);
    const plan: ServerPlan = {
      server: { ...(now ?? placeholder(id, journaled.name)), vmState: journaled.vmState },
      action: 'evacuate',
      restoreTo: journaled.restoreTo,
      note: 'requested before the run stopped',
    };
    const record =
      now && recordOf(await migrationsOf(run, id), id, run.host, journaledFloor(run, journaled), undefined);
    if (now === undefined || record === undefined) {
      const reason =
        now === undefined
          ? 'the server was deleted'
          : `no longer on ${run.host} (now on ${now.host ?? 'no host'}), not moved by this run`;
      await run.finish(
        { id, name: journaled.name, result: 'skipped', reason, fromHost: run.host, toHost: now?.host ?? null },
        journaled.attempt,
      );
      continue;
    }
    const pending = run.pending(plan, {
      attempt: journaled.attempt,
      failures: journaled.failures,
      firstSentAt: journaled.firstSentAt,
    });
    run.fly(pending, journaled.requestedAt, journaledFloor(run, journaled), record.id, record.status);
    run.ports.output(
      `${journaled.name}: evacuation accepted before the run stopped (migration ${record.id}, ${record.status}); confirming it`,
    );
  }
}

function placeholder(id: string, name: string): Server {
  return {
    id,
    name,
    status: '',
    vmState: '',
    taskState: null,
    host: null,
    projectId: '',
    flavor: { extraSpecs: {} },
    imageId: null,
    tags: [],
    metadata: {},
    updatedAt: null,
  };
}
