import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SafetyEvent, StepFinishedEvent } from '../../../src/runner/index.js';
import { cleanup, engineParts, runRunbook } from '../../support/run-harness.js';
import { startSimulatedCloud, type SimulatedCloud } from '../../support/simulated-cloud.js';

/**
 * The shipped host-failure / evacuate-only / host-recovery runbooks against the OpenStack double
 * and fake BMCs wired to it (power off kills the compute's heartbeat, power on restarts it).
 */
const root = join(import.meta.dirname, '../../..');
function shipped(name: string, fast = true): Record<string, unknown> {
  const runbook = JSON.parse(readFileSync(join(root, 'runbooks', `${name}.json`), 'utf8')) as {
    steps: Record<string, unknown>[];
  };
  if (fast) {
    for (const step of runbook.steps) {
      if (['fence', 'power-on', 'clear-force-down', 'wait-service', 'evacuate'].includes(String(step.type)))
        step.pollInterval = '50ms';
      if (step.type === 'evacuate') step.serverTimeout = '20s';
    }
  }
  return runbook;
}
const finished = (events: readonly { event: string }[]): StepFinishedEvent[] =>
  events.filter((e): e is StepFinishedEvent => e.event === 'step.finished');

const test = suite('host-failure runbooks');
let cloud: SimulatedCloud;
let ids: Record<string, string>;
test.before.each(async () => {
  cloud = await startSimulatedCloud();
  const d = cloud.double;
  ids = {
    a: d.addServer({ host: 'fake1', name: 'vm-a' }).id,
    b: d.addServer({ host: 'fake1', name: 'vm-b' }).id,
    c: d.addServer({ host: 'fake1', name: 'vm-c', projectId: d.demoProjectId }).id,
    off: d.addServer({ host: 'fake1', name: 'vm-off', vmState: 'stopped' }).id,
    err: d.addServer({ host: 'fake1', name: 'vm-err', vmState: 'error' }).id,
    paused: d.addServer({ host: 'fake1', name: 'vm-paused', vmState: 'paused' }).id,
    other: d.addServer({ host: 'fake2', name: 'vm-elsewhere' }).id,
  };
});
test.after.each(async () => {
  await cloud.close();
});

test('host-failure: fences, forces down, evacuates every server exactly once, keeps power states', async () => {
  const run = await runRunbook(shipped('host-failure'), {
    params: { host: 'fake1', reason: 'INC-4711', concurrency: 3 },
    services: cloud.services(),
  });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary, null, 1));
  const d = cloud.double;
  assert.is(cloud.bmcs.get('fake1')!.state, 'off');
  const svc = d.service('fake1')!;
  assert.ok(svc.forcedDown);
  assert.is(svc.disabled, true);
  assert.match(String(svc.disabledReason), 'INC-4711');
  assert.match(String(svc.disabledReason), `[forcedown:${run.runId} released]`);
  assert.is(d.serversOn('fake1').length, 0);
  for (const key of ['a', 'b', 'c', 'off', 'err', 'paused']) {
    const migrations = d.migrations({ instanceUuid: ids[key] });
    assert.is(migrations.length, 1, `${key}: exactly one evacuation`);
  }
  assert.is(d.doubleEvacuations, 0);
  assert.is(d.server(ids.off)!.vmState, 'stopped', 'SHUTOFF stays SHUTOFF');
  assert.is(d.server(ids.a)!.vmState, 'active');
  assert.is(d.server(ids.err)!.vmState, 'error', 'ERROR is put back');
  assert.is(d.server(ids.paused)!.vmState, 'paused', 'paused: reset to error, evacuated, paused again on its new host');
  assert.is(d.server(ids.other)!.host, 'fake2', 'servers elsewhere untouched');
  const evacuation = finished(run.events).find((e) => e.stepId === 'evacuate')!;
  assert.equal((evacuation.outputs.evacuated as string[]).length, 6);
  assert.equal(evacuation.outputs.failed, []);
  assert.is(run.summary.servers.filter((s) => s.result === 'evacuated').length, 6);
  const fence = run.events.find((e): e is SafetyEvent => e.event === 'safety.fence-confirmed');
  assert.ok(fence, 'fence confirmation journaled');
  // the order: the fence is confirmed before anything is asked of Nova
  const fenceSeq = fence.seq;
  const downStart = run.events.find(
    (e) => e.event === 'step.started' && (e as { stepId: string }).stepId === 'force-down',
  )!.seq;
  assert.ok(fenceSeq < downStart);
  await cleanup(run);

  // re-running on the finished host changes nothing
  const again = await runRunbook(shipped('host-failure'), {
    params: { host: 'fake1', reason: 'INC-4711' },
    services: cloud.services(),
  });
  assert.is(again.exitCode, 0);
  assert.equal(
    finished(again.events).map((e) => [e.stepId, e.status]),
    [
      ['fence', 'unchanged'],
      ['force-down', 'unchanged'],
      ['evacuate', 'unchanged'],
      ['reset-failed', 'unchanged'],
    ],
  );
  assert.is(cloud.double.callCount('POST /v2.1/servers/{id}/action:evacuate'), 6);
  await cleanup(again);
});

