import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evacuate, untilNextPoll } from '../../../src/hostops/evacuation/engine.js';
import { classifyServers } from '../../../src/hostops/evacuation/plan.js';
import { EvacuationState } from '../../../src/hostops/evacuation/state.js';
import type { EvacuationPorts, EvacuationSettings } from '../../../src/hostops/evacuation/types.js';
import { cleanup, runRunbook } from '../../support/run-harness.js';
import { startSimulatedCloud, type SimulatedCloud } from '../../support/simulated-cloud.js';

/**
 * Issue 15: one os-migrations list per poll interval, counted from the previous list's start, so
 * that confirming servers (a read, the hold check, an unlock, journal lines) does not push the
 * next list back. On the testbed the old "sleep the interval after the work" added ~0.5 s per
 * poll when completions were spread over several polls.
 */
const test = suite('evacuation poll cadence');
let cloud: SimulatedCloud | undefined;
test.after.each(async () => {
  await cloud?.close();
  cloud = undefined;
});

test('untilNextPoll: the interval from the previous list, never more, never negative', () => {
  assert.is(untilNextPoll(500, undefined, 10_000), 500, 'the first poll waits the whole interval');
  assert.is(untilNextPoll(500, 10_000, 10_000), 500);
  assert.is(untilNextPoll(500, 10_000, 10_200), 300, 'the work since the last list counts');
  assert.is(untilNextPoll(500, 10_000, 10_500), 0);
  assert.is(untilNextPoll(500, 10_000, 11_700), 0, 'work longer than the interval: at once, not negative');
  assert.is(untilNextPoll(500, 10_000, 9_000), 500, 'a clock step back never waits longer than the interval');
});

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

test('confirmations do not push the next os-migrations list back (API 100 ms per answer)', async () => {
  // every answer takes 100 ms: a confirming poll costs list + read + hold check + unlock ≈ 400 ms
  cloud = await startSimulatedCloud({ latencyMs: 100, rebuildDelayMs: { min: 200, max: 2500 } });
  const d = cloud.double;
  d.addServers(8, { host: 'fake1' });
  const run = await runRunbook(
    {
      name: 'cadence',
      steps: [
        { id: 'fence', type: 'fence', host: 'fake1' },
        { id: 'down', type: 'force-down', host: 'fake1' },
        { id: 'evacuate', type: 'evacuate', host: 'fake1', pollInterval: '300ms' },
      ],
    },
    { services: cloud.services() },
  );
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  // the lists of the evacuate step (the step's own one before its sends has no changes-since)
  const calls = d.log.filter((c) => c.route === 'GET /v2.1/os-migrations' || c.route === 'GET /v2.1/servers/{id}');
  const gaps: number[] = [];
  let previous: { at: number; confirmed: boolean } | undefined;
  for (const call of calls) {
    if (call.route === 'GET /v2.1/servers/{id}') {
      if (previous) previous.confirmed = true;
      continue;
    }
    if (!call.path.includes('changes-since')) continue;
    if (previous?.confirmed) gaps.push(call.arrivedAt - previous.at);
    previous = { at: call.arrivedAt, confirmed: false };
  }
  assert.ok(gaps.length >= 2, `completions spread over several polls (${gaps.length} confirming polls)`);
  // the old loop slept 300 ms after ≥ 400 ms of work: every such gap was ≥ 700 ms (seen: 749-801)
  assert.ok(median(gaps) < 620, `list after a confirming poll: median gap ${median(gaps)} ms (${gaps.join(', ')})`);
  await cleanup(run);
});

const settings: EvacuationSettings = {
  host: 'fake1',
  concurrency: 2,
  serverTimeoutMs: 60_000,
  pollIntervalMs: 100,
  retries: 1,
  lockServers: true,
  runId: 'cadence-test',
};

test('a refill reads the servers it will lock together with the confirmations, before their unlocks', async () => {
  cloud = await startSimulatedCloud({ latencyMs: 20, rebuildDelayMs: { min: 100, max: 400 } });
  const d = cloud.double;
  const ids = d.addServers(6, { host: 'fake1' });
  d.killCompute('fake1', { now: true });
  d.setForcedDown('fake1', true);
  const client = await cloud.services().openstack();
  const controller = new AbortController();
  const listed = await client.compute.listServersOnHost('fake1');
  const classified = await classifyServers(
    listed,
    { id: 'e', type: 'evacuate', host: 'fake1' },
    client,
    controller.signal,
  );
  let holdChecks = 0;
  const ports: EvacuationPorts = {
    compute: client.compute,
    journal: { facts: [], record: async () => undefined },
    signal: controller.signal,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    output: () => undefined,
    beforeWrite: async () => {
      holdChecks += 1;
    },
  };
  d.resetCalls();
  // a listing a minute old: every server is read again before it is locked
  const outcome = await evacuate(settings, ports, { classified, listed, listedAt: Date.now() - 60_000 });
  assert.equal(
    [...outcome.results.values()].map((r) => r.result),
    ids.map(() => 'evacuated'),
  );
  const log = d.log.map((c) => ({ route: c.route, id: c.path.split('/')[3]?.split('?')[0] }));
  const firstLock = (id: string): number =>
    log.findIndex((c) => c.route === 'POST /v2.1/servers/{id}/action:lock' && c.id === id);
  const refilled = ids.filter(
    (id) => log.findIndex((c) => c.route === 'POST /v2.1/servers/{id}/action:unlock') < firstLock(id),
  );
  assert.ok(refilled.length >= 3, `servers sent in refills: ${refilled.length}`);
  for (const id of refilled) {
    const lock = firstLock(id);
    const lastUnlockBefore = log
      .slice(0, lock)
      .findLastIndex((c) => c.route === 'POST /v2.1/servers/{id}/action:unlock');
    const readBefore = log.slice(0, lock).findLastIndex((c) => c.route === 'GET /v2.1/servers/{id}' && c.id === id);
    assert.ok(readBefore >= 0, `${id} read before its lock`);
    assert.ok(
      readBefore < lastUnlockBefore,
      `${id} was read with the confirmations, before the unlock that freed its slot`,
    );
  }
  assert.ok(
    d.callCount('GET /v2.1/servers/{id}') <= 2 * ids.length,
    `no more reads than before: one to lock, one to confirm (${d.callCount('GET /v2.1/servers/{id}')})`,
  );
  assert.ok(holdChecks > 0);
});

test('the writes of one batch all wait for its one hold check, and fail with it', async () => {
  let release: (() => void) | undefined;
  let fail: ((error: Error) => void) | undefined;
  let checks = 0;
  const state = new EvacuationState(settings, {
    beforeWrite: () => {
      checks += 1;
      return new Promise<void>((resolve, reject) => {
        release = resolve;
        fail = reject;
      });
    },
  } as unknown as EvacuationPorts);
  let passed = 0;
  const writes = [state.beforeWrite(), state.beforeWrite(), state.beforeWrite()].map((p) =>
    p.then(() => (passed += 1)),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(checks, 1, 'one check per batch');
  assert.is(passed, 0, 'no write goes out before the check answered');
  release?.();
  await Promise.all(writes);
  assert.is(passed, 3);
  state.startBatch();
  const next = [state.beforeWrite(), state.beforeWrite()];
  assert.is(checks, 2, 'a new batch checks again');
  const outcomes = Promise.allSettled(next);
  fail?.(new Error('HOLD_LOST'));
  for (const outcome of await outcomes) {
    assert.is(outcome.status, 'rejected', 'a write of a batch whose check failed does not go out');
    assert.match(String((outcome as PromiseRejectedResult).reason), 'HOLD_LOST');
  }
});

test.run();
