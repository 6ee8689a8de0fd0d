/**
 * The results table (latest.md, and the lines `npm run bench` prints), derived from the figures
 * alone, so that a results file can be rendered again (`npm run bench -- --render FILE`).
 */
import type { EvacuationFigures, StrategyName } from '../evacuation.js';
import type { SweepFigures } from '../sweep.js';
import type { ScaleFigures } from '../scale.js';
import type { StartupFigures } from '../startup.js';
import type { TimeToDownFigures } from '../time-to-down.js';
import { LAST_THIRD_BOUNDS, type WatchScaleFigures } from '../watch-scale.js';
import type { AlwaysOnFigures } from '../always-on.js';
import type { CoordinationFigures } from '../coordination.js';
import type { TakeoverFigures } from '../takeover.js';
import { fmtMs, fmtS, type TableRow } from './results.js';

export interface Figures {
  startup?: StartupFigures;
  timeToDown?: TimeToDownFigures;
  evacuation?: EvacuationFigures;
  scale?: ScaleFigures;
  sweep?: SweepFigures;
  watchScale?: WatchScaleFigures;
  alwaysOn?: AlwaysOnFigures;
  coordination?: CoordinationFigures;
  takeover?: TakeoverFigures;
}

export function tableOf(figures: Figures): TableRow[] {
  const table: TableRow[] = [];
  const startup = figures.startup;
  if (startup) {
    table.push(
      {
        figure: 'Start-up: `forcedown --help` (whole process, median)',
        value: `${fmtMs(startup.help.wallMs.median)} (min ${fmtMs(startup.help.wallMs.min)}; bare \`node -e 0\`: ${fmtMs(startup.nodeBare.wallMs.median)})`,
        target: '< 300 ms',
        met: startup.help.wallMs.median < 300,
      },
      {
        figure: 'Start-up: `forcedown validate runbooks/host-failure.json`',
        value: `${fmtMs(startup.validate.wallMs.median)} (min ${fmtMs(startup.validate.wallMs.min)})`,
        target: '< 300 ms',
        met: startup.validate.wallMs.median < 300,
      },
    );
    if ('handshakeMs' in startup.provider) {
      table.push({
        figure: 'Start-up: provider exec → handshake line',
        value: `${fmtMs(startup.provider.handshakeMs.median)} (min ${fmtMs(startup.provider.handshakeMs.min)})`,
        target: '< 300 ms',
        met: startup.provider.handshakeMs.median < 300,
      });
    }
  }
  const ttd = figures.timeToDown;
  if (ttd) {
    const s = ttd.summary;
    table.push(
      {
        figure: `Time to down: spawn → Nova reports \`down\` (independent os-services poller, median of ${s.downByPollerMs.n})`,
        value: `${fmtS(s.downByPollerMs.median)} (start-up ${fmtMs(s.startupMs.median)}, fence ${fmtMs(s.fenceMs.median)}, force-down call ${fmtMs(s.forceDownCallMs.median)}, confirmation ${fmtMs(s.confirmationMs.median)})`,
        target: `≤ BMC's own power-off + 1 s = ${fmtS(s.bmcOwnMs.median + 1000)}`,
        met: ttd.overBmcMs.median <= 1000,
      },
      {
        figure: "BMC's own power-off (ipmitool power off + status read)",
        value: `${fmtMs(s.bmcOwnMs.median)} (off ${fmtMs(s.bmcOffCallMs.median)}, read ${fmtMs(s.bmcReadMs.median)})`,
        target: '',
        met: null,
      },
    );
  }
  const evacuation = figures.evacuation;
  if (evacuation) table.push(...evacuationRows(evacuation));
  const sweep = figures.sweep;
  if (sweep) table.push(...sweepRows(sweep));
  const scale = figures.scale;
  if (scale) {
    table.push(
      {
        figure: `Scale: ${scale.servers} servers on the API double (API ${scale.latencyMs.min}–${scale.latencyMs.max} ms, rebuild ${scale.rebuildMs.min / 1000}–${scale.rebuildMs.max / 1000} s, concurrency ${scale.concurrency})`,
        value: `${fmtS(scale.evacuationWallMs, 1)} vs ideal ${fmtS(scale.idealMs, 1)} (${scale.overIdeal}×)`,
        target: '',
        met: null,
      },
      {
        figure: 'Scale: peak RSS of the CLI process (VmHWM)',
        value: scale.peakRssMiB === null ? 'not read' : `${scale.peakRssMiB} MiB`,
        target: '< 150 MB',
        met: scale.peakRssMiB === null ? null : scale.peakRssMiB * 1.048576 < 150,
      },
      {
        figure: 'Scale: API calls per server (all calls / servers)',
        value: `${scale.apiCallsPerServer} (${scale.apiCalls} calls)`,
        target: 'fewer is better',
        met: null,
      },
    );
  }
  if (figures.watchScale) table.push(...watchScaleRows(figures.watchScale));
  if (figures.alwaysOn) table.push(...alwaysOnRows(figures.alwaysOn));
  if (figures.coordination) table.push(...coordinationRows(figures.coordination));
  if (figures.takeover) table.push(...takeoverRows(figures.takeover));
  return table;
}