test('a wrong BMC password stops the run before force-down: exit 3, nothing changed in Nova', async () => {
  cloud.bmcs.get('fake1')!.wrongPassword = true;
  const run = await runRunbook(shipped('host-failure'), { params: { host: 'fake1' }, services: cloud.services() });
  assert.is(run.exitCode, 3);
  assert.equal(
    run.summary.stepResults.map((s) => s.status),
    ['failed', 'not-run', 'not-run', 'not-run'],
  );
  const svc = cloud.double.service('fake1')!;
  assert.not.ok(svc.forcedDown);
  assert.not.ok(svc.disabled);
  assert.is(cloud.double.callCount('PUT /v2.1/os-services/{id}'), 0);
  assert.is(cloud.double.serversOn('fake1').length, 6);
  assert.not.match(JSON.stringify(run.events), 'adminpass');
  await cleanup(run);
});

test('evacuate-only refuses without --assume-fenced (exit 3) and records the reason when given', async () => {
  const refusedRun = await runRunbook(shipped('evacuate-only'), {
    params: { host: 'fake1' },
    services: cloud.services(),
  });
  assert.is(refusedRun.exitCode, 3);
  assert.is(finished(refusedRun.events)[0].error!.code, 'NOT_FENCED');
  assert.not.ok(cloud.double.service('fake1')!.forcedDown);
  await cleanup(refusedRun);

  const reason = 'PDU outlet 12 off, J. Doe, INC-4711';
  cloud.double.killCompute('fake1', { now: true });
  const run = await runRunbook(shipped('evacuate-only'), {
    params: { host: 'fake1' },
    services: cloud.services(),
    run: { assumeFenced: reason },
  });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  const assumed = run.events.find((e): e is SafetyEvent => e.event === 'safety.assumed-fenced');
  assert.is(assumed?.reason, reason);
  assert.match(String(cloud.double.service('fake1')!.disabledReason), `assumed fenced: ${reason}`);
  assert.is(cloud.double.serversOn('fake1').length, 0);
  await cleanup(run);
});

test('host-recovery after a failure: power on, clear forced_down (after the restart completes evacuations), enable', async () => {
  const failure = await runRunbook(shipped('host-failure'), { params: { host: 'fake1' }, services: cloud.services() });
  assert.is(failure.exitCode, 0);
  await cleanup(failure);
  const recovery = await runRunbook(shipped('host-recovery'), {
    params: { host: 'fake1' },
    services: cloud.services(),
  });
  assert.is(recovery.exitCode, 0, JSON.stringify(recovery.summary.error));
  const svc = cloud.double.service('fake1')!;
  assert.not.ok(svc.forcedDown);
  assert.not.ok(svc.disabled);
  assert.is(cloud.bmcs.get('fake1')!.state, 'on');
  assert.ok(cloud.double.isUp('fake1'));
  assert.ok(cloud.double.migrations({ sourceCompute: 'fake1' }).every((m) => m.status === 'completed'));
  await cleanup(recovery);
});

test('clear-force-down refuses while the BMC reads the host off (exit 3)', async () => {
  cloud.bmcs.get('fake1')!.state = 'off';
  cloud.double.setForcedDown('fake1', true);
  const run = await runRunbook(
    { name: 'clear', steps: [{ id: 'clear', type: 'clear-force-down', host: 'fake1' }] },
    { services: cloud.services() },
  );
  assert.is(run.exitCode, 3);
  assert.is(finished(run.events)[0].error!.code, 'HOST_POWERED_OFF');
  assert.ok(cloud.double.service('fake1')!.forcedDown);
  await cleanup(run);
});

