/**
 * The evacuation engine: from a plan (which servers, see plan.ts) to one confirmed result per
 * server. Bounded, adaptive concurrency; requests journaled before they are sent and matched to
 * their own migration records; transient failures retried with backoff; servers locked while
 * they are rebuilt; power states put back. Interrupted (Ctrl+C, timeout), it says which
 * evacuations are still running in Nova, for `forcedown resume`.
 */
import { interrupted } from '../../errors/index.js';
import type { Server } from '../../openstack/openstack.interface.js';
import { formatDuration } from '../../runbook/durations.js';
import { replay } from './journal.js';
import { pollOnce } from './poll.js';
import { prepare } from './resume.js';
import { sendBatch } from './send.js';
import { EvacuationState } from './state.js';
import type { Classified, EvacuationOutcome, EvacuationPorts, EvacuationSettings } from './types.js';

/** What to evacuate: the plan and the listing it was made from. */
export interface EvacuationInput {
  readonly classified: Classified;
  /** The servers on the host as listed for the plan, and when. */
  readonly listed: readonly Server[];
  readonly listedAt: number;
}

/** Runs the evacuation of `input` to its end (or its interruption). */
export async function evacuate(
  settings: EvacuationSettings,
  ports: EvacuationPorts,
  input: EvacuationInput,
): Promise<EvacuationOutcome> {
  const run = new EvacuationState(settings, ports);
  for (const item of [...input.classified.skipped, ...input.classified.failed])
    run.results.set(item.server.id, {
      id: item.server.id,
      name: item.server.name,
      result: item.outcome,
      reason: item.reason,
      fromHost: settings.host,
    });
  await prepare(run, input.classified, replay(ports.journal.facts, settings.host), input.listed, input.listedAt);
  const totalWork = run.queue.length + run.flights.size;
  try {
    await loop(run, input.listedAt);
  } catch (error) {
    if (!ports.signal.aborted || run.flights.size === 0) throw error;
    // stopped with evacuations running in Nova: say which, for resume
    const inFlight = [...run.flights.values()].map((f) => ({
      id: f.plan.server.id,
      name: f.plan.server.name,
      migrationId: f.migrationId ?? null,
      status: f.lastStatus,
    }));
    await run.record('evacuation.interrupted', { inFlight });
    throw interrupted(
      'EVACUATION_INTERRUPTED',
      `stopped with ${inFlight.length} evacuation(s) from ${settings.host} still running in Nova: ${inFlight.map((f) => f.name).join(', ')}`,
      `run \`forcedown resume ${settings.runId}\`: it confirms them through os-migrations and never sends them again`,
      { inFlight },
      error,
    );
  }
  return { results: run.results, concurrency: run.concurrency.report(), totalWork };
}

async function loop(run: EvacuationState, listedAt: number): Promise<void> {
  let lastReport = '';
  let lastPollAt: number | undefined;
  while (run.queue.length > 0 || run.flights.size > 0) {
    await fill(run, listedAt);
    if (run.flights.size === 0) {
      await waitForReady(run);
      lastPollAt = undefined;
      continue;
    }
    await run.ports.sleep(untilNextPoll(run.settings.pollIntervalMs, lastPollAt, Date.now()));
    lastPollAt = Date.now();
    await pollOnce(run, { listedAt, send: () => fill(run, listedAt) });
    const list = [...run.results.values()];
    const done = list.filter((r) => r.result === 'evacuated').length;
    const failed = list.filter((r) => r.result === 'failed').length;
    const total = run.results.size + run.flights.size + run.queue.length;
    const report = `${done}/${total} evacuated, ${run.flights.size} in flight, ${run.queue.length} queued, ${failed} failed — ${formatDuration(Date.now() - run.startedAt)}`;
    if (report !== lastReport) run.ports.output(report);
    lastReport = report;
  }
}

/**
 * The wait before the next os-migrations list: one list per interval from the previous list's
 * start, so that a poll's confirmations (server reads, unlocks, journal lines) and the refill
 * after it do not push the next list back (issue 15: with completions spread over several
 * polls, a fixed sleep after the work added ~0.5 s per poll on the testbed). Never more than one
 * list per interval; the first poll after a pause waits the whole interval.
 */
export function untilNextPoll(intervalMs: number, lastPollAt: number | undefined, now: number): number {
  if (lastPollAt === undefined) return intervalMs;
  return Math.min(intervalMs, Math.max(0, intervalMs - (now - lastPollAt)));
}

/** Fills the free slots with requests that are due; they go out together, each journaled first. */
async function fill(run: EvacuationState, listedAt: number): Promise<void> {
  for (;;) {
    const free = run.concurrency.current - run.flights.size;
    const due = run.due(free);
    if (due.length === 0) return;
    for (const pending of due) run.queue.splice(run.queue.indexOf(pending), 1);
    await sendBatch(run, due, listedAt);
  }
}

/** Nothing in flight and nothing due: wait (saying so) until the next retry is due. */
async function waitForReady(run: EvacuationState): Promise<void> {
  if (run.queue.length === 0) return;
  const wait = Math.min(...run.queue.map((pending) => pending.readyAt)) - Date.now();
  if (wait <= 0) return;
  run.ports.output(
    `waiting ${formatDuration(wait)} before sending ${run.queue.length} evacuation(s) again (backoff after transient failures, or a stopped run's requests that may still land)`,
  );
  await run.ports.sleep(wait);
}
