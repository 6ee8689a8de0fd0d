/**
 * `npm run bench`: every benchmark, results in bench/results/ (<timestamp>.json, latest.json,
 * latest.md). `npm run bench -- --smoke`: a few seconds against the in-process API double only
 * (tiny N; the reference strategies too), results in a temporary directory — CI runs it to catch
 * a broken benchmark, never to judge speed. Prints "N passed, N failed" (one check per figure
 * that ran to the end).
 *
 *   npm run bench [-- --smoke] [--only startup,ttd,evacuation,sweep,scale,watch-scale,always-on,coordination,takeover] [--rounds N] [--watch-polls N] [--sizes 10,30,60]
 *     [--strategies forcedown,floor,masakari-like,one-at-a-time] [--sweep 5,10,20,30,N] [--sweep-n 30]
 *     [--per-destination 30] [--always-on-sizes 10,30] [--always-on-rounds 3] [--out DIR]
 *   (always-on takes the median of --always-on-rounds, else --rounds, default 3 for it; coordination alternates --rounds pairs;
 *   takeover is the median of --rounds)
 *   npm run bench -- --render bench/results/FILE.json    (its table and latest.md again, from its figures)
 *
 * Never a timed test: targets are reported (met / missed), the exit code says only whether every
 * figure could be measured.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect, loadCloudConfig } from '../src/openstack/index.js';
import { startOpenStackDouble } from '../test/support/openstack-double/index.js';
import { adminEnv } from '../test/support/simulated-cloud.js';
import { evacuationBench, STRATEGIES, type EvacuationFigures, type StrategyName } from './evacuation.js';
import {
  benchRoot,
  machineInfo,
  markdown,
  novaApiVersions,
  novaManageVersion,
  writeReport,
  type BenchReport,
} from './lib/results.js';
import { cpuSample, loadBetween, type MachineLoad } from './lib/load.js';
import { tableOf, type Figures } from './lib/table.js';
import { scaleBench, type ScaleFigures } from './scale.js';
import { watchScaleBench } from './watch-scale.js';
import { startupBench, type StartupFigures } from './startup.js';
import { floor } from './strategies/floor.js';
import { masakariLike } from './strategies/masakari-like.js';
import { summarizeSweep, sweepBench, sweepLevels, kneeOf, type SweepFigures } from './sweep.js';
import { oneAtATime } from './strategies/one-at-a-time.js';
import type { TimeToDownFigures } from './time-to-down.js';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    sizes: { type: 'string' },
    strategies: { type: 'string' },
    sweep: { type: 'string' },
    'sweep-n': { type: 'string' },
    'per-destination': { type: 'string' },
    'always-on-sizes': { type: 'string' },
    'always-on-rounds': { type: 'string' },
    'watch-polls': { type: 'string' },
    out: { type: 'string' },
    render: { type: 'string' },
  },
});
if (values.render !== undefined) {
  // re-render a results file's table (and latest.md beside it) from its figures
  const file = values.render;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  const rendered: BenchReport = { ...saved, table: tableOf(saved.figures) };
  writeFileSync(file, `${JSON.stringify(rendered, null, 2)}\n`);
  writeFileSync(join(dirname(file), 'latest.md'), markdown(rendered));
  process.stdout.write(markdown(rendered));
  process.exit(0);
}
const smoke = values.smoke === true;
const only = new Set(
  (values.only ?? 'startup,ttd,evacuation,sweep,scale,watch-scale,always-on,coordination,takeover')
    .split(',')
    .map((s) => s.trim()),
);
const rounds = Number(values.rounds ?? 2);
const sizes = (values.sizes ?? '10,30,60').split(',').map(Number);
const strategies = (values.strategies ?? STRATEGIES.join(',')).split(',').map((s) => s.trim()) as StrategyName[];
for (const s of strategies) if (!STRATEGIES.includes(s)) throw new Error(`--strategies: unknown ${s}`);
const sweepLevelsArg = (values.sweep ?? '5,10,20,30,N').split(',').map((l) => (l.trim() === 'N' ? 'N' : Number(l)));
const sweepN = Number(values['sweep-n'] ?? 30);
/** Servers the evacuation figures put on one destination compute at most (N beyond the room is skipped). */
const perDestination = Number(values['per-destination'] ?? 30);
const started = Date.now();
const log = (line: string): void => {
  process.stderr.write(`bench [${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
};

const figures: Figures & Record<string, unknown> = {};
const problems: string[] = [];
let passed = 0;
let failed = 0;

/** How busy the machine was during each figure (bench/lib/load.ts). */
const load: Record<string, MachineLoad> = {};

async function figure(name: string, work: () => Promise<void>): Promise<void> {
  log(`${name}: start`);
  const before = cpuSample();
  try {
    await work();
    passed += 1;
    load[name] = loadBetween(before, cpuSample());
    log(`${name}: done (machine ${load[name].busyPct} % busy, load ${load[name].loadAvg1})`);
  } catch (error) {
    failed += 1;
    const message = `${name}: ${(error as Error).stack ?? String(error)}`;
    problems.push(message.split('\n')[0]);
    log(`${name}: FAILED ${message}`);
  }
}

/** Smoke: the reference strategies against the double (their code must keep working). */
async function strategiesOnDouble(): Promise<Record<string, unknown>> {
  const double = await startOpenStackDouble({ rebuildDelayMs: { min: 20, max: 50 }, latencyMs: { min: 1, max: 3 } });
  const client = await connect(
    loadCloudConfig({
      env: adminEnv(double),
      cwd: '/nonexistent',
      home: '/nonexistent',
      etcDir: '/nonexistent',
      warn: () => undefined,
    }),
    { warn: () => undefined },
  );
  try {
    const out: Record<string, unknown> = {};
    for (const strategy of ['one-at-a-time', 'masakari-like', 'floor'] as const) {
      double.addServers(5, { host: 'fake1', name: `smoke-${strategy}` });
      double.setForcedDown('fake1', true);
      const options = { pollIntervalMs: 20, serverTimeoutMs: 10_000 };
      const result =
        strategy === 'one-at-a-time'
          ? await oneAtATime(client, 'fake1', options)
          : strategy === 'floor'
            ? await floor(client, 'fake1', options)
            : await masakariLike(client, 'fake1', { ...options, workers: 3 });
      if (result.evacuated !== 5) throw new Error(`${strategy}: ${result.evacuated} of 5 evacuated on the double`);
      out[strategy] = result;
    }
    return out;
  } finally {
    await client.close();
    await double.close();
  }
}

let novaInfo: BenchReport['nova'] = null;

if (only.has('startup')) {
  await figure('startup', async () => {
    const result: StartupFigures = await startupBench(
      smoke ? { runs: 2, providerRuns: 0 } : { runs: 20, providerRuns: 20 },
    );
    figures.startup = result;
    if (!('handshakeMs' in result.provider) && !smoke) {
      problems.push(`provider start-up: ${result.provider.error}`);
    }
  });
}

if (smoke) {
  await figure('strategies (double)', async () => {
    figures.strategiesOnDouble = await strategiesOnDouble();
  });
}

/** Smoke: the sweep's code path on the double (the CLI at each level, summarized, its knee). */
async function sweepOnDouble(): Promise<SweepFigures> {
  const n = 6;
  const levels = sweepLevels([2, 3, 'N'], n);
  const trials = [];
  for (const concurrency of levels) {
    const result = await scaleBench({
      servers: n,
      concurrency,
      latencyMs: { min: 1, max: 3 },
      rebuildMs: { min: 20, max: 50 },
    });
    if (result.evacuated !== n)
      throw new Error(`sweep on the double, concurrency ${concurrency}: ${result.evacuated} of ${n}`);
    trials.push({
      strategy: 'forcedown' as const,
      servers: n,
      round: 1,
      wallMs: result.evacuationWallMs,
      evacuated: result.evacuated,
      failed: result.failed,
      concurrency,
      novaRequests: result.apiCalls,
      failedFirstAttempts: 0,
      retries: 0,
    });
  }
  const summary = summarizeSweep(trials, levels);
  return { host: 'fake1', servers: n, trials, skipped: [], levels: summary, knee: kneeOf(summary) };
}

if (smoke && only.has('sweep')) {
  await figure('sweep (double)', async () => {
    figures.sweepOnDouble = await sweepOnDouble();
  });
}

const testbedFigures = ['ttd', 'evacuation', 'sweep', 'always-on', 'coordination', 'takeover'];
if (!smoke && testbedFigures.some((f) => only.has(f))) {
  const testbedModule = await import('./lib/testbed.js');
  const client = await testbedModule.connectAdmin();
  const tb = testbedModule.testbed();
  const api = await novaApiVersions(tb.novaUrl);
  novaInfo = {
    manageVersion: novaManageVersion([join(tb.dir, 'bin', 'nova-manage')]),
    minMicroversion: api?.minMicroversion ?? null,
    maxMicroversion: api?.maxMicroversion ?? null,
    where: `the Debian 12 testbed, ${tb.computes.length} fake-driver computes`,
  };
  try {
    if (only.has('ttd')) {
      await figure('time to down', async () => {
        const { timeToDownBench } = await import('./time-to-down.js');
        const result: TimeToDownFigures = await timeToDownBench(client, Math.max(3, rounds), log);
        figures.timeToDown = result;
      });
    }
    if (only.has('evacuation')) {
      await figure('evacuation', async () => {
        const result: EvacuationFigures = await evacuationBench(
          client,
          { sizes, rounds, pollIntervalMs: 200, masakariWorkers: 3, strategies, perDestination },
          log,
        );
        figures.evacuation = result;
      });
    }
    if (only.has('sweep')) {
      await figure('concurrency sweep', async () => {
        figures.sweep = await sweepBench(
          client,
          { servers: sweepN, levels: sweepLevelsArg, rounds, pollIntervalMs: 200, perDestination },
          log,
        );
      });
    }
    if (only.has('always-on')) {
      await figure('always-on', async () => {
        const { alwaysOnBench } = await import('./always-on.js');
        const alwaysOnSizes = (values['always-on-sizes'] ?? '10,30').split(',').map(Number);
        figures.alwaysOn = await alwaysOnBench(
          client,
          { sizes: alwaysOnSizes, rounds: Number(values['always-on-rounds'] ?? values.rounds ?? 3) },
          log,
        );
      });
    }
    if (only.has('coordination')) {
      await figure('coordination cost', async () => {
        const { coordinationBench } = await import('./coordination.js');
        figures.coordination = await coordinationBench(client, { servers: 10, rounds }, log);
      });
    }
    if (only.has('takeover')) {
      await figure('watcher takeover', async () => {
        const { takeoverBench } = await import('./takeover.js');
        figures.takeover = await takeoverBench(client, { servers: 10, rounds }, log);
      });
    }
  } finally {
    await testbedModule
      .restore(client, 'fake1')
      .catch((error: unknown) => problems.push(`restoring fake1: ${(error as Error).message}`));
    await client.close();
  }
}

if (only.has('scale')) {
  await figure('scale', async () => {
    const options = smoke
      ? { servers: 20, concurrency: 10, latencyMs: { min: 1, max: 3 }, rebuildMs: { min: 20, max: 50 } }
      : { servers: 1000, concurrency: 100, latencyMs: { min: 20, max: 50 }, rebuildMs: { min: 2000, max: 5000 } };
    const result: ScaleFigures = await scaleBench(options);
    figures.scale = result;
    if (result.evacuated !== options.servers)
      throw new Error(`${result.evacuated} of ${options.servers} evacuated (${result.failed} failed)`);
  });
}

if (smoke && only.has('always-on')) {
  await figure('always-on (double)', async () => {
    const { alwaysOnOnDouble } = await import('./always-on.js');
    const result = await alwaysOnOnDouble();
    if (result.host !== 'compute0001')
      throw new Error(`the watcher decided on ${result.host}, not the dead compute0001`);
    figures.alwaysOnOnDouble = result;
  });
}

if (smoke && only.has('takeover')) {
  await figure('watcher takeover (fixture)', async () => {
    // no etcd without the testbed: the figure's summary and table rows, from two made-up rounds
    const { takeoverFixture } = await import('./takeover.js');
    const fixture = takeoverFixture();
    const rows = tableOf({ takeover: fixture });
    if (fixture.electedS.median !== 10 || fixture.expectedS !== 15)
      throw new Error(`takeover summary: elected median ${fixture.electedS.median}, expected ${fixture.expectedS}`);
    if (rows.length !== 2 || rows[0].met !== true || !rows[0].value.includes('follower elected 10.0 s'))
      throw new Error(`takeover rows: ${JSON.stringify(rows)}`);
    figures.takeoverFixture = rows;
  });
}

if (only.has('watch-scale')) {
  await figure('watcher scale', async () => {
    const options = smoke
      ? { computes: 50, polls: 20, dead: 2, sampleEvery: 5, warmup: 2 }
      : { computes: 2000, polls: Number(values['watch-polls'] ?? 720), dead: 3, sampleEvery: 60, warmup: 10 };
    const result = await watchScaleBench(options);
    figures.watchScale = result;
    if (result.failedPolls > 0) throw new Error(`${result.failedPolls} of ${result.polls} polls failed on the double`);
    if (result.candidatesPerPoll !== options.dead)
      throw new Error(`${result.candidatesPerPoll} candidates per poll, expected the ${options.dead} dead computes`);
    if (!result.bounded)
      throw new Error(`the watcher's memory grew over the last third: ${JSON.stringify(result.lastThird)}`);
  });
}

const table = tableOf(figures);
const report: BenchReport = {
  benchmark: 'forcedown',
  date: new Date().toISOString(),
  mode: smoke ? 'smoke' : 'full',
  machine: machineInfo(),
  nova: novaInfo,
  durationS: Math.round((Date.now() - started) / 1000),
  load,
  figures,
  table,
  problems,
};
const outDir = values.out ?? (smoke ? mkdtempSync(join(tmpdir(), 'fd-bench-smoke-')) : join(benchRoot, 'results'));
const paths = writeReport(outDir, report);
log(`results: ${paths.join(', ')}`);
process.stdout.write(
  `\n${table.map((row) => `${row.figure}: ${row.value}${row.target ? ` (target ${row.target}: ${row.met === null ? '-' : row.met ? 'met' : 'MISSED'})` : ''}`).join('\n')}\n`,
);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