test('clear-force-down explains Nova\'s "done evacuation records" 400 when the compute did not restart', async () => {
  const failure = await runRunbook(shipped('host-failure'), { params: { host: 'fake1' }, services: cloud.services() });
  await cleanup(failure);
  // heartbeat back, but no restart: the done records stay
  cloud.bmcs.get('fake1')!.state = 'on';
  cloud.double.startCompute('fake1');
  const run = await runRunbook(
    {
      name: 'clear',
      steps: [{ id: 'clear', type: 'clear-force-down', host: 'fake1', timeout: '5s', pollInterval: '100ms' }],
    },
    { services: cloud.services() },
  );
  assert.is(run.exitCode, 1);
  const error = finished(run.events)[0].error!;
  assert.is(error.code, 'EVACUATION_RECORDS_REMAIN');
  assert.match(error.hint, 'restart nova-compute on fake1');
  assert.ok(cloud.double.service('fake1')!.forcedDown);
  await cleanup(run);
});

test('an evacuation already in progress is followed, never sent again', async () => {
  const d = cloud.double;
  cloud.bmcs.get('fake1')!.state = 'off';
  d.killCompute('fake1', { now: true });
  d.setForcedDown('fake1', true);
  const client = await cloud.services().openstack();
  await client.compute.evacuate(ids.a);
  const run = await runRunbook(
    {
      name: 'evac',
      steps: [
        { id: 'fence', type: 'fence', host: 'fake1' },
        { id: 'evacuate', type: 'evacuate', host: 'fake1', pollInterval: '50ms', resetNonEvacuable: true },
      ],
    },
    { services: cloud.services() },
  );
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  assert.is(d.doubleEvacuations, 0);
  assert.is(d.migrations({ instanceUuid: ids.a }).length, 1);
  assert.is(d.callCount('POST /v2.1/servers/{id}/action:evacuate'), 6, '1 by hand + 5 by forcedown');
  await cleanup(run);
});

test("another run's marker in Nova refuses force-down (exit 3) naming it; --break-lock takes over", async () => {
  const d = cloud.double;
  const client = await cloud.services().openstack();
  const svc = await client.compute.findComputeService('fake1');
  await client.compute.disableService(svc, 'maintenance [forcedown:20261125T000000Z-host-failure-abcdef]');
  const run = await runRunbook(shipped('host-failure'), { params: { host: 'fake1' }, services: cloud.services() });
  assert.is(run.exitCode, 3);
  const error = finished(run.events).find((e) => e.status === 'failed')!.error!;
  assert.is(error.code, 'HOST_LOCKED');
  assert.match(error.message, '20261125T000000Z-host-failure-abcdef');
  assert.not.ok(d.service('fake1')!.forcedDown);
  await cleanup(run);
  const broken = await runRunbook(shipped('host-failure'), {
    params: { host: 'fake1' },
    services: cloud.services(),
    run: { breakLock: 'the old run died with its VM, checked by J. Doe' },
  });
  assert.is(broken.exitCode, 0, JSON.stringify(broken.summary.error));
  assert.ok(broken.events.some((e) => e.event === 'step.progress' && (e as { kind: string }).kind === 'lock.broken'));
  await cleanup(broken);
});

test('plan shows what would happen and changes nothing', async () => {
  const { planRun } = await import('../../../src/runner/index.js');
  const { loadRunbookText } = await import('../../../src/runbook/index.js');
  const loaded = loadRunbookText(
    JSON.stringify(shipped('host-failure')),
    'host-failure.json',
    '/tmp/host-failure.json',
  );
  const entries = await planRun({
    loaded,
    params: { host: 'fake1', reason: 'x', concurrency: 10 },
    options: { dryRun: true, yes: false, approve: new Set(), assumeFenced: undefined, interactive: false },
    catalog: engineParts.catalog,
    services: cloud.services(),
    env: {},
    signal: new AbortController().signal,
  });
  assert.equal(
    entries.map((e) => [e.id, e.action]),
    [
      ['fence', 'change'],
      ['force-down', 'change'],
      ['evacuate', 'change'],
      ['reset-failed', 'depends'],
    ],
  );
  assert.match(entries[2].summary, 'would evacuate 5, reset to error and evacuate 1');
  assert.is(cloud.bmcs.get('fake1')!.state, 'on');
  assert.not.ok(cloud.double.service('fake1')!.forcedDown);
  assert.is(cloud.double.callCount('POST /v2.1/servers/{id}/action:evacuate'), 0);
});

test.run();
