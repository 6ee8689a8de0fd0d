import { interrupted, operationFailed, refused } from '../errors/index.js';
import type { EvacuateStep } from '../generated/runbook.types.js';
import { OpenStackApiError, OpenStackConnectionError } from '../openstack/errors.js';
import type { Migration, OpenStackClient, Server } from '../openstack/openstack.interface.js';
import { formatDuration } from '../runbook/index.js';
import type { StepModule, StepOutcomes, StepProgressEvent } from './step.interface.js';
import { eventText } from './support/event-text.js';
import { assertNotHeldByOther } from './support/nova-lock.js';
import { computeService, describeService, durationMs } from './support/services.js';
import { classifyServers, type Classified, type ServerPlan } from './support/evacuation-selection.js';

/** Per-server outcome (the `results` output and the run summary). */
export interface EvacuationResult {
  readonly id: string;
  readonly name: string;
  readonly result: 'evacuated' | 'failed' | 'skipped';
  readonly reason?: string;
  readonly fromHost: string;
  readonly toHost?: string | null;
  readonly migrationId?: number;
  readonly attempts?: number;
}

const IN_FLIGHT = new Set([
  'accepted',
  'pre-migrating',
  'queued',
  'preparing',
  'running',
  'migrating',
  'post-migrating',
]);
const SUCCEEDED = new Set(['done', 'completed']);
const FAILED = new Set(['error', 'failed', 'cancelled']);
/** Evacuate calls that fail in transit (connection, 5xx) and were not accepted, per server, before the step gives up. */
const MAX_SEND_FAILURES = 5;
/** Allowance for clock skew between this machine and Nova when matching migrations to requests. */
const SKEW_MS = 120_000;
/**
 * On resume, how old a journaled evacuate request without a migration record must be before it
 * is sent again: a request of a runner killed mid-call can still reach Nova after the resume has
 * looked (seen on the testbed, where a kill -9 test's request landed a few seconds late).
 */
export const LATE_REQUEST_GRACE_MS = 15_000;

interface Flight {
  readonly plan: ServerPlan;
  /** When the evacuate request was sent (or, for one found in flight, when we found it). */
  sentAt: number;
  attempts: number;
  migrationId: number | undefined;
  /** A start/stop we sent to restore the original power state. */
  restoring: 'start' | 'stop' | undefined;
  lastStatus: string;
}

function outputsFrom(results: ReadonlyMap<string, EvacuationResult>, total: number): Record<string, unknown> {
  const list = [...results.values()];
  const ids = (kind: EvacuationResult['result']): string[] => list.filter((r) => r.result === kind).map((r) => r.id);
  return { evacuated: ids('evacuated'), failed: ids('failed'), skipped: ids('skipped'), results: list, total };
}

function describePlan(classified: Classified): string {
  const parts = [
    classified.evacuate.length ? `evacuate ${classified.evacuate.length}` : '',
    classified.resetThenEvacuate.length ? `reset to error and evacuate ${classified.resetThenEvacuate.length}` : '',
    classified.track.length ? `track ${classified.track.length} already being evacuated` : '',
    classified.skipped.length ? `skip ${classified.skipped.length}` : '',
    classified.failed.length ? `report ${classified.failed.length} Nova will not evacuate` : '',
  ].filter(Boolean);
  return parts.join(', ') || 'nothing to do';
}

/** Latest evacuation migration of each instance (by id) created at or after `notBefore`. */
function latestByInstance(migrations: readonly Migration[]): Map<string, Migration> {
  const out = new Map<string, Migration>();
  for (const migration of migrations) {
    const current = out.get(migration.instanceUuid);
    if (!current || migration.id > current.id) out.set(migration.instanceUuid, migration);
  }
  return out;
}

function parseNovaTime(text: string | null | undefined): number {
  if (!text) return 0;
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
}

/** What the journal says about earlier attempts of this step (resume): requested and accepted evacuations. */
interface JournaledRequest {
  readonly requestedAt: number;
  readonly accepted: boolean;
  readonly name: string;
  readonly vmState: string;
  readonly restoreTo: 'active' | 'stopped' | 'error';
  readonly attempt: number;
}

/**
 * What the journal says about earlier attempts of this step (resume): evacuations requested and
 * not finished (they may be in flight in Nova), and outcomes already known.
 */
