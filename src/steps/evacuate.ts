import { operationFailed, refused } from '../errors/index.js';
import type { EvacuateStep } from '../generated/runbook.types.js';
import {
  classifyServers,
  describePlan,
  evacuate,
  leftovers,
  replay,
  type Classified,
  type EvacuationFact,
  type EvacuationOutcome,
  type EvacuationResult,
  LATE_REQUEST_GRACE_MS,
} from '../hostops/evacuation/index.js';
import type { ComputeService, Server } from '../openstack/openstack.interface.js';
import { formatDuration } from '../runbook/index.js';
import type { StepContext, StepModule, StepOutcomes, StepProgressEvent } from './step.interface.js';
import { describeService } from '../hostops/index.js';
import { heldService, holdOf } from './support/holds.js';
import { durationMs } from './support/services.js';

export type { EvacuationResult } from '../hostops/evacuation/index.js';

function outputsFrom(
  results: ReadonlyMap<string, EvacuationResult>,
  total: number,
  concurrency?: EvacuationOutcome['concurrency'],
): Record<string, unknown> {
  const list = [...results.values()];
  const ids = (kind: EvacuationResult['result']): string[] => list.filter((r) => r.result === kind).map((r) => r.id);
  return {
    evacuated: ids('evacuated'),
    failed: ids('failed'),
    skipped: ids('skipped'),
    results: list,
    total,
    ...(concurrency === undefined ? {} : { concurrency }),
  };
}

/** The step's journal: its `step.progress` events of earlier attempts, and `progress` to add more. */
function journalOf(context: StepContext): { facts: EvacuationFact[]; record: StepContext['progress'] } {
  const facts = (context.history as StepProgressEvent[])
    .filter((event) => event.event === 'step.progress')
    .map((event) => ({ kind: event.kind, data: event.data, at: event.ts }));
  return { facts, record: (kind, data) => context.progress(kind, data) };
}

