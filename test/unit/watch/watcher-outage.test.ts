/**
 * Issue 18's safety bug, replayed on a scripted Nova clock: when nova-conductor stops, every
 * compute's heartbeat stops, staggered by up to report_interval; the oldest goes stale alone first.
 * The watcher must fence no host then, nor when the heartbeats resume staggered, and must still
 * fence a lone dead compute of a healthy region as fast as before.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ComputeApi, ComputeService } from '../../../src/openstack/openstack.interface.js';
import type { RunOutcome } from '../../../src/runner/index.js';
import type { GuardSettings } from '../../../src/watch/guards.js';
import type { RecoveryLauncher } from '../../../src/watch/recoveries.js';
import { Watcher, type CycleReport } from '../../../src/watch/watcher.js';

const REPORT_INTERVAL = 10_000;
const SERVICE_DOWN_TIME = 60_000;
const POLL = 2000;
const T0 = Date.parse('2026-01-10T12:00:00Z');

/** One nova-compute (or the conductor): heartbeats at `phase + k x report_interval` while it can. */
interface Beat {
  readonly host: string;
  readonly binary: string;
  readonly phase: number;
  /** Heartbeats fail in [from, to) (local ms), e.g. while the conductor is gone. */
  readonly silent: readonly { from: number; to: number }[];
}

function lastHeartbeat(beat: Beat, now: number): number {
  let t = beat.phase + Math.floor((now - beat.phase) / REPORT_INTERVAL) * REPORT_INTERVAL;
  while (beat.silent.some((s) => t >= s.from && t < s.to)) t -= REPORT_INTERVAL;
  return t;
}

/** Nova's updated_at: whole seconds, no zone (as the testbed's Zed answers). */
const novaText = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19) + '.000000';

/** A scripted os-services on a clock the test moves; fences mark a host forced down. */
function scriptedNova(beats: readonly Beat[], clock: { now: number }) {
  const forcedDown = new Set<string>();
  const services = (): ComputeService[] =>
    beats.map((b) => {
      const heartbeat = lastHeartbeat(b, clock.now);
      const down = forcedDown.has(b.host) || clock.now - heartbeat > SERVICE_DOWN_TIME;
      return {
        id: b.host,
        host: b.host,
        binary: b.binary,
        zone: b.binary === 'nova-compute' ? 'nova' : 'internal',
        status: 'enabled',
        state: down ? 'down' : 'up',
        forcedDown: forcedDown.has(b.host),
        disabledReason: null,
        updatedAt: novaText(heartbeat),
      };
    });
  // the Date header has whole seconds: the earliest Nova time of `local`
  const compute = {
    listServices: () => Promise.resolve(services()),
    clock: { earliest: (local: number) => Math.floor(local / 1000) * 1000, latest: (local: number) => local + 1000 },
  } as unknown as ComputeApi;
  return { compute, forcedDown };
}

const guards: GuardSettings = {
  maxStaleFraction: 0.5,
  maxConcurrentRecoveries: 2,
  maxRecoveriesPerHour: 5,
  zoneLimits: {},
  aggregates: {},
  recoverAfterSamples: 3,
  settleAfterTripMs: 40_000,
};

/** Runs the watcher every POLL from `from` to `to` (local ms); returns the fences and every report. */
async function replay(beats: readonly Beat[], from: number, to: number, alerted: readonly string[] = []) {
  const clock = { now: from };
  const nova = scriptedNova(beats, clock);
  const fenced: { host: string; at: number }[] = [];
  const outcome = {
    runId: 'r',
    exitCode: 0,
    summary: { status: 'succeeded' },
    journalPath: '',
  } as unknown as RunOutcome;
  const launcher: RecoveryLauncher = {
    start: (host) => {
      fenced.push({ host, at: clock.now });
      nova.forcedDown.add(host);
      return Promise.resolve(outcome);
    },
    resume: () => Promise.resolve(outcome),
    unfinished: () => Promise.resolve([]),
  };
  const watcher = new Watcher({
    settings: {
      intervalMs: POLL,
      staleAfterMs: 30_000,
      heartbeatIntervalMs: REPORT_INTERVAL,
      confirmSamples: 2,
      mode: 'act',
      guards,
    },
    compute: () => Promise.resolve(nova.compute),
    launcher,
    alerts: {
      firing: () => alerted.map((host) => ({ host, fingerprint: host, startsAt: new Date(from).toISOString() })),
      close: () => Promise.resolve(),
    },
    log: () => undefined,
    now: () => clock.now,
  });
  const reports: { at: number; report: CycleReport }[] = [];
  for (; clock.now <= to; clock.now += POLL) {
    reports.push({ at: clock.now, report: await watcher.cycle() });
    await watcher.settle();
  }
  return { fenced, reports };
}

const tripped = (reports: readonly { report: CycleReport }[], reason: string): number =>
  reports.filter((r) => r.report.trips.some((t) => t.reason === reason)).length;

