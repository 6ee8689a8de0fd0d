/**
 * Figure 2, evacuating N servers from one host of the real testbed: forcedown (`forcedown run
 * runbooks/host-failure.json`, its default concurrency; wall time from its first evacuate request
 * to its last confirmation, from its events) against two reference strategies run on the same
 * testbed in the same benchmark: one at a time (each confirmed by polling the server every
 * 200 ms), Masakari-like (3 workers, each polling its server) and Nova's floor (everything sent at
 * once, one os-migrations list per 500 ms). Strategies alternate in a
 * rotating order, round after round, so a slow spell of the machine does not land on one of them.
 * Every trial boots N fresh servers on fake1 and ends with fake1 healthy and the servers deleted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNovaTime } from '../src/openstack/compute/vocabulary.js';
import type { OpenStackClient } from '../src/openstack/index.js';
import { pick, runCli } from './lib/processes.js';
import { stats, type Stats } from './lib/results.js';
import {
  bootServers,
  cliEnv,
  connectAdmin,
  countNovaRequests,
  evacuationRoom,
  fenceAndForceDownDirectly,
  restore,
  SERVER_PREFIX,
  testbed,
  waitAllHealthy,
  waitComputeSettled,
} from './lib/testbed.js';
import { evacuationTimeline, type EvacuationTimeline, type NovaRequest, type TrialMarks } from './lib/timeline.js';
import type { StrategyResult } from './strategies/common.js';
import { floor } from './strategies/floor.js';
import { masakariLike } from './strategies/masakari-like.js';
import { oneAtATime } from './strategies/one-at-a-time.js';

export const HOST = 'fake1';
export type StrategyName = 'forcedown' | 'floor' | 'masakari-like' | 'one-at-a-time';
export const STRATEGIES: readonly StrategyName[] = ['forcedown', 'floor', 'masakari-like', 'one-at-a-time'];
/** The floor confirms with one os-migrations list per this many ms (forcedown's own poll interval). */
export const FLOOR_POLL_MS = 500;

export interface EvacuationTrial {
  readonly strategy: StrategyName;
  readonly servers: number;
  readonly round: number;
  readonly wallMs: number;
  readonly evacuated: number;
  readonly failed: number;
  /** forcedown only: spawn (the failure notice) → every server evacuated (fence + force-down + evacuation). */
  readonly noticeToAllEvacuatedMs?: number;
  readonly fenceMs?: number;
  readonly forceDownMs?: number;
  /** Reference strategies: requests they sent. */
  readonly requests?: number;
  /** Requests nova-api answered during the trial (its access log), whoever sent them. */
  readonly novaRequests?: number;
  readonly novaRequestsByRoute?: Readonly<Record<string, number>>;
  /** forcedown: its `concurrency`; undefined = the runbook's default. */
  readonly concurrency?: number;
  /** Servers whose first evacuate attempt failed or was refused as transient (placement conflicts). */
  readonly failedFirstAttempts?: number;
  /** Evacuate requests sent again (forcedown: requests beyond one per server; floor: resends). */
  readonly retries?: number;
  /** forcedown: its adaptive concurrency's changes (`evacuation.concurrency` events). */
  readonly concurrencyChanges?: readonly { readonly from: number; readonly to: number; readonly reason: string }[];
  /** forcedown: the whole CLI run, spawn → exit (start-up, sign-in, pre-flight, fence, force-down, evacuation). */
  readonly cliWallMs?: number;
  /** Where the time went: the tool's marks against nova-api's log and the migration records. */
  readonly timeline?: EvacuationTimeline;
}

type Measured = EvacuationTrial & { readonly marks: TrialMarks; readonly log: readonly NovaRequest[] };

/** An N the benchmark did not run: not enough room on the other computes. */
export interface SkippedSize {
  readonly servers: number;
  readonly room: number;
  readonly destinations: number;
  readonly placementRoom: number;
}

/** A trial that failed before it measured anything. */
export interface FailedTrial {
  readonly strategy: StrategyName;
  readonly servers: number;
  readonly round: number;
  readonly error: string;
}

