/**
 * Concurrency sweep (testbed, N = 30): forcedown's host-failure run at `concurrency` 5, 10, 20, 30
 * and N, in a rotating order over the rounds. Per level: wall time (first evacuate request → last
 * confirmation), servers whose first attempt failed (Nova's placement conflicts, "No valid host"),
 * evacuate requests sent again, the adaptive limit's changes and the final outcome, all from the
 * run's own events (what its journal records).
 */
import type { OpenStackClient } from '../src/openstack/index.js';
import { HOST, sizesThatFit, trial, type EvacuationTrial, type SkippedSize } from './evacuation.js';
import { stats, type Stats } from './lib/results.js';

export interface SweepLevel {
  readonly concurrency: number;
  readonly wallMs: Stats;
  readonly failedFirstAttempts: Stats;
  readonly retries: Stats;
  readonly evacuated: number;
  readonly failed: number;
  readonly apiCallsPerServer: number;
}

export interface SweepFigures {
  readonly host: string;
  readonly servers: number;
  readonly trials: readonly EvacuationTrial[];
  readonly skipped: readonly SkippedSize[];
  readonly levels: readonly SweepLevel[];
  /** The level with the lowest median wall time whose next level is not ≥ 5 % faster. */
  readonly knee: number | null;
}

/** The knee: the first level after which more in flight no longer buys ≥ 5 % (of the median). */
export function kneeOf(levels: readonly { concurrency: number; wallMs: { median: number } }[]): number | null {
  if (levels.length === 0) return null;
  for (let i = 0; i + 1 < levels.length; i += 1)
    if (levels[i + 1].wallMs.median > levels[i].wallMs.median * 0.95) return levels[i].concurrency;
  return levels[levels.length - 1].concurrency;
}

/** Levels to run for N servers: `levels` (N included as "N"), deduplicated, ascending. */
export function sweepLevels(levels: readonly (number | 'N')[], n: number): number[] {
  return [...new Set(levels.map((l) => (l === 'N' ? n : l)))].sort((a, b) => a - b);
}

export function summarizeSweep(trials: readonly EvacuationTrial[], levels: readonly number[]): SweepLevel[] {
  return levels.map((concurrency) => {
    const of = trials.filter((t) => t.concurrency === concurrency);
    return {
      concurrency,
      wallMs: stats(
        of.map((t) => t.wallMs),
        0,
      ),
      failedFirstAttempts: stats(
        of.map((t) => t.failedFirstAttempts ?? NaN),
        0,
      ),
      retries: stats(
        of.map((t) => t.retries ?? NaN),
        0,
      ),
      evacuated: of.reduce((a, t) => a + t.evacuated, 0),
      failed: of.reduce((a, t) => a + t.failed, 0),
      apiCallsPerServer: stats(
        of.map((t) => (t.novaRequests ?? NaN) / t.servers),
        2,
      ).median,
    };
  });
}

export async function sweepBench(
  client: OpenStackClient,
  options: {
    readonly servers: number;
    readonly levels: readonly (number | 'N')[];
    readonly rounds: number;
    readonly pollIntervalMs: number;
    readonly perDestination: number;
  },
  log: (line: string) => void,
): Promise<SweepFigures> {
  const n = options.servers;
  const levels = sweepLevels(options.levels, n);
  const { fit, skipped } = await sizesThatFit(client, [n], options.perDestination, log);
  const trials: EvacuationTrial[] = [];
  for (let round = 1; round <= options.rounds && fit.length > 0; round += 1) {
    const order = levels.map((_l, i) => levels[(i + round - 1) % levels.length]);
    for (const concurrency of order) {
      const t = await trial(client, 'forcedown', n, round, {
        pollIntervalMs: options.pollIntervalMs,
        masakariWorkers: 3,
        concurrency,
      });
      log(
        `sweep round ${round}/${options.rounds}, N=${n}, concurrency ${concurrency}: ${(t.wallMs / 1000).toFixed(2)} s, ${t.failedFirstAttempts} failed first attempts, ${t.retries} retries`,
      );
      trials.push(t);
    }
  }
  const summary = fit.length > 0 ? summarizeSweep(trials, levels) : [];
  return { host: HOST, servers: n, trials, skipped, levels: summary, knee: kneeOf(summary) };
}
