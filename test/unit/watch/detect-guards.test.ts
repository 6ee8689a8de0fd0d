import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ComputeService } from '../../../src/openstack/openstack.interface.js';
import { CandidateTracker, agingAfterMs, isCandidate, novaTime, readServices } from '../../../src/watch/detect.js';
import { decide, probeTrip, settleTrip, type GuardSettings, type GuardState } from '../../../src/watch/guards.js';

const NOW = Date.parse('2026-01-10T12:00:00Z');
const STALE = { staleAfterMs: 30_000, heartbeatIntervalMs: 10_000 };

function svc(host: string, over: Partial<ComputeService> = {}): ComputeService {
  return {
    id: host,
    host,
    binary: 'nova-compute',
    zone: 'nova',
    status: 'enabled',
    state: 'up',
    forcedDown: false,
    disabledReason: null,
    updatedAt: '2026-01-10T11:59:58.000000',
    ...over,
  };
}

const settings: GuardSettings = {
  maxStaleFraction: 0.5,
  maxConcurrentRecoveries: 2,
  maxRecoveriesPerHour: 5,
  zoneLimits: {},
  aggregates: {},
  recoverAfterSamples: 2,
  settleAfterTripMs: 40_000,
};
const state: GuardState = { inFlight: [], startedAt: [], goodPollsSinceError: Number.POSITIVE_INFINITY, now: NOW };
const fleet = (n: number): ComputeService[] => Array.from({ length: n }, (_, i) => svc(`cmp${i + 1}`));

test('updated_at without a zone is UTC', () => {
  assert.is(novaTime('2026-01-10T11:59:58.000000'), NOW - 2000);
  assert.is(novaTime(null), undefined);
});

test('stale is measured on the given Nova time, down counts, forced-down is no candidate', () => {
  const poll = readServices(
    [
      svc('a'),
      svc('b', { updatedAt: '2026-01-10T11:59:00' }),
      svc('c', { state: 'down' }),
      svc('d', { state: 'down', forcedDown: true }),
      svc('vm', { binary: 'nova-conductor', state: 'down' }),
    ],
    NOW,
    STALE,
  );
  assert.equal(
    poll.computes.map((c) => [c.host, c.reason ?? 'ok', isCandidate(c)]),
    [
      ['a', 'ok', false],
      ['b', 'stale', true],
      ['c', 'down', true],
      ['d', 'down', false],
    ],
  );
  assert.equal(poll.controlPlaneDown, ['nova-conductor@vm']);
  // the same answer read with Nova's clock 60 s behind ours: nothing is stale
  assert.is(
    readServices([svc('b', { updatedAt: '2026-01-10T11:59:00' })], NOW - 60_000, STALE).computes[0].stale,
    false,
  );
  // Nova's clock unknown: only `down` counts
  assert.is(readServices([svc('b', { updatedAt: '2026-01-10T11:00:00' })], undefined, STALE).computes[0].stale, false);
});

test('a candidate is confirmed after confirmSamples consecutive polls; a gap starts again', () => {
  const t = new CandidateTracker(2);
  assert.equal(t.observe(['a'], 1)[0], { host: 'a', samples: 1, confirmed: false, firstStaleAt: 1 });
  assert.equal(t.observe(['a'], 2)[0], { host: 'a', samples: 2, confirmed: true, firstStaleAt: 1 });
  assert.equal(t.observe([], 3), []);
  assert.is(t.observe(['a'], 4)[0].confirmed, false);
});

test('guards: a lone failed host is acted on', () => {
  const services = fleet(4).map((s, i) => (i === 0 ? { ...s, state: 'down' as const } : s));
  const d = decide(readServices(services, NOW, STALE), ['cmp1'], settings, state);
  assert.equal(d, { act: ['cmp1'], trips: [] });
});

test('breaker: at least maxStaleFraction stale at once acts on none', () => {
  const services = fleet(4).map((s, i) => (i < 2 ? { ...s, state: 'down' as const } : s));
  const d = decide(readServices(services, NOW, STALE), ['cmp1', 'cmp2'], settings, state);
  assert.equal(d.act, []);
  assert.equal(
    d.trips.map((t) => t.reason),
    ['stale-fraction'],
  );
});

test('breaker: conductor or scheduler down acts on none', () => {
  const services = [
    ...fleet(4).map((s, i) => (i === 0 ? { ...s, state: 'down' as const } : s)),
    svc('vm', { binary: 'nova-scheduler', state: 'down' }),
  ];
  const d = decide(readServices(services, NOW, STALE), ['cmp1'], settings, state);
  assert.equal(d.act, []);
  assert.equal(
    d.trips.map((t) => t.reason),
    ['control-plane-down'],
  );
});

test('self-check: after own API errors, no action until recoverAfterSamples good polls', () => {
  const services = fleet(4).map((s, i) => (i === 0 ? { ...s, state: 'down' as const } : s));
  const poll = readServices(services, NOW, STALE);
  assert.equal(decide(poll, ['cmp1'], settings, { ...state, goodPollsSinceError: 1 }).trips[0].reason, 'self-check');
  assert.equal(decide(poll, ['cmp1'], settings, { ...state, goodPollsSinceError: 2 }).act, ['cmp1']);
});