/** The host's service (as Nova names it: `cmp-07` may be `cmp-07.example.net`), its servers and the plan. */
async function look(
  s: EvacuateStep,
  context: StepContext,
): Promise<{ service: ComputeService; servers: Server[]; classified: Classified; listedAt: number }> {
  const client = await context.services.openstack();
  const service = await heldService(context, s.host);
  const listedAt = Date.now();
  const servers = await client.compute.listServersOnHost(service.host, { signal: context.signal });
  return { service, servers, classified: await classifyServers(servers, s, client, context.signal), listedAt };
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
 * `evacuate`: rebuild every server of a fenced, forced-down host elsewhere, through the
 * evacuation engine (src/hostops/evacuation): adaptive concurrency, each request journaled
 * before it is sent and judged by its own migration record, transient failures retried with
 * backoff, servers locked while they are rebuilt, power states put back; never an evacuation
 * sent twice.
 */
export const step: StepModule<EvacuateStep> = {
  type: 'evacuate',
  defaultTimeoutMs: 2 * 3_600_000,
  needs: ['openstack'],
  title: (s) => `evacuate ${s.host}`,
  hosts: (s) => [s.host],
  outcomes: (_s, outputs) => evacuationOutcomes(outputs),

  async check(s, context) {
    const { service, servers, classified } = await look(s, context);
    const host = service.host;
    const verdicts = [...classified.skipped, ...classified.failed];
    const results = new Map<string, EvacuationResult>(
      verdicts.map((v) => [
        v.server.id,
        { id: v.server.id, name: v.server.name, result: v.outcome, reason: v.reason, fromHost: host },
      ]),
    );
    // on resume: outcomes the journal holds, and what it left to confirm or unlock
    const replayed = replay(journalOf(context).facts, host);
    const listedIds = new Set(servers.map((server) => server.id));
    for (const [id, result] of replayed.finished) if (!listedIds.has(id)) results.set(id, result);
    const left = leftovers(replayed, listedIds);
    const lines = [...results.values()].map((r) => `${r.id} ${r.name}: ${r.result} — ${r.reason ?? ''}`);
    if (left.unconfirmed.length)
      lines.push(`confirm ${left.unconfirmed.length} evacuation(s) requested before the run stopped`);
    if (left.locks.length) lines.push(`unlock ${left.locks.length} server(s) this run locked`);
    const work = [...classified.evacuate, ...classified.resetThenEvacuate, ...classified.track];
    if (work.length === 0 && left.unconfirmed.length === 0 && left.locks.length === 0) {
      return {
        needed: false,
        summary: `${servers.length === 0 ? 'no servers' : `${servers.length} server(s), none to evacuate`} on ${host}${results.size ? ` (${describePlan(classified)})` : ''}`,
        details: lines,
        outputs: outputsFrom(results, servers.length),
      };
    }
    if (work.length === 0) {
      // nothing to send: confirm what the stopped run sent, lift its locks (no fence needed for that)
      return {
        needed: true,
        summary: `no servers left on ${host}; would confirm ${left.unconfirmed.length} evacuation(s) of the stopped run and lift the locks it took`,
        details: lines,
        state: classified,
      };
    }
    const basis = context.safety.requireFenced(s.host, 'evacuate');
    if (service.state !== 'down' && context.mode === 'run') {
      throw refused(
        'SERVICE_NOT_DOWN',
        `refusing to evacuate ${host}: Nova reports its nova-compute ${service.state} (${describeService(service)})`,
        `force it down first (a force-down step after a confirmed fence); Nova itself would answer "Compute service of ${host} is still in use."`,
        { host },
      );
    }
    const planned = work.map(
      (p) =>
        `${p.server.id} ${p.server.name}: ${p.server.status}${p.server.taskState ? `/${p.server.taskState}` : ''} — ${p.note}`,
    );
    return {
      needed: true,
      summary: `${servers.length} server(s) on ${host}: would ${describePlan(classified)}${left.unconfirmed.length ? `, confirm ${left.unconfirmed.length} requested before the run stopped` : ''} (${basis.kind === 'confirmed' ? 'fence confirmed' : `assumed fenced: ${basis.reason}`}${service.state !== 'down' ? '; once Nova reports the service down' : ''})`,
      details: [...planned, ...lines],
      state: classified,
    };
  },

  async apply(s, context) {
    const client = await context.services.openstack();
    // a fresh look at the host: what to send, what is already on its way
    const { service, servers, classified, listedAt } = await look(s, context);
    const hold = await holdOf(context, service.host);
    const outcome = await evacuate(
      {
        host: service.host,
        concurrency: Number(s.concurrency ?? 10),
        serverTimeoutMs: await durationMs(s.serverTimeout, 5 * 60_000),
        pollIntervalMs: await durationMs(s.pollInterval, 500),
        lateRequestGraceMs: await durationMs(s.lateRequestGrace, LATE_REQUEST_GRACE_MS),
        retries: Number(s.serverRetries ?? 1),
        lockServers: s.lockServers === undefined ? true : s.lockServers === true || String(s.lockServers) === 'true',
        runId: context.runId,
        ...(s.targetHost === undefined ? {} : { targetHost: s.targetHost }),
      },
      {
        compute: client.compute,
        journal: journalOf(context),
        signal: context.signal,
        sleep: (ms) => context.sleep(ms),
        output: (line) => context.output(line),
        // every batch of Nova writes first checks that the run still holds the host
        beforeWrite: async (signal) => {
          await hold.verify({ signal });
        },
      },
      { classified, listed: servers, listedAt },
    );
    const outputs = outputsFrom(outcome.results, servers.length, outcome.concurrency);
    const count = (kind: EvacuationResult['result']): number => (outputs[kind] as string[]).length;
    if (count('evacuated') === 0 && count('failed') === 0 && outcome.totalWork > 0 && outcome.results.size === 0) {
      throw operationFailed(
        'EVACUATION_NOTHING_CONFIRMED',
        `no evacuation from ${service.host} could be confirmed`,
        "check nova-conductor and the destination computes' logs",
      );
    }
    const c = outcome.concurrency;
    const adapted =
      c.lowest < c.configured
        ? `; concurrency ${c.configured}, lowered to ${c.lowest} after ${c.conflicts} conflict(s) in Nova`
        : '';
    return {
      summary: `${count('evacuated')} evacuated, ${count('failed')} failed, ${count('skipped')} skipped of ${servers.length} server(s) on ${service.host} in ${formatDuration(Date.now() - listedAt)}${adapted}`,
      outputs,
    };
  },

  async confirmJournaled(s, context) {
    // done when nothing is left to evacuate (servers still there were reported failed/skipped)
    return !(await this.check(s, context)).needed;
  },
};