function watchScaleRows(w: WatchScaleFigures): TableRow[] {
  const where = `${w.computes} computes on the API double, ${w.polls} polls = ${Math.round(w.intervalEquivalentS / 6) / 10} min at 5 s`;
  const trail = w.samples.map((m) => m.rssMiB).join(' → ');
  return [
    {
      figure: `Watcher scale: CPU per poll (${where}, mode observe)`,
      value: `${w.cpuPerPollMs.median} ms median, p95 ${w.cpuPerPollMs.p95} ms, max ${w.cpuPerPollMs.max} ms (${(w.coreShareAt5s * 100).toFixed(2)} % of one core at 5 s; poll wall ${w.wallPerPollMs.median} ms)`,
      target: '',
      met: null,
    },
    {
      figure: `Watcher scale: RSS after ${w.polls} polls (samples every ${w.sampleEvery}, MiB, after a full GC)`,
      value: `${w.samples[w.samples.length - 1]?.rssMiB ?? '-'} MiB (${trail}); young generation ${w.samples[0]?.youngMiB ?? '-'} → ${w.samples[w.samples.length - 1]?.youngMiB ?? '-'} MiB; heap used ${w.samples[0]?.heapUsedMiB ?? '-'} → ${w.samples[w.samples.length - 1]?.heapUsedMiB ?? '-'} MiB`,
      target: '',
      met: null,
    },
    {
      figure: `Watcher scale: growth over the last third (polls ${w.lastThird.fromPoll}–${w.polls})`,
      value: `RSS ${w.lastThird.rssMiB} MiB, of it the young generation ${w.lastThird.youngMiB} MiB (RSS less young ${w.lastThird.rssLessYoungMiB} MiB); floor of heap used + external ${w.lastThird.heapExternalFloorMiB} MiB`,
      target: `bounded: heap+external floor < ${LAST_THIRD_BOUNDS.heapExternalFloorMiB} MiB, RSS less young < ${LAST_THIRD_BOUNDS.rssLessYoungMiB} MiB`,
      met: w.bounded,
    },
  ];
}

const wallOf = (w: EvacuationFigures['byN'][string]['wallMs'], s: StrategyName): string => {
  const x = w[s];
  return x === undefined || x.n === 0 ? '-' : `${fmtS(x.median, 1)} (${fmtS(x.min, 1)})`;
};

const median = (values: readonly number[]): number => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)];
};