test('caps: concurrency, hourly, zone and aggregate limits', () => {
  const services = fleet(10).map((s, i) => ({
    ...s,
    zone: i < 5 ? 'az1' : 'az2',
    state: i < 3 ? ('down' as const) : s.state,
  }));
  const poll = readServices(services, NOW, STALE);
  const three = ['cmp1', 'cmp2', 'cmp3'];
  const conc = decide(poll, three, settings, state);
  assert.equal(conc.act, ['cmp1', 'cmp2']);
  assert.equal(conc.trips[0], { reason: 'max-concurrent', host: 'cmp3', message: conc.trips[0].message });
  const hourly = decide(poll, three, settings, {
    ...state,
    startedAt: [NOW - 1000, NOW - 2000, NOW - 3000, NOW - 4000],
  });
  assert.equal(hourly.act, ['cmp1']);
  assert.is(hourly.trips[0].reason, 'max-per-hour');
  // starts older than an hour do not count
  assert.equal(decide(poll, ['cmp1'], settings, { ...state, startedAt: Array(5).fill(NOW - 3_700_000) }).act, ['cmp1']);
  const zoned = decide(poll, three, { ...settings, maxConcurrentRecoveries: 5, zoneLimits: { az1: 1 } }, state);
  assert.equal(zoned.act, ['cmp1']);
  assert.equal(
    zoned.trips.map((t) => t.reason),
    ['zone-limit', 'zone-limit'],
  );
  const agg = decide(
    poll,
    three,
    { ...settings, maxConcurrentRecoveries: 5, aggregates: { rack1: { hosts: ['cmp2', 'cmp3'], maxConcurrent: 1 } } },
    { ...state, inFlight: ['cmp3'] },
  );
  assert.equal(agg.act, ['cmp1']);
  assert.equal(agg.trips[0].reason, 'aggregate-limit');
});

test('disabled hosts are left alone unless the reason matches; markers of other runs hold a host', () => {
  const services = [
    ...fleet(8),
    svc('m1', { state: 'down', status: 'disabled', disabledReason: 'maintenance CHG-1' }),
    svc('m2', { state: 'down', status: 'disabled', disabledReason: 'auto: heartbeat lost' }),
    svc('h1', { state: 'down', disabledReason: 'x [forcedown:20260110T115900Z-host-failure-abc123]' }),
  ];
  const poll = readServices(services, NOW, STALE);
  const d = decide(
    poll,
    ['m1', 'm2', 'h1', 'ghost'],
    { ...settings, maxConcurrentRecoveries: 9, disabledReasonPattern: /^auto:/ },
    state,
  );
  assert.equal(d.act, ['m2']);
  assert.equal(
    d.trips.map((t) => [t.host, t.reason]),
    [
      ['ghost', 'unknown-host'],
      ['h1', 'held-by-other-run'],
      ['m1', 'disabled'],
    ],
  );
});

test('aging: a heartbeat older than staleAfter - heartbeatInterval - 1 s missed one', () => {
  assert.is(agingAfterMs(STALE), 19_000);
  assert.is(agingAfterMs({ staleAfterMs: 30_000, heartbeatIntervalMs: 0 }), 30_000);
  const at = (s: number): string => new Date(NOW - s * 1000).toISOString().slice(0, 19);
  const poll = readServices(
    [svc('a', { updatedAt: at(11) }), svc('b', { updatedAt: at(20) }), svc('c', { updatedAt: at(31) })],
    NOW,
    STALE,
  );
  assert.equal(
    poll.computes.map((c) => [c.host, c.aging, c.stale]),
    [
      ['a', false, false],
      ['b', true, false],
      ['c', true, true],
    ],
  );
});

test('breaker: the oldest of heartbeats that stopped together is never stale alone to it', () => {
  // the conductor stopped: last heartbeats 9 and 1 s apart; the oldest just went stale
  const at = (s: number): string => new Date(NOW - s * 1000).toISOString().slice(0, 19);
  const services = [svc('cmp1', { updatedAt: at(31) }), svc('cmp2', { updatedAt: at(22) }), svc('cmp3')];
  const d = decide(readServices(services, NOW, STALE), ['cmp1'], settings, state);
  assert.equal(d.act, []);
  assert.match(d.trips[0]?.message ?? '', /2 of 3 enabled computes look stale or missed a heartbeat at once \(1 stale/);
  // healthy others (fresh heartbeats): the lone stale host is acted on
  const lone = [svc('cmp1', { updatedAt: at(31) }), svc('cmp2', { updatedAt: at(11) }), svc('cmp3')];
  assert.equal(decide(readServices(lone, NOW, STALE), ['cmp1'], settings, state).act, ['cmp1']);
});

test('hold: after a breaker trip, no host until the breakers have been clear for settleAfterTrip', () => {
  const services = fleet(4).map((s, i) => (i === 0 ? { ...s, state: 'down' as const } : s));
  const poll = readServices(services, NOW, STALE);
  const held = decide(poll, ['cmp1'], settings, { ...state, lastBreakerTripAt: NOW - 39_999 });
  assert.equal(held.act, []);
  assert.equal(
    held.trips.map((t) => t.reason),
    ['settle-after-trip'],
  );
  assert.equal(decide(poll, ['cmp1'], settings, { ...state, lastBreakerTripAt: NOW - 40_000 }).act, ['cmp1']);
  assert.is(settleTrip(settings, state), undefined);
});

test('probe veto: a host that answers is not fenced', () => {
  assert.is(probeTrip('a', 'answers')?.reason, 'probe-veto');
  assert.is(probeTrip('a', 'silent'), undefined);
  assert.is(probeTrip('a', 'not-configured'), undefined);
});

test.run();
