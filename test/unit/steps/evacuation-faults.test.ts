import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { StepFinishedEvent, StepProgressEvent } from '../../../src/runner/index.js';
import { cleanup, runRunbook } from '../../support/run-harness.js';
import { startSimulatedCloud, type SimulatedCloud } from '../../support/simulated-cloud.js';

/**
 * Issue 12: evacuation under Nova's real failure modes, against the double: conductor failures
 * (placement consumer conflicts, NoValidHost) and failed rebuilds, retries judged by their own
 * migration record, a server that really fails twice reported failed and reset to ERROR.
 */
const test = suite('evacuation faults');
let cloud: SimulatedCloud;
const runbook = (evacuate: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'evac',
  steps: [
    { id: 'fence', type: 'fence', host: 'fake1' },
    { id: 'down', type: 'force-down', host: 'fake1' },
    { id: 'evacuate', type: 'evacuate', host: 'fake1', pollInterval: '50ms', concurrency: 6, ...evacuate },
    { id: 'reset-failed', type: 'reset-state', only: '${steps.evacuate.failed}', state: 'error' },
  ],
});
test.before.each(async () => {
  cloud = await startSimulatedCloud({ rebuildDelayMs: 400 });
});
test.after.each(async () => {
  await cloud.close();
});

const progress = (events: readonly { event: string }[], kind: string): StepProgressEvent[] =>
  events.filter((e): e is StepProgressEvent => e.event === 'step.progress' && (e as StepProgressEvent).kind === kind);
const evacuateStep = (events: readonly { event: string }[]): StepFinishedEvent =>
  events.find(
    (e): e is StepFinishedEvent => e.event === 'step.finished' && (e as StepFinishedEvent).stepId === 'evacuate',
  )!;

test('a retry within 120 s of a failed attempt is judged by its own migration record, not the failed one', async () => {
  const d = cloud.double;
  const ids = d.addServers(6, { host: 'fake1' });
  // the conductor's claim fails for two servers' first attempts; their retries succeed
  d.failEvacuations({ kind: 'placement-conflict', serverIds: ids.slice(0, 2), times: 2 });
  const run = await runRunbook(runbook(), { services: cloud.services() });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  for (const id of ids) {
    const server = d.server(id)!;
    assert.is.not(server.host, 'fake1', `${id} moved`);
    assert.is(server.vmState, 'active', `${id} ACTIVE, not reset to ERROR`);
  }
  for (const id of ids.slice(0, 2)) assert.is(d.migrations({ instanceUuid: id }).length, 2, 'failed attempt + retry');
  for (const id of ids.slice(2)) assert.is(d.migrations({ instanceUuid: id }).length, 1);
  const outputs = evacuateStep(run.events).outputs as { evacuated: string[]; failed: string[] };
  assert.is(outputs.evacuated.length, 6);
  assert.equal(outputs.failed, []);
  assert.is(d.doubleEvacuations, 0);
  await cleanup(run);
});

test("a server whose evacuation really fails twice is reported failed and reset to ERROR; each attempt's error is journaled", async () => {
  const d = cloud.double;
  const [bad, ...good] = d.addServers(4, { host: 'fake1' });
  d.failEvacuations({ kind: 'rebuild-failed', serverIds: [bad], times: 5 });
  const run = await runRunbook(runbook(), { services: cloud.services() });
  assert.is(run.exitCode, 1);
  assert.is(run.summary.error?.code, 'SERVERS_NOT_EVACUATED');
  const outputs = evacuateStep(run.events).outputs as { evacuated: string[]; failed: string[] };
  assert.equal(outputs.failed, [bad]);
  assert.is(outputs.evacuated.length, 3);
  assert.is(d.migrations({ instanceUuid: bad }).length, 2, 'serverRetries 1: two attempts, no more');
  assert.is(d.server(bad)!.vmState, 'error');
  const attempts = progress(run.events, 'evacuation.failed-attempt').filter((e) => e.data.serverId === bad);
  assert.is(attempts.length, 1, 'the first attempt journaled as failed, the second finished the server');
  assert.is(attempts[0].data.transient, false);
  assert.match(String(attempts[0].data.reason), 'fake rebuild failure');
  const finishedBad = progress(run.events, 'evacuation.finished').find((e) => e.data.serverId === bad)!;
  assert.is(finishedBad.data.result, 'failed');
  assert.is(finishedBad.data.attempts, 2);
  // Nova left it in ERROR after the failed rebuild: the reset step finds nothing to change
  const reset = run.events.find(
    (e): e is StepFinishedEvent => e.event === 'step.finished' && e.stepId === 'reset-failed',
  )!;
  assert.is(reset.status, 'unchanged');
  for (const id of good) assert.is(d.server(id)!.vmState, 'active');
  await cleanup(run);
});