/** Where the time went (medians over the trials that have a timeline): Nova's part and the tool's. */
function timelineRows(evacuation: EvacuationFigures, n: number): TableRow[] {
  const rows: TableRow[] = [];
  for (const strategy of ['forcedown', 'floor'] as const) {
    const trials = evacuation.trials.filter((t) => t.servers === n && t.strategy === strategy && t.timeline);
    if (trials.length === 0) continue;
    const of = (f: (t: NonNullable<(typeof trials)[number]['timeline']>) => number): string =>
      fmtS(median(trials.map((t) => f(t.timeline!))), 1);
    const cli =
      strategy === 'forcedown' ? `; whole CLI run ${fmtS(median(trials.map((t) => t.cliWallMs ?? NaN)), 1)}` : '';
    rows.push({
      figure: `Evacuate N = ${n}, ${strategy}: first send → last POST / last migration done in Nova / last confirmed (confirm lag)`,
      value: `${of((t) => t.lastPostMs)} / ${of((t) => t.lastDoneMs)} / ${of((t) => t.lastConfirmedMs)} (${of((t) => t.confirmLagMs)})${cli}`,
      target: '',
      met: null,
    });
  }
  return rows;
}

function evacuationRows(evacuation: EvacuationFigures): TableRow[] {
  const rows: TableRow[] = [];
  for (const [n, f] of Object.entries(evacuation.byN)) {
    const w = f.wallMs;
    const calls = (s: StrategyName): string => String(f.apiCallsPerServer[s] ?? '-');
    rows.push(
      {
        figure: `Evacuate N = ${n}: forcedown / floor / Masakari-like (3 workers) / one at a time, median (min) of ${w.forcedown?.n ?? 0}`,
        value: `${wallOf(w, 'forcedown')} / ${wallOf(w, 'floor')} / ${wallOf(w, 'masakari-like')} / ${wallOf(w, 'one-at-a-time')}`,
        target: '',
        met: null,
      },
      {
        figure: `Evacuate N = ${n}: forcedown ÷ Nova's floor (all sent at once, one os-migrations list per ${evacuation.floorPollIntervalMs ?? 500} ms)`,
        value: `${f.forcedownOverFloor}×`,
        target: '≤ 1.1×',
        met: Number.isFinite(f.forcedownOverFloor) ? f.forcedownOverFloor <= 1.1 : null,
      },
      {
        figure: `Evacuate N = ${n}: one at a time ÷ forcedown`,
        value: `${f.oneAtATimeOverForcedown}×`,
        target: n === '30' ? '≥ 1.8×' : '',
        met: n === '30' && Number.isFinite(f.oneAtATimeOverForcedown) ? f.oneAtATimeOverForcedown >= 1.8 : null,
      },
      {
        figure: `Evacuate N = ${n}: nova-api requests per server (access log, whole trial): forcedown / floor`,
        value: `${calls('forcedown')} / ${calls('floor')} (Masakari-like ${calls('masakari-like')}, one at a time ${calls('one-at-a-time')})`,
        target: 'fewer is better',
        met: null,
      },
      ...timelineRows(evacuation, Number(n)),
      {
        figure: `Failure notice → all ${n} evacuated (forcedown: fence + force-down + evacuation)`,
        value: `${fmtS(f.noticeToAllEvacuatedMs.median, 1)}${w['masakari-like'] ? `; Masakari waits 180 s before it starts: ≥ ${fmtS(180_000 + w['masakari-like'].median, 1)}` : ''}`,
        target: '',
        met: null,
      },
    );
  }
  for (const f of evacuation.failedTrials ?? [])
    rows.push({
      figure: `Evacuate N = ${f.servers}, ${f.strategy}, round ${f.round}`,
      value: `trial failed, not counted: ${f.error}`,
      target: '',
      met: null,
    });
  for (const s of evacuation.skipped ?? [])
    rows.push({
      figure: `Evacuate N = ${s.servers}`,
      value: `not run: room for ${s.room} on ${s.destinations} destination computes (${evacuation.perDestination} each); run with FORCEDOWN_TESTBED_COMPUTES ≥ ${Math.ceil(s.servers / evacuation.perDestination) + 1}`,
      target: '≤ 1.1× the floor',
      met: null,
    });
  return rows;
}

