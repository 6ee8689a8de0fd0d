/**
 * `npm run bench`: every benchmark, results in bench/results/ (<timestamp>.json, latest.json,
 * latest.md). `npm run bench -- --smoke`: a few seconds against the in-process API double only
 * (tiny N; the reference strategies too), results in a temporary directory — CI runs it to catch
 * a broken benchmark, never to judge speed. Prints "N passed, N failed" (one check per figure
 * that ran to the end).
 *
 *   npm run bench [-- --smoke] [--only startup,ttd,evacuation,scale] [--rounds N] [--sizes 10,30] [--out DIR]
 *
 * Never a timed test: targets are reported (met / missed), the exit code says only whether every
 * figure could be measured.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect, loadCloudConfig } from '../src/openstack/index.js';
import { startOpenStackDouble } from '../test/support/openstack-double/index.js';
import { adminEnv } from '../test/support/simulated-cloud.js';
import { evacuationBench, type EvacuationFigures } from './evacuation.js';
import { benchRoot, fmtMs, fmtS, machineInfo, novaApiVersions, novaManageVersion, writeReport, type BenchReport, type TableRow } from './lib/results.js';
import { scaleBench, type ScaleFigures } from './scale.js';
import { startupBench, type StartupFigures } from './startup.js';
import { masakariLike } from './strategies/masakari-like.js';
import { oneAtATime } from './strategies/one-at-a-time.js';
import type { TimeToDownFigures } from './time-to-down.js';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    sizes: { type: 'string' },
    out: { type: 'string' },
  },
});
const smoke = values.smoke === true;
const only = new Set((values.only ?? 'startup,ttd,evacuation,scale').split(',').map((s) => s.trim()));
const rounds = Number(values.rounds ?? 2);
const sizes = (values.sizes ?? '10,30').split(',').map(Number);
const started = Date.now();
const log = (line: string): void => {
  process.stderr.write(`bench [${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
};

const figures: Record<string, unknown> = {};
const table: TableRow[] = [];
const problems: string[] = [];
let passed = 0;
let failed = 0;

async function figure(name: string, work: () => Promise<void>): Promise<void> {
  log(`${name}: start`);
  try {
    await work();
    passed += 1;
    log(`${name}: done`);
  } catch (error) {
    failed += 1;
    const message = `${name}: ${(error as Error).stack ?? String(error)}`;
    problems.push(message.split('\n')[0]!);
    log(`${name}: FAILED ${message}`);
  }
}

/** Smoke: the reference strategies against the double (their code must keep working). */
async function strategiesOnDouble(): Promise<Record<string, unknown>> {
  const double = await startOpenStackDouble({ rebuildDelayMs: { min: 20, max: 50 }, latencyMs: { min: 1, max: 3 } });
  const client = await connect(loadCloudConfig({ env: adminEnv(double), cwd: '/nonexistent', home: '/nonexistent', etcDir: '/nonexistent', warn: () => undefined }), { warn: () => undefined });
  try {
    const out: Record<string, unknown> = {};
    for (const strategy of ['one-at-a-time', 'masakari-like'] as const) {
      double.addServers(5, { host: 'fake1', name: `smoke-${strategy}` });
      double.setForcedDown('fake1', true);
      const options = { pollIntervalMs: 20, serverTimeoutMs: 10_000 };
      const result = strategy === 'one-at-a-time' ? await oneAtATime(client, 'fake1', options) : await masakariLike(client, 'fake1', { ...options, workers: 3 });
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
    const result: StartupFigures = await startupBench(smoke ? { runs: 2, providerRuns: 0 } : { runs: 20, providerRuns: 20 });
    figures.startup = result;
    table.push(
      { figure: 'Start-up: `forcedown --help` (whole process, median)', value: `${fmtMs(result.help.wallMs.median)} (min ${fmtMs(result.help.wallMs.min)}; bare \`node -e 0\`: ${fmtMs(result.nodeBare.wallMs.median)})`, target: '< 300 ms', met: result.help.wallMs.median < 300 },
      { figure: 'Start-up: `forcedown validate runbooks/host-failure.json`', value: `${fmtMs(result.validate.wallMs.median)} (min ${fmtMs(result.validate.wallMs.min)})`, target: '< 300 ms', met: result.validate.wallMs.median < 300 },
    );
    if ('handshakeMs' in result.provider) {
      table.push({ figure: 'Start-up: provider exec → handshake line', value: `${fmtMs(result.provider.handshakeMs.median!)} (min ${fmtMs(result.provider.handshakeMs.min!)})`, target: '< 300 ms', met: result.provider.handshakeMs.median! < 300 });
    } else if (!smoke) {
      problems.push(`provider start-up: ${result.provider.error}`);
    }
  });
}

if (smoke) {
  await figure('strategies (double)', async () => {
    figures.strategiesOnDouble = await strategiesOnDouble();
  });
}