test('transient failures (placement conflicts) are retried with backoff beyond serverRetries, each journaled with its cause', async () => {
  const d = cloud.double;
  const [busy, ...others] = d.addServers(3, { host: 'fake1' });
  d.failEvacuations({ kind: 'placement-conflict', serverIds: [busy], times: 3 });
  const run = await runRunbook(runbook({ serverRetries: 1, serverTimeout: '60s' }), { services: cloud.services() });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  assert.is(d.migrations({ instanceUuid: busy }).length, 4);
  assert.is(d.server(busy)!.vmState, 'active');
  assert.is.not(d.server(busy)!.host, 'fake1');
  const attempts = progress(run.events, 'evacuation.failed-attempt').filter((e) => e.data.serverId === busy);
  assert.equal(
    attempts.map((e) => [e.data.attempt, e.data.cause, e.data.transient]),
    [
      [1, 'placement-conflict', true],
      [2, 'placement-conflict', true],
      [3, 'placement-conflict', true],
    ],
  );
  const delays = attempts.map((e) => Number(e.data.retryInMs));
  assert.ok(
    delays[0] >= 500 && delays[0] <= 1000 && delays[1] >= 1000 && delays[2] >= 2000,
    `backoff ${delays.join(', ')}`,
  );
  const migrationIds = attempts.map((e) => Number(e.data.migrationId));
  assert.equal(
    [...migrationIds].sort((a, b) => a - b),
    migrationIds,
    'each attempt judged by its own, newer record',
  );
  for (const id of others) assert.is(d.migrations({ instanceUuid: id }).length, 1);
  await cleanup(run);
});

test('"No valid host" while other evacuations are in flight is transient; alone, it counts against serverRetries', async () => {
  const d = cloud.double;
  const [first, second] = d.addServers(2, { host: 'fake1' });
  d.failEvacuations({ kind: 'no-valid-host', serverIds: [first], times: 1 });
  const run = await runRunbook(runbook(), { services: cloud.services() });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  const attempt = progress(run.events, 'evacuation.failed-attempt').find((e) => e.data.serverId === first)!;
  assert.is(attempt.data.cause, 'no-valid-host');
  assert.is(attempt.data.transient, true, 'the other server was in flight');
  assert.is(d.server(second)!.vmState, 'active');
  await cleanup(run);

  const [alone] = d.addServers(1, { host: 'fake1' });
  d.failEvacuations({ kind: 'no-valid-host', serverIds: [alone], times: 2 });
  const again = await runRunbook(runbook({ id: 'evacuate' }), { services: cloud.services() });
  assert.is(again.exitCode, 1);
  const attempts = progress(again.events, 'evacuation.failed-attempt');
  assert.equal(
    attempts.map((e) => [e.data.cause, e.data.transient]),
    [['no-valid-host', false]],
  );
  assert.is(d.migrations({ instanceUuid: alone }).length, 2);
  await cleanup(again);
});

test('a 409 because of a concurrent task is retried once the task is over', async () => {
  const d = cloud.double;
  const [busy, other] = d.addServers(2, { host: 'fake1' });
  d.server(busy)!.taskState = 'powering-off';
  setTimeout(() => (d.server(busy)!.taskState = null), 1200).unref();
  const run = await runRunbook(runbook({ serverTimeout: '60s' }), { services: cloud.services() });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  const refusals = progress(run.events, 'evacuation.refused');
  assert.ok(refusals.length >= 1);
  assert.is(refusals[0].data.cause, 'concurrent-task');
  assert.match(String(refusals[0].data.reason), 'task_state powering-off');
  assert.is(d.migrations({ instanceUuid: busy }).length, 1, 'refusals create no record');
  for (const id of [busy, other]) assert.is(d.server(id)!.vmState, 'active');
  await cleanup(run);
});

test('concurrency 30 against placement contention: lowered, every server evacuated once in the end, none in ERROR', async () => {
  const d = cloud.double;
  const ids = d.addServers(30, { host: 'fake1' });
  d.setClaimConflictAbove(8);
  const run = await runRunbook(runbook({ concurrency: 30, serverTimeout: '120s' }), {
    services: cloud.services(),
  });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  for (const id of ids) {
    assert.is(d.server(id)!.vmState, 'active', `${id} ACTIVE`);
    assert.is.not(d.server(id)!.host, 'fake1');
    const migrations = d.migrations({ instanceUuid: id });
    assert.is(migrations.filter((m) => m.status === 'done').length, 1, `${id}: one successful evacuation`);
  }
  const outputs = evacuateStep(run.events).outputs as {
    evacuated: string[];
    concurrency: { configured: number; lowest: number; conflicts: number; peakInFlight: number };
  };
  assert.is(outputs.evacuated.length, 30);
  assert.is(outputs.concurrency.configured, 30);
  assert.is(outputs.concurrency.peakInFlight, 30);
  assert.ok(outputs.concurrency.conflicts > 0, 'contention was met');
  assert.ok(outputs.concurrency.lowest <= 15, `lowered (lowest ${outputs.concurrency.lowest})`);
  assert.ok(progress(run.events, 'evacuation.concurrency').length > 0, 'each change journaled');
  assert.is(d.doubleEvacuations, 0);
  await cleanup(run);
});

test.run();