export interface EvacuationFigures {
  readonly host: string;
  readonly pollIntervalMs: number;
  readonly floorPollIntervalMs: number;
  readonly masakariWorkers: number;
  readonly perDestination: number;
  readonly trials: readonly EvacuationTrial[];
  /** Trials that could not be measured (each with its first error line); the others still count. */
  readonly failedTrials?: readonly FailedTrial[];
  readonly skipped: readonly SkippedSize[];
  /** Per N: per strategy, wall-time stats (ms), and the ratios of the medians. */
  readonly byN: Readonly<
    Record<
      string,
      {
        readonly wallMs: Readonly<Partial<Record<StrategyName, Stats>>>;
        readonly noticeToAllEvacuatedMs: Stats;
        /** Medians: forcedown ÷ the floor (target ≤ 1.1). */
        readonly forcedownOverFloor: number;
        readonly forcedownOverFasterReference: number;
        readonly oneAtATimeOverForcedown: number;
        readonly serversPerSecond: Readonly<Partial<Record<StrategyName, number>>>;
        /** Median nova-api requests per server during a trial (access log). */
        readonly apiCallsPerServer: Readonly<Partial<Record<StrategyName, number>>>;
      }
    >
  >;
}

const num = (value: unknown): number => (typeof value === 'number' ? value : NaN);

