/**
 * Watcher scale: the real Watcher (src/watch, mode observe) polling a region of `computes`
 * nova-compute services on the OpenStack double, `polls` cycles back to back (720 = one hour at
 * the 5 s interval). The double runs in its own process, so process.cpuUsage() deltas and RSS are
 * the watcher's (its client, the JSON parse of os-services, detection, guards, metrics) alone.
 * A few computes are dead from the start, so every cycle also tracks candidates and logs a
 * "would recover" decision. RSS and heap (after a full GC) are sampled every `sampleEvery` polls.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connect, loadCloudConfig, type OpenStackClient } from '../src/openstack/index.js';
import { WatchMetrics } from '../src/watch/metrics.js';
import type { RecoveryLauncher } from '../src/watch/recoveries.js';
import { Watcher } from '../src/watch/watcher.js';
import type { DoubleProcessOptions } from './lib/double-process.js';
import { repoRoot, stats, type Stats } from './lib/results.js';

export interface WatchScaleOptions {
  readonly computes: number;
  readonly polls: number;
  readonly dead: number;
  readonly sampleEvery: number;
  /** Polls before the first sample (JIT warm-up, the token, the connection pool). */
  readonly warmup: number;
}

export interface MemorySample {
  readonly poll: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  /** The V8 heap's reserved size (its pages, used or not). */
  readonly heapTotalMiB: number;
  /** Memory outside the V8 heap that V8 knows of (Buffers, sockets' buffers). */
  readonly externalMiB: number;
  /** The part of external held by ArrayBuffers (Buffers). */
  readonly arrayBuffersMiB: number;
  /** Pages the young generation (V8's new space) holds, used or not: part of heapTotal and RSS. */
  readonly youngMiB: number;
}

/** Growth from the sample two thirds in to the last (a plateau: ~0 but for V8's young generation). */
export interface LastThirdGrowth {
  readonly fromPoll: number;
  readonly rssMiB: number;
  readonly youngMiB: number;
  /** RSS growth less the young generation's (which V8 bounds by its maximum semi-space size). */
  readonly rssLessYoungMiB: number;
  /**
   * Growth of the floor (the least sample) of heapUsed + external, last third against middle
   * third: external swings by tens of MiB from sample to sample as freed Buffers are swept
   * concurrently, but what the watcher kept would raise the floor.
   */
  readonly heapExternalFloorMiB: number;
}

/** The bounds `bounded` is judged on. */
export const LAST_THIRD_BOUNDS = { heapExternalFloorMiB: 2, rssLessYoungMiB: 16 } as const;

export interface WatchScaleFigures extends WatchScaleOptions {
  readonly intervalEquivalentS: number;
  /** CPU (user + system) per poll, ms. */
  readonly cpuPerPollMs: Stats & { readonly p95: number };
  readonly wallPerPollMs: Stats & { readonly p95: number };
  /** CPU per poll as a share of one core at the 5 s interval. */
  readonly coreShareAt5s: number;
  readonly samples: readonly MemorySample[];
  /** Last sample minus the first, MiB (RSS; heap after a full GC). */
  readonly rssGrowthMiB: number;
  readonly heapGrowthMiB: number;
  readonly lastThird: LastThirdGrowth;
  /** Both last-third growths within {@link LAST_THIRD_BOUNDS}. */
  readonly bounded: boolean;
  readonly candidatesPerPoll: number;
  readonly failedPolls: number;
  readonly logRecords: number;
}

const MiB = 1024 * 1024;
const round1 = (n: number): number => Math.round(n * 10) / 10;

/** A full GC without --expose-gc on the command line (the bench runs under tsx). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => gc();
}

/** The double in a child process; `stop` closes its stdin and waits for it to exit. */
export async function startDoubleProcess(options: DoubleProcessOptions) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'bench/lib/double-process.ts'), JSON.stringify(options)],
    {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, 'line')) as [string];
  lines.close();
  const env = JSON.parse(first) as Record<string, string>;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.stdin.end();
    await exited;
  };
  return { env, stop };
}

const noRecoveries: RecoveryLauncher = {
  start: () => Promise.reject(new Error('watch-scale: mode observe starts no recovery')),
  resume: () => Promise.reject(new Error('watch-scale: mode observe resumes no recovery')),
  unfinished: () => Promise.resolve([]),
};

function sample(poll: number, gc: () => void): MemorySample {
  gc();
  const memory = process.memoryUsage();
  return {
    poll,
    rssMiB: round1(memory.rss / MiB),
    heapUsedMiB: round1(memory.heapUsed / MiB),
    heapTotalMiB: round1(memory.heapTotal / MiB),
    externalMiB: round1(memory.external / MiB),
    arrayBuffersMiB: round1(memory.arrayBuffers / MiB),
    youngMiB: round1(
      (getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.physical_space_size ?? 0) / MiB,
    ),
  };
}

