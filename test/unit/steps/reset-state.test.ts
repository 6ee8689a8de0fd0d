import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { StepFinishedEvent } from '../../../src/runner/index.js';
import { cleanup, runRunbook } from '../../support/run-harness.js';
import { startSimulatedCloud, type SimulatedCloud } from '../../support/simulated-cloud.js';

/** reset-state of a list: nothing is reset to ERROR unless it is known not to be running elsewhere (issue 12). */
const test = suite('reset-state');
let cloud: SimulatedCloud;
test.before.each(async () => {
  cloud = await startSimulatedCloud();
});
test.after.each(async () => {
  await cloud.close();
});

test('reset-state of a failed list re-reads each server: one running on a healthy host or still rebuilding is skipped and reported', async () => {
  const d = cloud.double;
  cloud.bmcs.get('fake1')!.state = 'off';
  d.killCompute('fake1', { now: true });
  d.setForcedDown('fake1', true);
  const elsewhere = d.addServer({ host: 'fake2', name: 'vm-elsewhere' }).id;
  const rebuilding = d.addServer({ host: 'fake1', name: 'vm-rebuilding', taskState: 'rebuilding' }).id;
  const stranded = d.addServer({ host: 'fake1', name: 'vm-stranded' }).id;
  const gone = '00000000-0000-4000-8000-000000000000';
  const run = await runRunbook(
    {
      name: 'reset',
      steps: [{ id: 'reset', type: 'reset-state', only: [elsewhere, rebuilding, stranded, gone], state: 'error' }],
    },
    { services: cloud.services() },
  );
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  assert.is(d.server(elsewhere)!.vmState, 'active', 'running on fake2: never reset');
  assert.is(d.server(rebuilding)!.taskState, 'rebuilding', 'rebuilding: left alone');
  assert.is(d.server(stranded)!.vmState, 'error', 'on the fenced host: reset');
  const outputs = run.events.find((e): e is StepFinishedEvent => e.event === 'step.finished')!.outputs as {
    reset: string[];
    skipped: string[];
  };
  assert.equal(outputs.reset, [stranded]);
  assert.equal(outputs.skipped.sort(), [elsewhere, rebuilding].sort());
  const reported = run.summary.servers.filter((sv) => sv.result === 'skipped').map((sv) => [sv.id, sv.reason]);
  assert.is(reported.length, 2);
  assert.match(String(reported.find(([id]) => id === elsewhere)![1]), 'whose nova-compute is up');
  assert.match(String(reported.find(([id]) => id === rebuilding)![1]), 'still being rebuilt');
  await cleanup(run);
});

test.run();
