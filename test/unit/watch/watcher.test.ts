import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTripNotifier } from '../../../src/watch/trip-notifier.js';
import { receiver } from './webhook-receiver.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { loadRunbook } from '../../../src/runbook/index.js';
import { listRuns } from '../../../src/runner/index.js';
import { catalog } from '../../../src/steps/catalog.js';
import type { GuardSettings } from '../../../src/watch/guards.js';
import { WatchMetrics } from '../../../src/watch/metrics.js';
import { RunnerRecoveries, WatchedRuns } from '../../../src/watch/recoveries.js';
import type { ComputeApi } from '../../../src/openstack/openstack.interface.js';
import { Watcher, type LogRecord, type WatcherOptions, type WatchSettings } from '../../../src/watch/watcher.js';
import { startSimulatedCloud, type SimulatedCloud } from '../../support/simulated-cloud.js';

const guards: GuardSettings = {
  maxStaleFraction: 0.5,
  maxConcurrentRecoveries: 2,
  maxRecoveriesPerHour: 5,
  zoneLimits: {},
  aggregates: {},
  recoverAfterSamples: 1,
  settleAfterTripMs: 40_000,
};

/** The watcher's settings in these tests (a 50 ms interval, act mode, 2 samples), `over` on top. */
function settings(over: Partial<WatchSettings> = {}): WatchSettings {
  return {
    intervalMs: 50,
    staleAfterMs: 30_000,
    heartbeatIntervalMs: 10_000,
    confirmSamples: 2,
    mode: 'act',
    guards,
    ...over,
  };
}

async function setup(computes = ['fake1', 'fake2', 'fake3', 'fake4']) {
  const cloud = await startSimulatedCloud({ computes });
  const stateDir = await mkdtemp(join(tmpdir(), 'fd-watch-'));
  const services = cloud.services();
  const loaded = await loadRunbook('runbooks/host-failure.json', process.cwd());
  const recoveries = (): RunnerRecoveries =>
    new RunnerRecoveries({ loaded, vars: {}, catalog, exitCodes: exitCodeFor, services, stateDir, env: {} });
  const logs: LogRecord[] = [];
  const watcher = (over: Partial<WatcherOptions> = {}): Watcher =>
    new Watcher({
      settings: settings(),
      compute: async () => (await services.openstack()).compute,
      launcher: recoveries(),
      power: (h) => services.power(h),
      log: (r) => logs.push(r),
      ...over,
    });
  const done = async (): Promise<void> => {
    await cloud.close();
    await rm(stateDir, { recursive: true, force: true });
  };
  return { cloud, stateDir, watcher, recoveries, logs, done };
}

function evacuatedOff(cloud: SimulatedCloud, ids: readonly string[], host: string): boolean {
  return ids.every((id) => {
    const s = cloud.double.server(id);
    return s !== undefined && s.host !== host && s.host !== null;
  });
}

test('a dead compute is confirmed over two polls and recovered by an ordinary run', async () => {
  const t = await setup();
  try {
    const ids = t.cloud.double.addServers(3, { host: 'fake1' });
    const w = t.watcher();
    assert.equal((await w.cycle()).candidates, []);
    t.cloud.double.killCompute('fake1', { now: true });
    const first = await w.cycle();
    assert.equal(
      first.candidates.map((c) => [c.host, c.samples, c.confirmed]),
      [['fake1', 1, false]],
    );
    assert.equal(first.recover, []);
    const second = await w.cycle();
    assert.equal(second.recover, ['fake1']);
    assert.ok(second.acted);
    await w.settle();
    assert.ok(t.cloud.double.service('fake1')?.forcedDown);
    assert.is(t.cloud.bmcs.get('fake1')?.state, 'off');
    assert.ok(evacuatedOff(t.cloud, ids, 'fake1'));
    assert.is(t.cloud.double.doubleEvacuations, 0);
    const runs = await listRuns(t.stateDir);
    assert.is(runs.length, 1);
    assert.equal(
      (await new WatchedRuns(t.stateDir).all()).map((r) => [r.host, r.finished, r.status]),
      [['fake1', true, 'succeeded']],
    );
    // forced down now: no longer a candidate, nothing more started
    assert.equal((await w.cycle()).recover, []);
  } finally {
    await t.done();
  }
});

test('observe mode and dry run detect and report, acting on nothing', async () => {
  const t = await setup();
  try {
    t.cloud.double.killCompute('fake2', { now: true });
    for (const w of [
      t.watcher({ settings: settings({ confirmSamples: 1, mode: 'observe' }) }),
      t.watcher({
        dryRun: true,
        settings: settings({ confirmSamples: 1 }),
      }),
    ]) {
      const report = await w.cycle();
      assert.equal(report.recover, ['fake2']);
      assert.is(report.acted, false);
      await w.settle();
    }
    assert.is(t.cloud.double.service('fake2')?.forcedDown, false);
    assert.is(t.cloud.bmcs.get('fake2')?.calls.includes('off'), false);
    assert.is((await listRuns(t.stateDir)).length, 0);
    assert.ok(t.logs.some((l) => l.msg.includes('would recover fake2')));
  } finally {
    await t.done();
  }
});