function journaledState(
  history: readonly unknown[],
  host: string,
): { open: Map<string, JournaledRequest>; finished: Map<string, EvacuationResult> } {
  const open = new Map<string, JournaledRequest>();
  const finished = new Map<string, EvacuationResult>();
  for (const event of history as StepProgressEvent[]) {
    if (event.event !== 'step.progress') continue;
    const serverId = eventText(event.data.serverId);
    if (!serverId) continue;
    if (event.kind === 'evacuation.requested') {
      open.set(serverId, {
        requestedAt: Date.parse(eventText(event.data.at, event.ts)),
        accepted: false,
        name: eventText(event.data.name, serverId),
        vmState: eventText(event.data.vmState, 'active'),
        restoreTo: (event.data.restoreTo as JournaledRequest['restoreTo'] | undefined) ?? 'active',
        attempt: Number(event.data.attempt ?? 1),
      });
      finished.delete(serverId);
    } else if (event.kind === 'evacuation.accepted') {
      const entry = open.get(serverId);
      if (entry) open.set(serverId, { ...entry, accepted: true });
    } else if (event.kind === 'evacuation.finished') {
      open.delete(serverId);
      finished.set(serverId, {
        id: serverId,
        name: eventText(event.data.name, serverId),
        result: event.data.result as EvacuationResult['result'],
        reason: eventText(event.data.reason),
        fromHost: host,
        toHost: (event.data.toHost as string | null | undefined) ?? null,
        ...(typeof event.data.migrationId === 'number' ? { migrationId: event.data.migrationId } : {}),
      });
    }
  }
  return { open, finished };
}

async function evacuationAcceptedSince(
  client: OpenStackClient,
  serverId: string,
  sinceMs: number,
  signal: AbortSignal,
): Promise<Migration | undefined> {
  const migrations = await client.compute.listMigrations(
    { instanceUuid: serverId, migrationType: 'evacuation' },
    { signal },
  );
  return [...migrations].filter((m) => parseNovaTime(m.createdAt) >= sinceMs - SKEW_MS).sort((a, b) => b.id - a.id)[0];
}

/** The server as Nova shows it now; undefined when it was deleted meanwhile. */
async function currentServer(client: OpenStackClient, id: string, signal: AbortSignal): Promise<Server | undefined> {
  try {
    return await client.compute.getServer(id, { signal });
  } catch (error) {
    if (error instanceof OpenStackApiError && error.isNotFound) return undefined;
    throw error;
  }
}

/** The summary's server lines, from the `results` output; servers that were not evacuated fail the run. */
function evacuationOutcomes(outputs: Readonly<Record<string, unknown>>): StepOutcomes {
  const results = (Array.isArray(outputs.results) ? (outputs.results as EvacuationResult[]) : []).filter(
    (result) => typeof result?.id === 'string',
  );
  const failed = results.filter((result) => result.result === 'failed');
  if (failed.length === 0) return { servers: results };
  return {
    servers: results,
    failure: operationFailed(
      'SERVERS_NOT_EVACUATED',
      `${failed.length} server(s) were not evacuated: ${failed.map((r) => `${r.name} (${r.reason ?? 'failed'})`).join('; ')}`,
      'see the SERVER table of the summary: handle them by hand (they were reset to error where the runbook says so), or fix the cause and run the runbook again',
      { servers: failed.map((r) => r.id) },
    ),
  };
}

/**
 * `evacuate`: rebuild every server of a fenced, forced-down host elsewhere. Bounded concurrency;
 * each evacuation is confirmed through os-migrations (`done`) and the server's new host and
 * settled state: one migrations list per interval whatever the number of servers, and one read
 * of each server once its migration has ended. An evacuation Nova accepted is never sent
 * again: requests are journaled before they are sent, and on resume (or when a server is found
 * mid-rebuild) the migration records decide. SHUTOFF servers stay SHUTOFF and ACTIVE ones ACTIVE
 * whatever the microversion; servers that were in ERROR are put back in ERROR.
 */