if (!smoke && (only.has('ttd') || only.has('evacuation'))) {
  const testbedModule = await import('./lib/testbed.js');
  const client = await testbedModule.connectAdmin();
  const tb = testbedModule.testbed();
  const api = await novaApiVersions(tb.novaUrl);
  novaInfo = { manageVersion: novaManageVersion([join(tb.dir, 'bin', 'nova-manage')]), minMicroversion: api?.minMicroversion ?? null, maxMicroversion: api?.maxMicroversion ?? null, where: 'the Debian 12 testbed, 3 fake-driver computes' };
  try {
    if (only.has('ttd')) {
      await figure('time to down', async () => {
        const { timeToDownBench } = await import('./time-to-down.js');
        const result: TimeToDownFigures = await timeToDownBench(client, Math.max(3, rounds), log);
        figures.timeToDown = result;
        const s = result.summary;
        table.push(
          {
            figure: 'Time to down: spawn → Nova reports `down` (independent os-services poller, median)',
            value: `${fmtS(s.downByPollerMs.median)} (start-up ${fmtMs(s.startupMs.median)}, fence ${fmtMs(s.fenceMs.median)}, force-down call ${fmtMs(s.forceDownCallMs.median)}, confirmation ${fmtMs(s.confirmationMs.median)})`,
            target: `≤ BMC's own power-off + 1 s = ${fmtS(s.bmcOwnMs.median + 1000)}`,
            met: result.overBmcMs.median <= 1000,
          },
          { figure: "BMC's own power-off (ipmitool power off + status read)", value: `${fmtMs(s.bmcOwnMs.median)} (off ${fmtMs(s.bmcOffCallMs.median)}, read ${fmtMs(s.bmcReadMs.median)})`, target: '', met: null },
        );
      });
    }
    if (only.has('evacuation')) {
      await figure('evacuation', async () => {
        const result: EvacuationFigures = await evacuationBench(client, { sizes, rounds, pollIntervalMs: 200, masakariWorkers: 3 }, log);
        figures.evacuation = result;
        for (const n of sizes) {
          const f = result.byN[String(n)]!;
          const w = f.wallMs;
          table.push({
            figure: `Evacuate N = ${n}: forcedown / Masakari-like (3 workers) / one at a time, median (min) of ${w.forcedown.n}`,
            value: `${fmtS(w.forcedown.median, 1)} (${fmtS(w.forcedown.min, 1)}) / ${fmtS(w['masakari-like'].median, 1)} (${fmtS(w['masakari-like'].min, 1)}) / ${fmtS(w['one-at-a-time'].median, 1)} (${fmtS(w['one-at-a-time'].min, 1)}) — forcedown ${f.forcedownOverFasterReference}× the faster reference, one-at-a-time ${f.oneAtATimeOverForcedown}× forcedown`,
            target: n === 30 ? '≤ 1.1× faster reference; ≥ 1.8× faster than one at a time' : '',
            met: n === 30 ? f.forcedownOverFasterReference <= 1.1 && f.oneAtATimeOverForcedown >= 1.8 : null,
          });
          table.push({
            figure: `Failure notice → all ${n} evacuated (forcedown: fence + force-down + evacuation)`,
            value: `${fmtS(f.noticeToAllEvacuatedMs.median, 1)}; Masakari waits 180 s before it starts: ≥ ${fmtS(180_000 + w['masakari-like'].median, 1)}`,
            target: '',
            met: null,
          });
        }
      });
    }
  } finally {
    await testbedModule.restore(client, 'fake1').catch((error: unknown) => problems.push(`restoring fake1: ${(error as Error).message}`));
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
    if (result.evacuated !== options.servers) throw new Error(`${result.evacuated} of ${options.servers} evacuated (${result.failed} failed)`);
    table.push(
      {
        figure: `Scale: ${result.servers} servers on the API double (API ${result.latencyMs.min}–${result.latencyMs.max} ms, rebuild ${result.rebuildMs.min / 1000}–${result.rebuildMs.max / 1000} s, concurrency ${result.concurrency})`,
        value: `${fmtS(result.evacuationWallMs, 1)} vs ideal ${fmtS(result.idealMs, 1)} (${result.overIdeal}×)`,
        target: '',
        met: null,
      },
      { figure: 'Scale: peak RSS of the CLI process (VmHWM)', value: result.peakRssMiB === null ? 'not read' : `${result.peakRssMiB} MiB`, target: '< 150 MB', met: result.peakRssMiB === null ? null : result.peakRssMiB * 1.048576 < 150 },
      { figure: 'Scale: API calls per server (all calls / servers)', value: `${result.apiCallsPerServer} (${result.apiCalls} calls)`, target: 'fewer is better', met: null },
    );
  });
}

const report: BenchReport = {
  benchmark: 'forcedown',
  date: new Date().toISOString(),
  mode: smoke ? 'smoke' : 'full',
  machine: machineInfo(),
  nova: novaInfo,
  durationS: Math.round((Date.now() - started) / 1000),
  figures,
  table,
  problems,
};
const outDir = values.out ?? (smoke ? mkdtempSync(join(tmpdir(), 'fd-bench-smoke-')) : join(benchRoot, 'results'));
const paths = writeReport(outDir, report);
log(`results: ${paths.join(', ')}`);
process.stdout.write(`\n${table.map((row) => `${row.figure}: ${row.value}${row.target ? ` (target ${row.target}: ${row.met === null ? '-' : row.met ? 'met' : 'MISSED'})` : ''}`).join('\n')}\n`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
