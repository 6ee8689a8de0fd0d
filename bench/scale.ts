/**
 * Figure 3, scale: N servers (1000) on one host of the in-process OpenStack double with realistic
 * latency (every API answer 20–50 ms, every rebuild 2–5 s), evacuated by the real CLI as a child
 * process (`forcedown run runbooks/evacuate-only.json --assume-fenced ...`: the double has no
 * BMC). Reports the evacuation's wall time against the ideal (the rebuild times Nova — here the
 * double — actually took, packed onto `concurrency` slots with zero overhead), the CLI's peak RSS
 * (VmHWM of the child) and the API calls per server (the double's own counters).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpenStackDouble } from '../test/support/openstack-double/index.js';
import { adminEnv } from '../test/support/simulated-cloud.js';
import { pick, runCli } from './lib/processes.js';

export interface ScaleOptions {
  readonly servers: number;
  readonly concurrency: number;
  readonly latencyMs: { readonly min: number; readonly max: number };
  readonly rebuildMs: { readonly min: number; readonly max: number };
}

export interface ScaleFigures extends ScaleOptions {
  readonly exitCode: number | null;
  readonly evacuated: number;
  readonly failed: number;
  /** First evacuate request to the last evacuation confirmed (the CLI's events). */
  readonly evacuationWallMs: number;
  /** The evacuate step, from step.started to step.finished (includes listing and classifying). */
  readonly stepWallMs: number;
  /** Spawn to exit of the CLI. */
  readonly processWallMs: number;
  /** The rebuild times the double drew, packed greedily onto `concurrency` slots, no overhead. */
  readonly idealMs: number;
  readonly overIdeal: number;
  readonly peakRssMiB: number | null;
  readonly peakRssSource: string;
  readonly apiCalls: number;
  readonly apiCallsPerServer: number;
  readonly callsByRoute: Readonly<Record<string, number>>;
  readonly doubleEvacuations: number;
}

/** Makespan of list scheduling: each job goes to the slot that frees first. */
export function makespan(durations: readonly number[], slots: number): number {
  const free = new Array<number>(Math.max(1, slots)).fill(0);
  for (const duration of durations) {
    let best = 0;
    for (let i = 1; i < free.length; i += 1) if (free[i] < free[best]) best = i;
    free[best] = free[best] + duration;
  }
  return Math.max(...free);
}

export async function scaleBench(options: ScaleOptions): Promise<ScaleFigures> {
  const double = await startOpenStackDouble({ rebuildDelayMs: options.rebuildMs, logLimit: 100 });
  const stateDir = mkdtempSync(join(tmpdir(), 'fd-bench-scale-'));
  try {
    const host = 'fake1';
    double.addServers(options.servers, { host, name: 'bench' });
    double.killCompute(host);
    double.setLatency(options.latencyMs);
    double.resetCalls();
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env))
      if (value !== undefined && !key.startsWith('OS_')) env[key] = value;
    Object.assign(env, adminEnv(double));
    const run = await runCli(
      [
        'run',
        'runbooks/evacuate-only.json',
        '--var',
        `host=${host}`,
        '--var',
        `concurrency=${options.concurrency}`,
        '--assume-fenced',
        'benchmark: simulated host (API double)',
        '--yes',
        '--output',
        'json',
        '--state-dir',
        stateDir,
      ],
      env,
    );
    const requested = pick(run, 'step.progress', { stepId: 'evacuate', kind: 'evacuation.requested' });
    const finished = pick(run, 'step.progress', { stepId: 'evacuate', kind: 'evacuation.finished' });
    const stepStarted = pick(run, 'step.started', { stepId: 'evacuate' })[0];
    const stepFinished = pick(run, 'step.finished', { stepId: 'evacuate' })[0];
    if (run.code !== 0 || requested.length === 0 || !stepStarted || !stepFinished) {
      throw new Error(`the CLI run failed (exit ${run.code}): ${run.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    }
    const results = finished.map((e) => (e.event.data as { result?: string }).result);
    const migrations = double
      .migrations({ sourceCompute: host })
      .filter((m) => m.migrationType === 'evacuation' && m.updatedAt !== null);
    const rebuilds = migrations.map((m) => m.updatedAt! - m.createdAt);
    const idealMs = makespan(rebuilds, options.concurrency);
    const evacuationWallMs = Math.max(...finished.map((e) => e.at)) - Math.min(...requested.map((e) => e.at));
    const calls = double.calls;
    const apiCalls = Object.values(calls).reduce((a, b) => a + b, 0);
    return {
      ...options,
      exitCode: run.code,
      evacuated: results.filter((r) => r === 'evacuated').length,
      failed: results.filter((r) => r === 'failed').length,
      evacuationWallMs,
      stepWallMs: stepFinished.at - stepStarted.at,
      processWallMs: run.exitedAt - run.spawnedAt,
      idealMs,
      overIdeal: Math.round((evacuationWallMs / idealMs) * 1000) / 1000,
      peakRssMiB: run.peakRssKb === null ? null : Math.round((run.peakRssKb / 1024) * 10) / 10,
      peakRssSource:
        'VmHWM of the CLI child process (/proc/<pid>/status, sampled every 20 ms; the high-water mark only grows)',
      apiCalls,
      apiCallsPerServer: Math.round((apiCalls / options.servers) * 100) / 100,
      callsByRoute: Object.fromEntries(Object.entries(calls).sort((a, b) => b[1] - a[1])),
      doubleEvacuations: double.doubleEvacuations,
    };
  } finally {
    await double.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