test('half the computes dead at once: the breaker trips, nothing is fenced', async () => {
  const t = await setup();
  try {
    t.cloud.double.killCompute('fake1', { now: true });
    t.cloud.double.killCompute('fake2', { now: true });
    const w = t.watcher({ settings: settings({ confirmSamples: 1 }) });
    const report = await w.cycle();
    assert.equal(report.recover, []);
    assert.equal(
      report.trips.map((x) => x.reason),
      ['stale-fraction'],
    );
    for (const host of ['fake1', 'fake2']) assert.equal(t.cloud.bmcs.get(host)?.calls.includes('off'), false);
  } finally {
    await t.done();
  }
});

test('probe veto: the host answers, so the watcher notifies and does not fence', async () => {
  const t = await setup();
  const hook = await receiver();
  const notifier = createTripNotifier({ url: hook.url, log: (r) => t.logs.push(r) });
  try {
    t.cloud.double.killCompute('fake3', { now: true });
    const w = t.watcher({
      settings: settings({ confirmSamples: 1 }),
      probe: { probe: async () => 'answers' },
      notifier,
    });
    const report = await w.cycle();
    assert.equal(report.recover, []);
    assert.is(report.trips[0]?.reason, 'probe-veto');
    assert.is(t.cloud.bmcs.get('fake3')?.calls.includes('off'), false);
    assert.ok(t.logs.some((l) => l.guard === 'probe-veto' && l.host === 'fake3'));
    // and the webhook says why
    await notifier.settle();
    assert.is(hook.received.length, 1);
    assert.is(hook.received[0]?.body.reason, 'probe-veto');
    assert.is(hook.received[0]?.body.host, 'fake3');
    assert.match(String(hook.received[0]?.body.message), /fake3/);
  } finally {
    await hook.close();
    await t.done();
  }
});

test('a failed poll arms the self-check: no action until recoverAfterSamples good polls', async () => {
  const t = await setup();
  try {
    t.cloud.double.killCompute('fake1', { now: true });
    const w = t.watcher({
      settings: settings({
        confirmSamples: 1,
        mode: 'observe',
        guards: { ...guards, recoverAfterSamples: 2, settleAfterTripMs: 0 }, // the hold: detect-guards.test.ts
      }),
    });
    t.cloud.double.failNext({ status: 503, times: 10, route: 'GET /v2.1/os-services' });
    assert.is((await w.cycle()).ok, false);
    t.cloud.double.clearFailures();
    assert.is((await w.cycle()).trips[0]?.reason, 'self-check');
    assert.equal((await w.cycle()).recover, ['fake1']);
  } finally {
    await t.done();
  }
});

test('an alert alone never makes a heartbeating compute a candidate', async () => {
  const t = await setup();
  try {
    const alerts = {
      firing: () => [{ host: 'fake4', fingerprint: 'f1', startsAt: new Date().toISOString() }],
      close: async () => undefined,
    };
    const w = t.watcher({
      alerts,
      mode: undefined,
      settings: settings({ mode: 'observe' }),
    } as Partial<WatcherOptions>);
    // fake4 heartbeats on the double: the alert (a wrong rule, a leaked token) fences nothing
    for (let i = 0; i < 3; i++) {
      const report = await w.cycle();
      assert.equal(report.recover, []);
      assert.equal(report.candidates, []);
    }
  } finally {
    await t.done();
  }
});

test('after a stop mid-evacuation, a new watcher resumes the run instead of starting another', async () => {
  const t = await setup();
  try {
    const ids = t.cloud.double.addServers(6, { host: 'fake1' });
    t.cloud.double.configure({ rebuildDelayMs: 300 });
    t.cloud.double.killCompute('fake1', { now: true });
    const w = t.watcher({ settings: settings({ confirmSamples: 1 }) });
    assert.equal((await w.cycle()).recover, ['fake1']);
    // stop once the host is forced down (the safe point), while servers are still evacuating
    while (!t.cloud.double.service('fake1')?.forcedDown) await new Promise((r) => setTimeout(r, 10));
    await w.stop();
    const [open] = await t.recoveries().unfinished();
    assert.is(open?.host, 'fake1');
    t.cloud.double.configure({ rebuildDelayMs: 20 });
    const again = t.watcher();
    assert.equal(
      (await again.resumeUnfinished()).map((r) => r.runId),
      [open.runId],
    );
    await again.settle();
    assert.ok(evacuatedOff(t.cloud, ids, 'fake1'));
    assert.is(t.cloud.double.doubleEvacuations, 0);
    assert.is((await listRuns(t.stateDir)).length, 1);
    assert.equal(await t.recoveries().unfinished(), []);
  } finally {
    await t.done();
  }
});