export const step: StepModule<EvacuateStep> = {
  type: 'evacuate',
  defaultTimeoutMs: 2 * 3_600_000,
  needs: ['openstack'],
  title: (s) => `evacuate ${s.host}`,
  hosts: (s) => [s.host],
  outcomes: (_s, outputs) => evacuationOutcomes(outputs),

  async check(s, context) {
    const client = await context.services.openstack();
    const service = await computeService(context, s.host);
    assertNotHeldByOther(service, context.runId, context.options.breakLock);
    const servers = await client.compute.listServersOnHost(s.host, { signal: context.signal });
    const classified = await classifyServers(servers, s, client, context.signal);
    const results = new Map<string, EvacuationResult>();
    for (const item of [...classified.skipped, ...classified.failed])
      results.set(item.server.id, {
        id: item.server.id,
        name: item.server.name,
        result: item.outcome,
        reason: item.reason,
        fromHost: s.host,
      });
    const work = classified.evacuate.length + classified.resetThenEvacuate.length + classified.track.length;
    if (work === 0) {
      return {
        needed: false,
        summary: `${servers.length === 0 ? 'no servers' : `${servers.length} server(s), none to evacuate`} on ${s.host}${results.size ? ` (${describePlan(classified)})` : ''}`,
        details: [...results.values()].map((r) => `${r.id} ${r.name}: ${r.result} — ${r.reason ?? ''}`),
        outputs: outputsFrom(results, servers.length),
      };
    }
    const basis = context.safety.requireFenced(s.host, 'evacuate');
    if (service.state !== 'down') {
      if (context.mode === 'run') {
        throw refused(
          'SERVICE_NOT_DOWN',
          `refusing to evacuate ${s.host}: Nova reports its nova-compute ${service.state} (${describeService(service)})`,
          'force it down first (a force-down step after a confirmed fence); Nova itself would answer "Compute service of ' +
            s.host +
            ' is still in use."',
          { host: s.host },
        );
      }
    }
    const lines = [...classified.evacuate, ...classified.resetThenEvacuate, ...classified.track].map(
      (p) =>
        `${p.server.id} ${p.server.name}: ${p.server.status}${p.server.taskState ? `/${p.server.taskState}` : ''} — ${p.note}`,
    );
    for (const r of results.values()) lines.push(`${r.id} ${r.name}: ${r.result} — ${r.reason ?? ''}`);
    return {
      needed: true,
      summary: `${servers.length} server(s) on ${s.host}: would ${describePlan(classified)} (${basis.kind === 'confirmed' ? 'fence confirmed' : `assumed fenced: ${basis.reason}`}${service.state !== 'down' ? '; once Nova reports the service down' : ''})`,
      details: lines,
      state: classified,
    };
  },

  async apply(s, context) {
    const client = await context.services.openstack();
    const signal = context.signal;
    const concurrency = Number(s.concurrency ?? 10);
    const serverTimeoutMs = await durationMs(s.serverTimeout, 5 * 60_000);
    const pollIntervalMs = await durationMs(s.pollInterval, 500);
    const retries = Number(s.serverRetries ?? 1);
    const stepStartedAt = Date.now();

    // a fresh look at the host: what to send, what is already on its way
    const servers = await client.compute.listServersOnHost(s.host, { signal });
    const classified = await classifyServers(servers, s, client, signal);
    const results = new Map<string, EvacuationResult>();
    for (const item of [...classified.skipped, ...classified.failed])
      results.set(item.server.id, {
        id: item.server.id,
        name: item.server.name,
        result: item.outcome,
        reason: item.reason,
        fromHost: s.host,
      });

    const queue: ServerPlan[] = [...classified.evacuate, ...classified.resetThenEvacuate];
    const flights = new Map<string, Flight>();
    const { open: journaled, finished: journaledResults } = journaledState(context.history, s.host);
    for (const [id, result] of journaledResults)
      if (!servers.some((server) => server.id === id)) results.set(id, result);
    const earliest = Math.min(stepStartedAt, ...[...journaled.values()].map((j) => j.requestedAt));
    const changesSince = new Date(earliest - SKEW_MS).toISOString();

    // never re-send what Nova already accepted: servers mid-rebuild, and (on resume) requests the journal holds
    const existing = latestByInstance(
      await client.compute.listMigrations(
        { sourceCompute: s.host, migrationType: 'evacuation', changesSince },
        { signal },
      ),
    );
    for (const plan of [...classified.track])
      flights.set(plan.server.id, {
        plan,
        sentAt: Date.now(),
        attempts: 1,
        migrationId: existing.get(plan.server.id)?.id,
        restoring: undefined,
        lastStatus: existing.get(plan.server.id)?.status ?? 'rebuilding',
      });
    const trackAccepted = (migrations: ReadonlyMap<string, Migration>, only?: ReadonlySet<string>): void => {
      for (let index = queue.length - 1; index >= 0; index -= 1) {
        const plan = queue[index];
        if (only && !only.has(plan.server.id)) continue;
        const migration = migrations.get(plan.server.id);
        const journal = journaled.get(plan.server.id);
        // in flight; or, for a request the journal holds, already done: an evacuation accepted
        // before a crash can finish between the listing of the host (the server still there) and
        // this read, and re-sending it would fail
        const acceptedEarlier =
          migration !== undefined &&
          (journal === undefined
            ? IN_FLIGHT.has(migration.status)
            : (IN_FLIGHT.has(migration.status) || SUCCEEDED.has(migration.status)) &&
              parseNovaTime(migration.createdAt) >= journal.requestedAt - SKEW_MS);
        if (acceptedEarlier) {
          queue.splice(index, 1);
          flights.set(plan.server.id, {
            plan,
            sentAt: journal?.requestedAt ?? Date.now(),
            attempts: 1,
            migrationId: migration.id,
            restoring: undefined,
            lastStatus: migration.status,
          });
          context.output(
            `${plan.server.name}: an evacuation is already in progress in Nova (migration ${migration.id}, ${migration.status}); tracking it, not re-sending`,
          );
        }
      }
    };
    trackAccepted(existing);

    // On resume: requests the journal holds that Nova has no record of. A request sent just before
    // the runner died can still be on its way (queued in nova-api) and land after this look; one
    // sent again meanwhile would be a second evacuation of the same server (Nova accepts it, and
    // the two rebuilds leave the server in ERROR). So wait until the last of them is
    // LATE_REQUEST_GRACE_MS old, look again, and only then send what is still unknown.
    const unknown = new Set(queue.filter((plan) => journaled.has(plan.server.id)).map((plan) => plan.server.id));
    if (unknown.size > 0) {
      const wait =
        Math.max(...[...unknown].map((id) => journaled.get(id)!.requestedAt)) + LATE_REQUEST_GRACE_MS - Date.now();
      if (wait > 0) {
        context.output(
          `${unknown.size} evacuation request(s) of the stopped run have no migration record in Nova: waiting ${formatDuration(wait)} for any still on their way before sending them again`,
        );
        await context.sleep(wait);
      }
      trackAccepted(
        latestByInstance(
          await client.compute.listMigrations(
            { sourceCompute: s.host, migrationType: 'evacuation', changesSince },
            { signal },
          ),
        ),
        unknown,
      );
    }

    // requests the journal holds for servers no longer listed on the host (moved while we were down): confirm them
    for (const [serverId, request] of journaled) {
      if (flights.has(serverId) || queue.some((plan) => plan.server.id === serverId) || results.has(serverId)) continue;
      let server: Server;
      try {
        server = await client.compute.getServer(serverId, { signal });
      } catch (error) {
        if (error instanceof OpenStackApiError && error.isNotFound) {
          results.set(serverId, {
            id: serverId,
            name: request.name,
            result: 'skipped',
            reason: 'the server was deleted',
            fromHost: s.host,
          });
          continue;
        }
        throw error;
      }
      const migration = await evacuationAcceptedSince(client, serverId, request.requestedAt, signal);
      if (!migration) continue;
      flights.set(serverId, {
        plan: {
          server: { ...server, vmState: request.vmState },
          action: 'evacuate',
          restoreTo: request.restoreTo,
          note: 'accepted before the run stopped',
        },
        sentAt: request.requestedAt,
        attempts: request.attempt,
        migrationId: migration.id,
        restoring: undefined,
        lastStatus: migration.status,
      });
      context.output(
        `${server.name}: evacuation accepted before the run stopped (migration ${migration.id}, ${migration.status}); confirming it`,
      );
    }

    const finish = async (flight: Flight, result: EvacuationResult): Promise<void> => {
      flights.delete(result.id);
      results.set(result.id, result);
      await context.progress('evacuation.finished', {
        serverId: result.id,
        name: result.name,
        result: result.result,
        reason: result.reason ?? '',
        toHost: result.toHost ?? null,
        migrationId: result.migrationId ?? null,
        attempts: flight.attempts,
      });
    };

    const sendFailures = new Map<string, number>();
    const send = async (plan: ServerPlan, attempt: number): Promise<void> => {
      const { server } = plan;
      if (plan.action === 'reset-then-evacuate' && attempt === 1 && !sendFailures.has(server.id)) {
        await client.compute.resetState(server.id, 'error', { signal });
        context.output(`${server.name}: reset from ${server.vmState} to error so Nova will evacuate it`);
      }
      const sentAt = Date.now();
      await context.progress('evacuation.requested', {
        serverId: server.id,
        name: server.name,
        at: new Date(sentAt).toISOString(),
        attempt,
        vmState: server.vmState,
        restoreTo: plan.restoreTo,
      });
      try {
        await client.compute.evacuate(server.id, { signal, ...(s.targetHost ? { targetHost: s.targetHost } : {}) });
      } catch (error) {
        if (error instanceof OpenStackConnectionError || (error instanceof OpenStackApiError && error.isServerError)) {
          // the request may or may not have reached Nova: give it a moment, then the migration
          // records decide (that read is retried, so it also waits out a short API outage)
          await context.sleep(1000);
          const migration = await evacuationAcceptedSince(client, server.id, sentAt, signal);
          if (!migration) {
            const failures = (sendFailures.get(server.id) ?? 0) + 1;
            sendFailures.set(server.id, failures);
            if (failures > MAX_SEND_FAILURES) throw error;
            await context.progress('evacuation.not-accepted', {
              serverId: server.id,
              reason: (error as Error).message,
            });
            context.output(
              `${server.name}: Nova did not accept the evacuation (${(error as Error).message}); sending it again`,
            );
            queue.unshift(plan);
            return;
          }
          context.output(
            `${server.name}: the evacuate call failed (${(error as Error).message}) but Nova accepted it (migration ${migration.id}); tracking it`,
          );
        } else if (error instanceof OpenStackApiError && error.isNotFound) {
          results.set(server.id, {
            id: server.id,
            name: server.name,
            result: 'skipped',
            reason: 'the server was deleted',
            fromHost: s.host,
          });
          return;
        } else if (error instanceof OpenStackApiError && (error.isServiceInUse || error.isConflict)) {
          // Refused because an evacuation is already under way? A request of a run killed
          // mid-call can reach Nova seconds later, after this run listed the host: Nova then says
          // the server's task is "rebuilding" (409) or names the service of its new host (400).
          // Such a server is tracked, never sent again.
          const since = journaled.get(server.id)?.requestedAt ?? stepStartedAt;
          const migration = await evacuationAcceptedSince(client, server.id, since, signal);
          if (migration && migration.sourceCompute === s.host && !FAILED.has(migration.status)) {
            flights.set(server.id, {
              plan,
              sentAt: since,
              attempts: attempt,
              migrationId: migration.id,
              restoring: undefined,
              lastStatus: migration.status,
            });
            context.output(
              `${server.name}: an evacuation accepted earlier is under way (migration ${migration.id}, ${migration.status}); confirming it, not re-sending`,
            );
            return;
          }
          if (error.isServiceInUse) {
            const now = await currentServer(client, server.id, signal);
            if (now === undefined) {
              results.set(server.id, {
                id: server.id,
                name: server.name,
                result: 'skipped',
                reason: 'the server was deleted',
                fromHost: s.host,
              });
              return;
            }
            if (now.host !== null && now.host !== s.host) {
              const reason = `moved to ${now.host} since the host was listed, not by an evacuation`;
              results.set(server.id, {
                id: server.id,
                name: server.name,
                result: 'skipped',
                reason,
                fromHost: s.host,
                toHost: now.host,
              });
              return;
            }
            throw refused(
              'SERVICE_NOT_DOWN',
              `Nova refuses to evacuate from ${s.host}: "${error.apiMessage}"`,
              'the service is not down in Nova: run the force-down step first',
              { host: s.host },
            );
          }
          results.set(server.id, {
            id: server.id,
            name: server.name,
            result: 'failed',
            reason: `Nova refused the evacuation: ${error.apiMessage}`,
            fromHost: s.host,
            attempts: attempt,
          });
          await context.progress('evacuation.finished', {
            serverId: server.id,
            name: server.name,
            result: 'failed',
            reason: `Nova refused the evacuation: ${error.apiMessage}`,
            attempts: attempt,
          });
          return;
        } else if (error instanceof OpenStackApiError && error.isBadRequest) {
          results.set(server.id, {
            id: server.id,
            name: server.name,
            result: 'failed',
            reason: `Nova refused the evacuation: ${error.apiMessage}`,
            fromHost: s.host,
            attempts: attempt,
          });
          await context.progress('evacuation.finished', {
            serverId: server.id,
            name: server.name,
            result: 'failed',
            reason: `Nova refused the evacuation: ${error.apiMessage}`,
            attempts: attempt,
          });
          return;
        } else {
          throw error;
        }
      }
      await context.progress('evacuation.accepted', { serverId: server.id });
      flights.set(server.id, {
        plan,
        sentAt,
        attempts: attempt,
        migrationId: undefined,
        restoring: undefined,
        lastStatus: 'accepted',
      });
    };

    const totalWork = queue.length + flights.size;
    let lastReport = '';
    try {
      while (queue.length > 0 || flights.size > 0) {
        // fill the free slots: the requests go out together (each journaled before it is sent),
        // not one after the other, so a refill costs one API round trip, not one per server
        while (flights.size < concurrency && queue.length > 0) {
          const batch = queue.splice(0, concurrency - flights.size);
          const sent = await Promise.allSettled(
            batch.map((plan) => send(plan, ((plan as ServerPlan & { retryOf?: number }).retryOf ?? 0) + 1)),
          );
          const failure = sent.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
          if (failure) throw failure.reason;
        }
        if (flights.size === 0) continue;
        await context.sleep(pollIntervalMs);

        // one migrations list per interval, whatever the number of servers; a server itself is
        // read only once its migration has ended (so about once per server, not once per poll)
        const migrations = latestByInstance(
          await client.compute.listMigrations(
            { sourceCompute: s.host, migrationType: 'evacuation', changesSince },
            { signal },
          ),
        );
        const relevantOf = (flight: Flight): Migration | undefined => {
          const migration = migrations.get(flight.plan.server.id);
          return migration && parseNovaTime(migration.createdAt) >= flight.sentAt - SKEW_MS
            ? migration
            : flight.migrationId !== undefined
              ? migration
              : undefined;
        };
        const ended = [...flights.values()].filter((flight) => {
          const status = relevantOf(flight)?.status;
          return status !== undefined && (SUCCEEDED.has(status) || FAILED.has(status));
        });
        const changed = new Map<string, Server>();
        for (const server of await Promise.all(
          ended.map((flight) => currentServer(client, flight.plan.server.id, signal)),
        ))
          if (server) changed.set(server.id, server);

        for (const flight of [...flights.values()]) {
          const { server } = flight.plan;
          const relevant = relevantOf(flight);
          if (relevant) {
            flight.migrationId = relevant.id;
            flight.lastStatus = relevant.status;
          }
          const now = changed.get(server.id);
          const elapsed = Date.now() - flight.sentAt;

          if (relevant && FAILED.has(relevant.status)) {
            const fault =
              now?.fault ?? (await client.compute.getServer(server.id, { signal }).catch(() => undefined))?.fault;
            const reason = `evacuation ${relevant.status} in Nova (migration ${relevant.id})${fault ? `: ${fault}` : ''}`;
            if (flight.attempts <= retries) {
              flights.delete(server.id);
              context.output(`${server.name}: ${reason}; trying again (${flight.attempts + 1}/${retries + 1})`);
              await context.progress('evacuation.failed-attempt', {
                serverId: server.id,
                reason,
                attempt: flight.attempts,
              });
              queue.push(Object.assign({ ...flight.plan }, { retryOf: flight.attempts }));
            } else {
              await finish(flight, {
                id: server.id,
                name: server.name,
                result: 'failed',
                reason,
                fromHost: s.host,
                toHost: null,
                migrationId: relevant.id,
                attempts: flight.attempts,
              });
            }
            continue;
          }

          if (
            relevant &&
            SUCCEEDED.has(relevant.status) &&
            now &&
            now.host !== null &&
            now.host !== s.host &&
            now.taskState === null
          ) {
            const wanted = flight.plan.restoreTo;
            const actual = now.vmState;
            if (wanted === 'stopped' && actual === 'active' && flight.restoring !== 'stop') {
              flight.restoring = 'stop';
              await client.compute.stopServer(server.id, { signal });
              context.output(`${server.name}: was SHUTOFF before; stopping it again on ${now.host}`);
              continue;
            }
            if (wanted === 'active' && actual === 'stopped' && flight.restoring !== 'start') {
              flight.restoring = 'start';
              await client.compute.startServer(server.id, { signal });
              context.output(
                `${server.name}: was ACTIVE before; starting it on ${now.host} (this microversion stops evacuated servers)`,
              );
              continue;
            }
            if (wanted === 'error' && actual !== 'error') {
              await client.compute.resetState(server.id, 'error', { signal });
            }
            const settled = wanted === 'error' || actual === wanted || actual === 'error';
            if (settled) {
              const restoredNote =
                wanted === 'error'
                  ? `; put back in ERROR (${flight.plan.action === 'reset-then-evacuate' ? `was ${flight.plan.server.vmState}` : 'it was in ERROR before'})`
                  : '';
              const failedOnArrival = actual === 'error' && wanted !== 'error';
              await finish(flight, {
                id: server.id,
                name: server.name,
                result: failedOnArrival ? 'failed' : 'evacuated',
                reason: failedOnArrival
                  ? `rebuilt on ${now.host} but in ERROR${now.fault ? `: ${now.fault}` : ''}`
                  : `now ${now.status} on ${now.host}${restoredNote}`,
                fromHost: s.host,
                toHost: now.host,
                migrationId: relevant.id,
                attempts: flight.attempts,
              });
              continue;
            }
          }

          if (elapsed > serverTimeoutMs) {
            await finish(flight, {
              id: server.id,
              name: server.name,
              result: 'failed',
              reason: `not confirmed within ${formatDuration(serverTimeoutMs)} (Nova: ${flight.lastStatus}${flight.migrationId !== undefined ? `, migration ${flight.migrationId}` : ''}); not sent again — check it by hand`,
              fromHost: s.host,
              toHost: now?.host ?? null,
              ...(flight.migrationId !== undefined ? { migrationId: flight.migrationId } : {}),
              attempts: flight.attempts,
            });
          }
        }

        const done = [...results.values()].filter((r) => r.result === 'evacuated').length;
        const failed = [...results.values()].filter((r) => r.result === 'failed').length;
        const report = `${done}/${totalWork} evacuated, ${flights.size} in flight, ${queue.length} queued, ${failed} failed — ${formatDuration(Date.now() - stepStartedAt)}`;
        if (report !== lastReport) context.output(report);
        lastReport = report;
      }
    } catch (error) {
      if (!signal.aborted || flights.size === 0) throw error;
      // stopped (Ctrl+C, SIGTERM, timeout) with evacuations running in Nova: say which, for resume
      const inFlight = [...flights.values()].map((f) => ({
        id: f.plan.server.id,
        name: f.plan.server.name,
        migrationId: f.migrationId ?? null,
        status: f.lastStatus,
      }));
      await context.progress('evacuation.interrupted', { inFlight });
      throw interrupted(
        'EVACUATION_INTERRUPTED',
        `stopped with ${inFlight.length} evacuation(s) from ${s.host} still running in Nova: ${inFlight.map((f) => f.name).join(', ')}`,
        `run \`forcedown resume ${context.runId}\`: it confirms them through os-migrations and never sends them again`,
        { inFlight },
        error,
      );
    }

    const outputs = outputsFrom(results, servers.length);
    const evacuated = (outputs.evacuated as string[]).length;
    const failed = (outputs.failed as string[]).length;
    const skipped = (outputs.skipped as string[]).length;
    if (evacuated === 0 && failed === 0 && totalWork > 0 && results.size === 0) {
      throw operationFailed(
        'EVACUATION_NOTHING_CONFIRMED',
        `no evacuation from ${s.host} could be confirmed`,
        "check nova-conductor and the destination computes' logs",
      );
    }
    return {
      summary: `${evacuated} evacuated, ${failed} failed, ${skipped} skipped of ${servers.length} server(s) on ${s.host} in ${formatDuration(Date.now() - stepStartedAt)}`,
      outputs,
    };
  },

  async confirmJournaled(s, context) {
    // done when nothing is left to evacuate (servers still there were reported failed/skipped)
    return !(await this.check(s, context)).needed;
  },
};