const floor = (samples: readonly MemorySample[]): number =>
  Math.min(...samples.map((m) => m.heapUsedMiB + m.externalMiB));

/** The growth over the last third of the samples (the plateau, if memory levels off). */
export function lastThirdGrowth(samples: readonly MemorySample[]): LastThirdGrowth {
  const third = Math.floor((samples.length - 1) / 3);
  const from = samples[samples.length - 1 - third];
  const last = samples[samples.length - 1];
  const rss = last.rssMiB - from.rssMiB;
  const young = last.youngMiB - from.youngMiB;
  const middle = samples.slice(samples.length - 1 - 2 * third, samples.length - third);
  const end = samples.slice(samples.length - 1 - third);
  return {
    fromPoll: from.poll,
    rssMiB: round1(rss),
    youngMiB: round1(young),
    rssLessYoungMiB: round1(rss - young),
    heapExternalFloorMiB: round1(floor(end) - floor(middle)),
  };
}

export async function watchScaleBench(options: WatchScaleOptions): Promise<WatchScaleFigures> {
  const double = await startDoubleProcess({ computes: options.computes, kill: options.dead, logLimit: 10 });
  let client: OpenStackClient | undefined;
  try {
    const env = double.env;
    client = await connect(
      loadCloudConfig({
        env,
        cwd: '/nonexistent',
        home: '/nonexistent',
        etcDir: '/nonexistent',
        warn: () => undefined,
      }),
      { warn: () => undefined },
    );
    const compute = client.compute;
    let logRecords = 0;
    const watcher = new Watcher({
      settings: {
        intervalMs: 5000,
        staleAfterMs: 30_000,
        heartbeatIntervalMs: 10_000,
        confirmSamples: 2,
        mode: 'observe',
        guards: {
          maxStaleFraction: 0.5,
          maxConcurrentRecoveries: 2,
          maxRecoveriesPerHour: 5,
          zoneLimits: {},
          aggregates: {},
          recoverAfterSamples: 1,
          settleAfterTripMs: 40_000,
        },
      },
      compute: () => Promise.resolve(compute),
      launcher: noRecoveries,
      log: () => (logRecords += 1),
      observer: new WatchMetrics(),
    });
    return await measure(watcher, options, () => logRecords);
  } finally {
    await client?.close();
    await double.stop();
  }
}

function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN) * 100) / 100;
}

async function measure(watcher: Watcher, options: WatchScaleOptions, logs: () => number): Promise<WatchScaleFigures> {
  const gc = collector();
  for (let i = 0; i < options.warmup; i += 1) await watcher.cycle();
  const cpu: number[] = [];
  const wall: number[] = [];
  const samples: MemorySample[] = [sample(0, gc)];
  let candidates = 0;
  let failedPolls = 0;
  for (let poll = 1; poll <= options.polls; poll += 1) {
    const before = process.cpuUsage();
    const started = performance.now();
    const report = await watcher.cycle();
    wall.push(performance.now() - started);
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1000);
    candidates += report.candidates.length;
    if (!report.ok) failedPolls += 1;
    if (poll % options.sampleEvery === 0 || poll === options.polls) samples.push(sample(poll, gc));
  }
  // the per-poll samples stay out of the results file (720 of each); the spread is min/median/max and p95
  const cpuPerPollMs = { ...stats(cpu, 2), samples: [], p95: percentile(cpu, 0.95) };
  const first = samples[0];
  const last = samples[samples.length - 1];
  const lastThird = lastThirdGrowth(samples);
  return {
    ...options,
    intervalEquivalentS: options.polls * 5,
    cpuPerPollMs,
    wallPerPollMs: { ...stats(wall, 2), samples: [], p95: percentile(wall, 0.95) },
    coreShareAt5s: Math.round((cpuPerPollMs.median / 5000) * 100_000) / 100_000,
    samples,
    rssGrowthMiB: round1(last.rssMiB - first.rssMiB),
    heapGrowthMiB: round1(last.heapUsedMiB - first.heapUsedMiB),
    lastThird,
    bounded:
      lastThird.heapExternalFloorMiB < LAST_THIRD_BOUNDS.heapExternalFloorMiB &&
      lastThird.rssLessYoungMiB < LAST_THIRD_BOUNDS.rssLessYoungMiB,
    candidatesPerPoll: Math.round((candidates / options.polls) * 100) / 100,
    failedPolls,
    logRecords: logs(),
  };
}