function sweepRows(sweep: SweepFigures): TableRow[] {
  if (sweep.levels.length === 0)
    return sweep.skipped.map((s) => ({
      figure: `Concurrency sweep, N = ${s.servers}`,
      value: `not run: room for ${s.room} on ${s.destinations} destination computes`,
      target: '',
      met: null,
    }));
  return [
    ...sweep.levels.map((l) => ({
      figure: `Concurrency sweep, N = ${sweep.servers}, concurrency ${l.concurrency} (median of ${l.wallMs.n})`,
      value: `${fmtS(l.wallMs.median, 1)} (min ${fmtS(l.wallMs.min, 1)}); failed first attempts ${l.failedFirstAttempts.median}, retries ${l.retries.median}; ${l.evacuated} evacuated, ${l.failed} failed; ${l.apiCallsPerServer} calls/server`,
      target: '',
      met: null,
    })),
    {
      figure: `Concurrency sweep: the knee (more in flight buys < 5 %)`,
      value: sweep.knee === null ? '-' : `concurrency ${sweep.knee}`,
      target: '',
      met: null,
    },
  ];
}

function alwaysOnRows(a: AlwaysOnFigures): TableRow[] {
  const refs = a.references.map((r) => `${r.tool} ${r.how}`).join('; ');
  const rows: TableRow[] = [];
  for (const [n, f] of Object.entries(a.byN)) {
    rows.push(
      {
        figure: `Always-on: hung host, ${n} servers, \`forcedown watch\` (interval ${a.settings.interval}, staleAfter ${a.settings.staleAfter}), from the last heartbeat (median of ${f.detectedS.n})`,
        value: `detected ${f.detectedS.median} s, fenced ${f.fencedS.median} s, Nova down ${f.downS.median} s, last server confirmed ${f.lastConfirmedS.median} s`,
        target: `before the others fence/act (${refs})`,
        met: f.fencedS.median < Math.min(...a.references.map((r) => r.seconds)),
      },
      {
        figure: `Always-on, ${n} servers: decision → Nova down, over the BMC's own power-off (fence step)`,
        value: `+${fmtMs(f.overBmcMs.median)} (max +${fmtMs(f.overBmcMs.max)})`,
        target: '≤ +0.3 s',
        met: f.overBmcMs.median <= 300,
      },
    );
  }
  return rows;
}

function coordinationRows(c: CoordinationFigures): TableRow[] {
  return [
    {
      figure: `Coordination cost: host-failure run, ${c.servers} servers, with \`--etcd\` (3 members) vs without (medians of ${c.with.totalMs.n})`,
      value: `+${fmtMs(c.addedBeforeFenceMs)} before the fence (${fmtMs(c.without.beforeFenceMs.median)} → ${fmtMs(c.with.beforeFenceMs.median)}), +${fmtS(c.addedTotalMs, 1)} in total (${fmtS(c.without.totalMs.median, 1)} → ${fmtS(c.with.totalMs.median, 1)})`,
      target: '',
      met: null,
    },
  ];
}

function takeoverRows(t: TakeoverFigures): TableRow[] {
  const s = t.settings;
  const twice = t.rounds.reduce((sum, r) => sum + r.evacuatedTwice, 0);
  const killedAt = t.rounds.map((r) => r.acceptedAtKill).join(', ');
  return [
    {
      figure: `Watcher takeover: kill -9 of the leader mid-evacuation (hung host, ${t.servers} servers; lease TTL ${s.leaseTtlS} s, interval ${s.intervalS} s, staleAfter ${s.staleAfterS} s), from the kill (median of ${t.electedS.n})`,
      value: `follower elected ${fmtS(t.electedS.median * 1000, 1)} (max ${fmtS(t.electedS.max * 1000, 1)}), run resumed ${fmtS(t.resumedS.median * 1000, 1)}, last server confirmed ${fmtS(t.lastServerS.median * 1000, 1)}`,
      target: `elected and resumed ≤ TTL + one poll = ${t.expectedS} s`,
      met: t.resumedS.median <= t.expectedS,
    },
    {
      figure: 'Watcher takeover: evacuations the killed run had accepted / servers evacuated twice',
      value: `${killedAt} accepted at the kill; ${twice} evacuated twice`,
      target: '0 twice',
      met: twice === 0,
    },
  ];
}