// the conductor dies at T0: the computes' last heartbeats are T0-9.5 s, T0-1.5 s and T0-0.5 s, so
// fake1 is stale 8 s before the others (4 polls, twice confirmSamples)
const phases: Record<string, number> = { fake1: 500, fake2: 8500, fake3: 9500 };
const computes = (silent: (host: string) => Beat['silent']): Beat[] =>
  Object.entries(phases).map(([host, phase]) => ({ host, binary: 'nova-compute', phase, silent: silent(host) }));
const conductor = (silent: Beat['silent']): Beat => ({ host: 'ctl', binary: 'nova-conductor', phase: 0, silent });

test('nova-conductor stops: heartbeats stop 8 s apart, the breaker trips, no host is fenced', async () => {
  const outage = [{ from: T0, to: T0 + 10 * 60_000 }];
  const beats = [...computes(() => outage), conductor(outage)];
  const { fenced, reports } = await replay(beats, T0 - 20_000, T0 + 120_000);
  assert.equal(fenced, []);
  // the stale-fraction trip comes while fake1 alone is stale (before control-plane-down, 60 s)
  const firstStale = reports.find((r) => r.report.candidates.length > 0);
  assert.ok(firstStale, 'fake1 went stale');
  assert.equal(
    firstStale.report.candidates.map((c) => c.host),
    ['fake1'],
  );
  assert.ok(firstStale.report.trips.some((t) => t.reason === 'stale-fraction'));
  assert.ok(tripped(reports, 'control-plane-down') > 0);
  assert.is(
    reports.some((r) => r.report.candidates.some((c) => c.confirmed)),
    false,
    'no candidate is confirmed while a breaker trips',
  );
});

test('nova-conductor returns: heartbeats resume 8 s apart, the last one is not fenced', async () => {
  // down from T0 - 60 s (every compute stale, control plane down); back at T0 + 9 s: fake3 beats
  // at +9.5 s, fake1 at +10.5 s, fake2 only at +18.5 s (stale alone for 8 s)
  const outage = [{ from: T0 - 60_000, to: T0 + 9000 }];
  const beats = [...computes(() => outage), conductor(outage)];
  const { fenced, reports } = await replay(beats, T0 - 10_000, T0 + 120_000);
  assert.equal(fenced, []);
  const alone = reports.filter(
    (r) => r.at > T0 + 11_000 && r.report.candidates.length === 1 && r.report.candidates[0]?.host === 'fake2',
  );
  assert.ok(alone.length >= 2, 'fake2 was stale alone for confirmSamples polls');
  assert.ok(tripped(alone, 'settle-after-trip') > 0, 'the hold after the trip kept it');
});

test('one compute really dead in a healthy region: fenced as soon as confirmed, no added delay', async () => {
  // fake1's last heartbeat is T0 + 0.5 s; staleAfter 30 s, confirmSamples 2 at 2 s polls
  const beats = [...computes((h) => (h === 'fake1' ? [{ from: T0 + 1000, to: T0 + 600_000 }] : [])), conductor([])];
  const { fenced, reports } = await replay(beats, T0 - 20_000, T0 + 60_000);
  assert.equal(
    fenced.map((f) => f.host),
    ['fake1'],
  );
  const firstStale = reports.find((r) => r.report.candidates.length > 0);
  assert.ok(firstStale);
  assert.is(fenced[0]?.at, firstStale.at + POLL, 'fenced at the confirming poll');
  assert.is(tripped(reports, 'stale-fraction') + tripped(reports, 'settle-after-trip'), 0);
});

test('a firing alert for a compute that still heartbeats: never fenced', async () => {
  const beats = [...computes(() => []), conductor([])];
  const { fenced, reports } = await replay(beats, T0, T0 + 120_000, ['fake1']);
  assert.equal(fenced, []);
  assert.is(
    reports.some((r) => r.report.candidates.length > 0),
    false,
  );
});

test('a firing alert for a compute whose heartbeat stopped: fenced once aging, before staleAfter', async () => {
  // fake1's last heartbeat is T0 + 0.5 s: aging after 19 s (staleAfter 30 - interval 10 - 1), stale after 30 s
  const beats = [...computes((h) => (h === 'fake1' ? [{ from: T0 + 1000, to: T0 + 600_000 }] : [])), conductor([])];
  const { fenced } = await replay(beats, T0 - 20_000, T0 + 60_000, ['fake1']);
  assert.equal(
    fenced.map((f) => f.host),
    ['fake1'],
  );
  const at = (fenced[0]?.at ?? NaN) - (T0 + 500);
  assert.ok(at > 19_000, `not before Nova saw a missed heartbeat (fenced ${at} ms after it)`);
  assert.ok(at < 30_000, `sooner than staleAfter alone (fenced ${at} ms after the last heartbeat)`);
});

test.run();
