/**
 * Coordination cost on the real testbed: the same `forcedown run runbooks/host-failure.json` for
 * one host with N servers, without and with `--etcd` (the testbed's 3-member cluster: the host
 * lock taken in etcd on a lease, the journal mirrored there). Rounds alternate which goes first.
 * Added seconds before the fence (spawn → the fence step started: the lock is taken before it)
 * and in total (spawn → exit). Watcher takeover after kill -9 of the leader is takeover.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenStackClient } from '../src/openstack/index.js';
import { dropPrefix, testbedEtcd, uniquePrefix } from '../test/e2e/coordination/etcd-support.js';
import { pick, runCli } from './lib/processes.js';
import { stats, type Stats } from './lib/results.js';
import {
  bootServers,
  cliEnv,
  restore,
  SERVER_PREFIX,
  testbed,
  waitAllHealthy,
  waitComputeSettled,
} from './lib/testbed.js';

export const HOST = 'fake1';

export interface CoordinationTrial {
  readonly etcd: boolean;
  readonly round: number;
  readonly servers: number;
  readonly beforeFenceMs: number;
  readonly downMs: number;
  readonly totalMs: number;
  readonly exitCode: number | null;
}

export interface CoordinationFigures {
  readonly host: string;
  readonly servers: number;
  readonly endpoints: readonly string[];
  readonly trials: readonly CoordinationTrial[];
  readonly without: Readonly<Record<'beforeFenceMs' | 'downMs' | 'totalMs', Stats>>;
  readonly with: Readonly<Record<'beforeFenceMs' | 'downMs' | 'totalMs', Stats>>;
  /** Median with − median without, ms. */
  readonly addedBeforeFenceMs: number;
  readonly addedTotalMs: number;
}

function firstAt(run: Awaited<ReturnType<typeof runCli>>, event: string, stepId: string): number {
  const found = pick(run, event, { stepId })[0];
  if (!found)
    throw new Error(
      `no ${event} of ${stepId} (exit ${run.code}): ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  return found.at;
}

async function trial(
  client: OpenStackClient,
  etcd: boolean,
  servers: number,
  round: number,
): Promise<CoordinationTrial> {
  await waitAllHealthy(client);
  await waitComputeSettled(HOST);
  const stateDir = mkdtempSync(join(tmpdir(), 'fd-bench-coord-'));
  const prefix = uniquePrefix('bench-coordination');
  try {
    await bootServers(client, HOST, servers, { prefix: SERVER_PREFIX });
    const args = ['run', 'runbooks/host-failure.json', '--var', `host=${HOST}`, '--var', 'reason=benchmark'];
    args.push('--inventory', testbed().inventory, '--yes', '--output', 'json', '--state-dir', stateDir);
    if (etcd) args.push('--etcd', testbedEtcd().endpoints.join(','));
    const run = await runCli(args, { ...cliEnv(), FORCEDOWN_ETCD_PREFIX: prefix });
    if (run.code !== 0)
      throw new Error(`forcedown run exited ${run.code}: ${run.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    return {
      etcd,
      round,
      servers,
      beforeFenceMs: firstAt(run, 'step.started', 'fence') - run.spawnedAt,
      downMs: firstAt(run, 'step.finished', 'force-down') - run.spawnedAt,
      totalMs: run.exitedAt - run.spawnedAt,
      exitCode: run.code,
    };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    await restore(client, HOST);
    if (etcd) await dropPrefix(prefix).catch(() => undefined);
  }
}

const summary = (trials: readonly CoordinationTrial[]): CoordinationFigures['with'] => ({
  beforeFenceMs: stats(
    trials.map((t) => t.beforeFenceMs),
    0,
  ),
  downMs: stats(
    trials.map((t) => t.downMs),
    0,
  ),
  totalMs: stats(
    trials.map((t) => t.totalMs),
    0,
  ),
});

export async function coordinationBench(
  client: OpenStackClient,
  options: { readonly servers: number; readonly rounds: number },
  log: (line: string) => void,
): Promise<CoordinationFigures> {
  const trials: CoordinationTrial[] = [];
  for (let i = 1; i <= options.rounds; i += 1)
    for (const etcd of i % 2 === 1 ? [false, true] : [true, false]) {
      const t = await trial(client, etcd, options.servers, i);
      log(
        `coordination ${etcd ? 'with' : 'without'} etcd, round ${i}: fence at ${t.beforeFenceMs} ms, down ${t.downMs} ms, exit ${t.totalMs} ms`,
      );
      trials.push(t);
    }
  const without = summary(trials.filter((t) => !t.etcd));
  const withEtcd = summary(trials.filter((t) => t.etcd));
  return {
    host: HOST,
    servers: options.servers,
    endpoints: testbedEtcd().endpoints,
    trials,
    without,
    with: withEtcd,
    addedBeforeFenceMs: withEtcd.beforeFenceMs.median - without.beforeFenceMs.median,
    addedTotalMs: withEtcd.totalMs.median - without.totalMs.median,
  };
}