/** The compute API with Nova's clock on real time, so a test can move the watcher's own clock. */
async function onRealNovaClock(services: ReturnType<SimulatedCloud['services']>): Promise<ComputeApi> {
  const compute = (await services.openstack()).compute;
  const clock = { earliest: () => Date.now(), latest: () => Date.now() + 1000 };
  return new Proxy(compute, {
    get: (target, prop) => {
      if (prop === 'clock') return clock;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const cooldownSettings = settings({ confirmSamples: 1, failedCooldownMs: 600_000 });

test('a failed fence holds the host back for recovery.failedCooldown, then it is tried again', async () => {
  const t = await setup();
  const start = Date.now();
  let clock = start;
  try {
    const services = t.cloud.services();
    t.cloud.double.killCompute('fake1', { now: true });
    const bmc = t.cloud.bmcs.get('fake1')!;
    bmc.wrongPassword = true;
    const metrics = new WatchMetrics();
    const coolingDown = async (): Promise<number | undefined> =>
      (await metrics.registry.getSingleMetric('forcedown_watch_hosts_cooling_down')?.get())?.values[0]?.value;
    const w = t.watcher({
      settings: cooldownSettings,
      now: () => clock,
      compute: () => onRealNovaClock(services),
      observer: metrics,
    });
    assert.equal((await w.cycle()).recover, ['fake1']);
    await w.settle();
    const failed = w.finishedRuns[0];
    assert.is.not(failed.status, 'succeeded');
    assert.ok(failed.runId);
    const offs = (): number => bmc.calls.filter((c) => c === 'off').length;
    const tried = offs();
    // inside the cooldown: no second run, logged once, reported at every poll
    for (const minutes of [0.1, 1, 5, 9.9]) {
      clock = start + minutes * 60_000;
      const report = await w.cycle();
      assert.equal(report.recover, [], `at ${minutes} min`);
      assert.equal(
        report.coolingDown.map((c) => [c.host, c.runId, c.status, c.until]),
        [['fake1', failed.runId, failed.status, new Date(start + 600_000).toISOString()]],
      );
      await w.settle();
      assert.is(await coolingDown(), 1);
    }
    assert.is(offs(), tried);
    assert.is((await listRuns(t.stateDir)).length, 1);
    const holds = t.logs.filter((l) => l.host === 'fake1' && typeof l.until === 'string');
    assert.is(holds.length, 1);
    assert.match(String(holds[0]?.whatToDo), `forcedown show ${failed.runId}`);
    // after it: a second run (the BMC fixed meanwhile) that recovers the host
    bmc.wrongPassword = false;
    clock = start + 600_000;
    const after = await w.cycle();
    assert.equal(after.coolingDown, []);
    assert.equal(after.recover, ['fake1']);
    assert.is(await coolingDown(), 0);
    await w.settle();
    assert.is((await listRuns(t.stateDir)).length, 2);
    assert.is(w.finishedRuns.at(-1)?.status, 'succeeded');
    assert.ok(t.cloud.double.service('fake1')?.forcedDown);
  } finally {
    await t.done();
  }
});

test('the cooldown holds across a restart: read from the failed run in the journal', async () => {
  const t = await setup();
  const start = Date.now();
  let clock = start;
  try {
    const services = t.cloud.services();
    t.cloud.double.killCompute('fake1', { now: true });
    t.cloud.bmcs.get('fake1')!.wrongPassword = true;
    const options = { settings: cooldownSettings, now: () => clock, compute: () => onRealNovaClock(services) };
    const first = t.watcher(options);
    assert.equal((await first.cycle()).recover, ['fake1']);
    await first.settle();
    const failed = first.finishedRuns[0];
    await first.stop();
    // a new process: nothing in memory, the journal's run.finished says when the run ended
    const again = t.watcher({ ...options, launcher: t.recoveries() });
    assert.equal(await again.resumeUnfinished(), []);
    clock = start + 300_000;
    const held = await again.cycle();
    assert.equal(held.recover, []);
    assert.equal(
      held.coolingDown.map((c) => [c.host, c.runId]),
      [['fake1', failed.runId]],
    );
    // the journal's finish time, a little after the frozen clock's start: the end is after start + 10 min
    assert.ok(Date.parse(held.coolingDown[0].until) >= start + 600_000);
    clock = Date.parse(held.coolingDown[0].until);
    assert.equal((await again.cycle()).recover, ['fake1']);
    await again.settle();
    assert.is((await listRuns(t.stateDir)).length, 2);
  } finally {
    await t.done();
  }
});

test.run();
