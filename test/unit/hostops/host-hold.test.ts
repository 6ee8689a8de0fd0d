/**
 * A run notices when its hold on a host is gone: another writer (an operator, terraform, a run
 * with --break-lock) changes the host in Nova while the run is in a `wait` step; the next Nova
 * write, or the run's end, stops the run with HOLD_LOST (exit 3) and says what changed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HostHold, reasonWithMarker } from '../../../src/hostops/index.js';
import type { RunEvent, StepFinishedEvent } from '../../../src/runner/index.js';
import { cleanup, runRunbook } from '../../support/run-harness.js';
import { startSimulatedCloud, type SimulatedCloud } from '../../support/simulated-cloud.js';

const test = suite('host hold');
let cloud: SimulatedCloud;
test.before.each(async () => {
  cloud = await startSimulatedCloud();
  cloud.double.addServer({ host: 'fake1', name: 'vm-a' });
});
test.after.each(async () => {
  await cloud.close();
});

/** fence, force-down (marker), wait, then `after` (an evacuate, or nothing). */
function runbook(after: Record<string, unknown>[]): Record<string, unknown> {
  return {
    name: 'hold-test',
    steps: [
      { id: 'fence', type: 'fence', host: 'fake1', pollInterval: '50ms' },
      { id: 'force-down', type: 'force-down', host: 'fake1', disable: true },
      { id: 'pause', type: 'wait', duration: '10ms' },
      ...after,
    ],
  };
}

/** While the run waits, `change` edits fake1's record in the double, as another writer would. */
function whileWaiting(
  change: (svc: { disabled: boolean; disabledReason: string | null; forcedDown: boolean }) => void,
) {
  return (event: RunEvent): void => {
    if (event.event === 'step.started' && event.stepId === 'pause') change(cloud.double.service('fake1')!);
  };
}

const failedStep = (events: readonly RunEvent[]): StepFinishedEvent | undefined =>
  events.find((e): e is StepFinishedEvent => e.event === 'step.finished' && e.status === 'failed');

test('the marker removed under the run: evacuate stops before its first write, exit 3, facts in data', async () => {
  const run = await runRunbook(runbook([{ id: 'evacuate', type: 'evacuate', host: 'fake1', pollInterval: '50ms' }]), {
    services: cloud.services(),
    onEvent: whileWaiting((svc) => {
      svc.disabled = false;
      svc.disabledReason = null;
      svc.forcedDown = false;
    }),
  });
  assert.is(run.exitCode, 3, JSON.stringify(run.summary.error));
  const error = failedStep(run.events)?.error;
  assert.is(error?.code, 'HOLD_LOST');
  assert.is(failedStep(run.events)?.stepId, 'evacuate');
  assert.match(error?.message ?? '', 'no longer holds fake1');
  assert.is((error?.data as { change?: string } | undefined)?.change, 'marker-removed');
  assert.is(cloud.double.callCount('POST /v2.1/servers/{id}/action:evacuate'), 0, 'nothing sent');
  await cleanup(run);
});

test('forced_down cleared under the marker: the evacuation engine stops (beforeWrite), exit 3', async () => {
  const run = await runRunbook(runbook([{ id: 'evacuate', type: 'evacuate', host: 'fake1', pollInterval: '50ms' }]), {
    services: cloud.services(),
    onEvent: whileWaiting((svc) => {
      svc.forcedDown = false;
    }),
  });
  assert.is(run.exitCode, 3, JSON.stringify(run.summary.error));
  const error = failedStep(run.events)?.error;
  assert.is(error?.code, 'HOLD_LOST');
  assert.is((error?.data as { change?: string } | undefined)?.change, 'forced-down-cleared');
  assert.is(cloud.double.callCount('POST /v2.1/servers/{id}/action:evacuate'), 0, 'nothing sent');
  await cleanup(run);
});

test("another run's marker replaces ours and the run has no further write: its end fails with exit 3", async () => {
  const other = '20261125T000000Z-other-abcdef';
  const run = await runRunbook(runbook([]), {
    services: cloud.services(),
    onEvent: whileWaiting((svc) => {
      svc.disabledReason = reasonWithMarker('taken over', other);
    }),
  });
  assert.is(run.exitCode, 3, JSON.stringify(run.summary.error));
  assert.is(run.summary.error?.code, 'HOLD_LOST');
  assert.is((run.summary.error?.data as { holder?: string } | undefined)?.holder, other);
  // the other run's marker is left as it is (not "released" by us)
  assert.match(cloud.double.service('fake1')!.disabledReason ?? '', `[forcedown:${other}]`);
  await cleanup(run);
});

test('an undisturbed run keeps its hold and releases its marker at the end (exit 0)', async () => {
  const run = await runRunbook(runbook([]), { services: cloud.services() });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  assert.match(cloud.double.service('fake1')!.disabledReason ?? '', / released\]$/);
  await cleanup(run);
});

test('HostHold: verifies nothing before the run holds the host; forgets the hold once it is lost', async () => {
  const client = await cloud.services().openstack();
  let reads = 0;
  const api = {
    findComputeService: async (host: string) => {
      reads += 1;
      return client.compute.findComputeService(host);
    },
  };
  const hold = new HostHold(api, 'fake1', '20261125T000000Z-mine-abcdef');
  assert.is(await hold.verify(), undefined);
  assert.is(reads, 0, 'no read while nothing is held');
  const svc = await client.compute.findComputeService('fake1');
  hold.observe(await client.compute.disableService(svc, reasonWithMarker('x', hold.runId)));
  assert.ok(hold.held);
  assert.ok(await hold.verify());
  cloud.double.service('fake1')!.disabledReason = 'by hand';
  try {
    await hold.verify();
    assert.unreachable('must refuse');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'HOLD_LOST');
    assert.is((error as { kind?: string }).kind, 'refused');
  }
  assert.not.ok(hold.held);
});

test.run();
