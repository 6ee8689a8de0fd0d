import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { StepFinishedEvent, StepProgressEvent } from '../../../src/runner/index.js';
import { cleanup, runRunbook } from '../../support/run-harness.js';
import { startSimulatedCloud, type SimulatedCloud } from '../../support/simulated-cloud.js';

/**
 * Issue 12, against the double: servers locked while they are evacuated (reason naming the run
 * at 2.73+, plain lock below), an owner's own lock kept; PAUSED/SUSPENDED servers put back;
 * matching that holds when Nova's clock is minutes off ours.
 */
const test = suite('evacuation locks, power states, clocks');
let cloud: SimulatedCloud | undefined;
const runbook = (evacuate: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'evac',
  steps: [
    { id: 'fence', type: 'fence', host: 'fake1' },
    { id: 'down', type: 'force-down', host: 'fake1' },
    {
      id: 'evacuate',
      type: 'evacuate',
      host: 'fake1',
      pollInterval: '50ms',
      resetNonEvacuable: true,
      ...evacuate,
    },
  ],
});
test.after.each(async () => {
  await cloud?.close();
  cloud = undefined;
});
const progress = (events: readonly { event: string }[], kind: string): StepProgressEvent[] =>
  events.filter((e): e is StepProgressEvent => e.event === 'step.progress' && (e as StepProgressEvent).kind === kind);

test("servers are locked while evacuated (reason names the run), unlocked once confirmed; an owner's own lock is kept", async () => {
  cloud = await startSimulatedCloud({ rebuildDelayMs: 200 });
  const d = cloud.double;
  const ids = d.addServers(4, { host: 'fake1' });
  const owned = d.addServer({
    host: 'fake1',
    name: 'vm-owned',
    locked: { by: 'owner', reason: 'owner: do not touch' },
  }).id;
  const seen = new Map<string, { locked: boolean; reason: string | null }>();
  const run = await runRunbook(runbook(), {
    services: cloud.services(),
    onEvent: (event) => {
      if (event.event !== 'step.progress' || event.kind !== 'evacuation.accepted') return;
      const id = String(event.data.serverId);
      const server = d.server(id)!;
      seen.set(id, { locked: server.locked, reason: server.lockedReason });
    },
  });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  for (const id of ids) {
    assert.equal(seen.get(id)?.locked, true, `${id} locked while its evacuation ran`);
    assert.match(String(seen.get(id)?.reason), `forcedown run ${run.runId}`);
    assert.is(d.server(id)!.locked, false, `${id} unlocked after`);
    assert.is(d.server(id)!.lockedReason, null);
  }
  assert.is(d.server(owned)!.locked, true, "the owner's lock is kept");
  assert.is(d.server(owned)!.lockedBy, 'owner');
  assert.is(d.server(owned)!.lockedReason, 'owner: do not touch');
  assert.is.not(d.server(owned)!.host, 'fake1', 'and the server was evacuated all the same');
  const lockedIds = progress(run.events, 'server.locking').map((e) => e.data.serverId);
  assert.equal(lockedIds.sort(), [...ids].sort(), 'only the servers this run locked are journaled as its locks');
  assert.equal(
    progress(run.events, 'server.unlocked')
      .map((e) => e.data.serverId)
      .sort(),
    [...ids].sort(),
  );
  await cleanup(run);
});

test('lockServers: false locks nothing; below 2.73 the lock has no reason and is still lifted', async () => {
  cloud = await startSimulatedCloud({ rebuildDelayMs: 100, microversions: { min: '2.1', max: '2.60' } });
  const d = cloud.double;
  const ids = d.addServers(2, { host: 'fake1' });
  const run = await runRunbook(runbook(), { services: cloud.services() });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  assert.is(d.callCount('POST /v2.1/servers/{id}/action:lock'), 2);
  for (const call of d.log.filter((c) => c.route === 'POST /v2.1/servers/{id}/action:lock'))
    assert.equal(call.body, { lock: null }, 'no reason below 2.73');
  for (const id of ids) assert.is(d.server(id)!.locked, false);
  await cleanup(run);

  const more = d.addServers(2, { host: 'fake1' });
  d.resetCalls();
  const off = await runRunbook(runbook({ lockServers: false }), { services: cloud.services() });
  assert.is(off.exitCode, 0, JSON.stringify(off.summary.error));
  assert.is(d.callCount('POST /v2.1/servers/{id}/action:lock'), 0);
  for (const id of more) assert.is.not(d.server(id)!.host, 'fake1');
  await cleanup(off);
});

test('PAUSED and SUSPENDED servers are reset, evacuated and paused/suspended again on their new host', async () => {
  cloud = await startSimulatedCloud({ rebuildDelayMs: 100 });
  const d = cloud.double;
  const paused = d.addServer({ host: 'fake1', name: 'vm-paused', vmState: 'paused' }).id;
  const suspended = d.addServer({ host: 'fake1', name: 'vm-suspended', vmState: 'suspended' }).id;
  const rescued = d.addServer({ host: 'fake1', name: 'vm-rescued', vmState: 'rescued' }).id;
  const run = await runRunbook(runbook(), { services: cloud.services() });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  assert.is(d.server(paused)!.vmState, 'paused');
  assert.is(d.server(suspended)!.vmState, 'suspended');
  assert.is(d.server(rescued)!.vmState, 'error', 'Nova cannot put a rescue back: left in ERROR for its owner');
  for (const id of [paused, suspended, rescued]) assert.is.not(d.server(id)!.host, 'fake1');
  const results = (
    run.events.find((e): e is StepFinishedEvent => e.event === 'step.finished' && e.stepId === 'evacuate')!.outputs as {
      results: { id: string; reason: string }[];
    }
  ).results;
  assert.match(results.find((r) => r.id === paused)!.reason, /now PAUSED on fake\d \(paused again/);
  assert.match(results.find((r) => r.id === rescued)!.reason, 'put back in ERROR (was rescued)');
  await cleanup(run);
});

for (const offsetMs of [-5 * 60_000, 5 * 60_000]) {
  test(`Nova's clock ${offsetMs > 0 ? 'ahead of' : 'behind'} ours by 5 min: retries still judged by their own records`, async () => {
    cloud = await startSimulatedCloud({ rebuildDelayMs: 300, clockOffsetMs: offsetMs });
    const d = cloud.double;
    const ids = d.addServers(4, { host: 'fake1' });
    d.failEvacuations({ kind: 'placement-conflict', serverIds: ids.slice(0, 2), times: 2 });
    const run = await runRunbook(runbook({ serverTimeout: '30s' }), { services: cloud.services() });
    assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
    for (const id of ids) {
      assert.is(d.server(id)!.vmState, 'active');
      assert.is.not(d.server(id)!.host, 'fake1');
    }
    for (const id of ids.slice(0, 2)) assert.is(d.migrations({ instanceUuid: id }).length, 2);
    const requested = progress(run.events, 'evacuation.requested');
    const skew = Date.parse(String(requested[0].data.notBefore)) - Date.parse(String(requested[0].data.at));
    assert.ok(Math.abs(skew - offsetMs) < 3000, `the journaled floor is on Nova's clock (${skew} ms off ours)`);
    await cleanup(run);
  });
}

test.run();