async function forcedownTrial(n: number, round: number, concurrency: number | undefined): Promise<Measured> {
  const stateDir = mkdtempSync(join(tmpdir(), 'fd-bench-evac-'));
  try {
    const counted = await countNovaRequests(() =>
      runCli(
        [
          'run',
          'runbooks/host-failure.json',
          '--var',
          `host=${HOST}`,
          '--var',
          'reason=benchmark',
          ...(concurrency === undefined ? [] : ['--var', `concurrency=${concurrency}`]),
          '--inventory',
          testbed().inventory,
          '--yes',
          '--output',
          'json',
          '--state-dir',
          stateDir,
        ],
        cliEnv(),
      ),
    );
    const run = counted.result;
    const progress = (kind: string): Record<string, unknown>[] =>
      pick(run, 'step.progress', { stepId: 'evacuate', kind }).map(
        (e) => (e.event.data ?? {}) as Record<string, unknown>,
      );
    const requested = pick(run, 'step.progress', { stepId: 'evacuate', kind: 'evacuation.requested' });
    const finished = pick(run, 'step.progress', { stepId: 'evacuate', kind: 'evacuation.finished' });
    if (run.code !== 0 || requested.length === 0 || finished.length === 0)
      throw new Error(`forcedown run exited ${run.code}: ${run.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    const span = (id: string): number =>
      pick(run, 'step.finished', { stepId: id })[0].at - pick(run, 'step.started', { stepId: id })[0].at;
    const last = Math.max(...finished.map((e) => e.at));
    const accepted = pick(run, 'step.progress', { stepId: 'evacuate', kind: 'evacuation.accepted' });
    // the send begins with the server's lock (journaled `server.locking` before its POST), then `evacuation.requested`
    const locking = pick(run, 'step.progress', { stepId: 'evacuate', kind: 'server.locking' });
    const firstSendAt = Math.min(...requested.map((e) => e.at), ...locking.map((e) => e.at));
    const results = finished.map((e) => (e.event.data as { result?: string }).result);
    const transient = [...progress('evacuation.failed-attempt'), ...progress('evacuation.refused')];
    const firstFailed = new Set(transient.filter((d) => num(d.attempt) <= 1).map((d) => String(d.serverId)));
    return {
      strategy: 'forcedown',
      servers: n,
      round,
      wallMs: last - firstSendAt,
      cliWallMs: run.exitedAt - run.spawnedAt,
      marks: { firstSendAt, lastPostAt: Math.max(firstSendAt, ...accepted.map((e) => e.at)), lastConfirmedAt: last },
      log: counted.log,
      evacuated: results.filter((r) => r === 'evacuated').length,
      failed: results.filter((r) => r !== 'evacuated').length,
      noticeToAllEvacuatedMs: last - run.spawnedAt,
      fenceMs: span('fence'),
      forceDownMs: span('force-down'),
      novaRequests: counted.requests,
      novaRequestsByRoute: counted.byRoute,
      concurrency,
      failedFirstAttempts: firstFailed.size,
      retries: requested.length - new Set(progress('evacuation.requested').map((d) => String(d.serverId))).size,
      concurrencyChanges: progress('evacuation.concurrency').map((d) => ({
        from: num(d.from),
        to: num(d.to),
        reason: String(d.reason),
      })),
    };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function referenceTrial(
  strategy: Exclude<StrategyName, 'forcedown'>,
  client: OpenStackClient,
  n: number,
  round: number,
  pollIntervalMs: number,
  workers: number,
): Promise<Measured> {
  await fenceAndForceDownDirectly(client, HOST);
  // a client of its own, so its request counter is the strategy's alone
  const own = await connectAdmin();
  try {
    const options = { pollIntervalMs, serverTimeoutMs: 5 * 60_000 };
    const counted = await countNovaRequests(() =>
      strategy === 'one-at-a-time'
        ? oneAtATime(own, HOST, options)
        : strategy === 'floor'
          ? floor(own, HOST, { ...options, pollIntervalMs: FLOOR_POLL_MS })
          : masakariLike(own, HOST, { ...options, workers }),
    );
    const result: StrategyResult & { readonly retries?: number; readonly marks?: TrialMarks } = counted.result;
    const start = Date.now() - result.wallMs;
    return {
      strategy,
      servers: n,
      round,
      wallMs: result.wallMs,
      evacuated: result.evacuated,
      failed: result.failed.length,
      requests: result.requests,
      novaRequests: counted.requests,
      novaRequestsByRoute: counted.byRoute,
      ...(result.retries === undefined ? {} : { retries: result.retries }),
      marks: result.marks ?? { firstSendAt: start, lastPostAt: start, lastConfirmedAt: start + result.wallMs },
      log: counted.log,
    };
  } finally {
    await own.close();
  }
}

/** One trial on a healthy testbed: N fresh servers on fake1, evacuated, fake1 restored. */
export async function trial(
  client: OpenStackClient,
  strategy: StrategyName,
  n: number,
  round: number,
  options: { readonly pollIntervalMs: number; readonly masakariWorkers: number; readonly concurrency?: number },
): Promise<EvacuationTrial> {
  await waitAllHealthy(client);
  await waitComputeSettled(HOST);
  await bootServers(client, HOST, n, { prefix: SERVER_PREFIX });
  let result: EvacuationTrial;
  try {
    const { marks, log, ...measured } =
      strategy === 'forcedown'
        ? await forcedownTrial(n, round, options.concurrency)
        : await referenceTrial(strategy, client, n, round, options.pollIntervalMs, options.masakariWorkers);
    const migrations = (
      await client.compute.listMigrations({ sourceCompute: HOST, migrationType: 'evacuation' })
    ).filter((m) => parseNovaTime(m.createdAt) >= Math.floor(marks.firstSendAt / 1000) * 1000);
    result = { ...measured, timeline: evacuationTimeline(log, migrations, marks) };
  } finally {
    await restore(client, HOST);
  }
  if (result.failed > 0)
    throw new Error(
      `${strategy}, N=${n}: ${result.failed} of ${n} server(s) not evacuated after ${(result.wallMs / 1000).toFixed(1)} s${result.retries === undefined ? '' : ` (${result.retries} resends)`}; the servers left were deleted and ${HOST} restored`,
    );
  return result;
}

const ratio = (a: number | undefined, b: number | undefined): number =>
  a === undefined || b === undefined ? NaN : Math.round((a / b) * 1000) / 1000;

function summarize(n: number, strategies: readonly StrategyName[], trials: readonly EvacuationTrial[]) {
  const of = (s: StrategyName): EvacuationTrial[] => trials.filter((t) => t.servers === n && t.strategy === s);
  const wall: Partial<Record<StrategyName, Stats>> = {};
  const calls: Partial<Record<StrategyName, number>> = {};
  const perSecond: Partial<Record<StrategyName, number>> = {};
  for (const s of strategies) {
    wall[s] = stats(
      of(s).map((t) => t.wallMs),
      0,
    );
    calls[s] = stats(
      of(s).map((t) => (t.novaRequests ?? NaN) / n),
      2,
    ).median;
    perSecond[s] = Math.round((n / (wall[s].median / 1000)) * 100) / 100;
  }
  const refs = strategies.filter((s) => s !== 'forcedown').map((s) => wall[s]?.median ?? Infinity);
  return {
    wallMs: wall,
    noticeToAllEvacuatedMs: stats(
      of('forcedown').map((t) => t.noticeToAllEvacuatedMs ?? NaN),
      0,
    ),
    forcedownOverFloor: ratio(wall.forcedown?.median, wall.floor?.median),
    forcedownOverFasterReference: ratio(wall.forcedown?.median, Math.min(...refs)),
    oneAtATimeOverForcedown: ratio(wall['one-at-a-time']?.median, wall.forcedown?.median),
    serversPerSecond: perSecond,
    apiCallsPerServer: calls,
  };
}

/** The sizes that fit: N beyond the room the other computes have is skipped (and reported). */
export async function sizesThatFit(
  client: OpenStackClient,
  sizes: readonly number[],
  perDestination: number,
  log: (line: string) => void,
): Promise<{ fit: number[]; skipped: SkippedSize[] }> {
  const room = await evacuationRoom(client, HOST, perDestination);
  const skipped = sizes
    .filter((n) => n > room.room)
    .map((servers) => ({
      servers,
      room: room.room,
      destinations: room.destinations,
      placementRoom: room.placementRoom,
    }));
  for (const s of skipped)
    log(
      `evacuation N=${s.servers} skipped: room for ${s.room} (${s.destinations} destination computes × ${perDestination}); raise FORCEDOWN_TESTBED_COMPUTES`,
    );
  return { fit: sizes.filter((n) => n <= room.room), skipped };
}

export async function evacuationBench(
  client: OpenStackClient,
  options: {
    readonly sizes: readonly number[];
    readonly rounds: number;
    readonly pollIntervalMs: number;
    readonly masakariWorkers: number;
    readonly strategies?: readonly StrategyName[];
    /** forcedown's `concurrency` (the runbook's default when absent). */
    readonly forcedownConcurrency?: number;
    /** Servers the benchmark puts on each destination compute at most. */
    readonly perDestination: number;
  },
  log: (line: string) => void,
): Promise<EvacuationFigures> {
  const strategies = options.strategies ?? STRATEGIES;
  const { fit, skipped } = await sizesThatFit(client, options.sizes, options.perDestination, log);
  const trials: EvacuationTrial[] = [];
  const failedTrials: FailedTrial[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const n of fit) {
      const order = strategies.map((_s, i) => strategies[(i + round - 1) % strategies.length]);
      for (const strategy of order) {
        let t: EvacuationTrial;
        try {
          t = await trial(client, strategy, n, round, { ...options, concurrency: options.forcedownConcurrency });
        } catch (error) {
          // one trial's failure (a boot Nova refused, a testbed hiccup) does not throw away the others
          const message = String((error as Error).message ?? error)
            .split('\n')[0]
            .slice(0, 300);
          log(`evacuation round ${round}/${options.rounds}, N=${n}, ${strategy}: FAILED ${message}`);
          failedTrials.push({ strategy, servers: n, round, error: message });
          continue;
        }
        log(
          `evacuation round ${round}/${options.rounds}, N=${n}, ${strategy}: ${(t.wallMs / 1000).toFixed(2)} s, ${t.novaRequests ?? '?'} nova-api requests${t.noticeToAllEvacuatedMs ? ` (notice → all evacuated ${(t.noticeToAllEvacuatedMs / 1000).toFixed(2)} s)` : ''}`,
        );
        trials.push(t);
      }
    }
  }
  const byN = Object.fromEntries(fit.map((n) => [String(n), summarize(n, strategies, trials)]));
  return {
    host: HOST,
    pollIntervalMs: options.pollIntervalMs,
    floorPollIntervalMs: FLOOR_POLL_MS,
    masakariWorkers: options.masakariWorkers,
    perDestination: options.perDestination,
    trials,
    failedTrials,
    skipped,
    byN,
  };
}
