/**
 * Figure 2, evacuating N servers from one host of the real testbed: forcedown (`forcedown run
 * runbooks/host-failure.json`, its default concurrency; wall time from its first evacuate request
 * to its last confirmation, from its events) against two reference strategies run on the same
 * testbed in the same benchmark: one at a time (each confirmed by polling the server every
 * 200 ms) and Masakari-like (3 workers, each polling its server). Strategies alternate in a
 * rotating order, round after round, so a slow spell of the machine does not land on one of them.
 * Every trial boots N fresh servers on fake1 and ends with fake1 healthy and the servers deleted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenStackClient } from '../src/openstack/index.js';
import { pick, runCli } from './lib/processes.js';
import { stats, type Stats } from './lib/results.js';
import {
  bootServers,
  cliEnv,
  connectAdmin,
  fenceAndForceDownDirectly,
  restore,
  SERVER_PREFIX,
  testbed,
  waitAllHealthy,
  waitComputeSettled,
} from './lib/testbed.js';
import { masakariLike } from './strategies/masakari-like.js';
import { oneAtATime } from './strategies/one-at-a-time.js';

export const HOST = 'fake1';
export type StrategyName = 'forcedown' | 'masakari-like' | 'one-at-a-time';
export const STRATEGIES: readonly StrategyName[] = ['forcedown', 'masakari-like', 'one-at-a-time'];

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
}

export interface EvacuationFigures {
  readonly host: string;
  readonly pollIntervalMs: number;
  readonly masakariWorkers: number;
  readonly trials: readonly EvacuationTrial[];
  /** Per N: per strategy, wall-time stats (ms), and the ratios of the medians. */
  readonly byN: Readonly<
    Record<
      string,
      {
        readonly wallMs: Readonly<Record<StrategyName, Stats>>;
        readonly noticeToAllEvacuatedMs: Stats;
        readonly forcedownOverFasterReference: number;
        readonly oneAtATimeOverForcedown: number;
        readonly serversPerSecond: Readonly<Record<StrategyName, number>>;
      }
    >
  >;
}

async function forcedownTrial(n: number, round: number, concurrency: number | undefined): Promise<EvacuationTrial> {
  const stateDir = mkdtempSync(join(tmpdir(), 'fd-bench-evac-'));
  try {
    const run = await runCli(
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
    );
    const requested = pick(run, 'step.progress', { stepId: 'evacuate', kind: 'evacuation.requested' });
    const finished = pick(run, 'step.progress', { stepId: 'evacuate', kind: 'evacuation.finished' });
    if (run.code !== 0 || requested.length === 0 || finished.length === 0)
      throw new Error(`forcedown run exited ${run.code}: ${run.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    const span = (id: string): number =>
      pick(run, 'step.finished', { stepId: id })[0].at - pick(run, 'step.started', { stepId: id })[0].at;
    const last = Math.max(...finished.map((e) => e.at));
    const results = finished.map((e) => (e.event.data as { result?: string }).result);
    return {
      strategy: 'forcedown',
      servers: n,
      round,
      wallMs: last - Math.min(...requested.map((e) => e.at)),
      evacuated: results.filter((r) => r === 'evacuated').length,
      failed: results.filter((r) => r !== 'evacuated').length,
      noticeToAllEvacuatedMs: last - run.spawnedAt,
      fenceMs: span('fence'),
      forceDownMs: span('force-down'),
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
): Promise<EvacuationTrial> {
  await fenceAndForceDownDirectly(client, HOST);
  // a client of its own, so its request counter is the strategy's alone
  const own = await connectAdmin();
  try {
    const options = { pollIntervalMs, serverTimeoutMs: 5 * 60_000 };
    const result =
      strategy === 'one-at-a-time'
        ? await oneAtATime(own, HOST, options)
        : await masakariLike(own, HOST, { ...options, workers });
    return {
      strategy,
      servers: n,
      round,
      wallMs: result.wallMs,
      evacuated: result.evacuated,
      failed: result.failed.length,
      requests: result.requests,
    };
  } finally {
    await own.close();
  }
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
  },
  log: (line: string) => void,
): Promise<EvacuationFigures> {
  const strategies = options.strategies ?? STRATEGIES;
  const trials: EvacuationTrial[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const n of options.sizes) {
      const order = strategies.map((_s, i) => strategies[(i + round - 1) % strategies.length]);
      for (const strategy of order) {
        await waitAllHealthy(client);
        await waitComputeSettled(HOST);
        await bootServers(client, HOST, n, { prefix: SERVER_PREFIX });
        let trial: EvacuationTrial;
        try {
          trial =
            strategy === 'forcedown'
              ? await forcedownTrial(n, round, options.forcedownConcurrency)
              : await referenceTrial(strategy, client, n, round, options.pollIntervalMs, options.masakariWorkers);
        } finally {
          await restore(client, HOST);
        }
        if (trial.failed > 0) throw new Error(`${strategy}, N=${n}: ${trial.failed} server(s) not evacuated`);
        log(
          `evacuation round ${round}/${options.rounds}, N=${n}, ${strategy}: ${(trial.wallMs / 1000).toFixed(2)} s${trial.noticeToAllEvacuatedMs ? ` (notice → all evacuated ${(trial.noticeToAllEvacuatedMs / 1000).toFixed(2)} s)` : ''}`,
        );
        trials.push(trial);
      }
    }
  }
  const byN: Record<string, EvacuationFigures['byN'][string]> = {};
  for (const n of options.sizes) {
    const wall = Object.fromEntries(
      strategies.map((s) => [
        s,
        stats(
          trials.filter((t) => t.servers === n && t.strategy === s).map((t) => t.wallMs),
          0,
        ),
      ]),
    ) as Record<StrategyName, Stats>;
    const refs = strategies.filter((s) => s !== 'forcedown').map((s) => wall[s].median);
    byN[String(n)] = {
      wallMs: wall,
      noticeToAllEvacuatedMs: stats(
        trials.filter((t) => t.servers === n && t.strategy === 'forcedown').map((t) => t.noticeToAllEvacuatedMs ?? NaN),
        0,
      ),
      forcedownOverFasterReference: Math.round((wall.forcedown?.median / Math.min(...refs)) * 1000) / 1000,
      oneAtATimeOverForcedown: Math.round((wall['one-at-a-time']?.median / wall.forcedown?.median) * 1000) / 1000,
      serversPerSecond: Object.fromEntries(
        strategies.map((s) => [s, Math.round((n / (wall[s].median / 1000)) * 100) / 100]),
      ) as Record<StrategyName, number>,
    };
  }
  return { host: HOST, pollIntervalMs: options.pollIntervalMs, masakariWorkers: options.masakariWorkers, trials, byN };
}
