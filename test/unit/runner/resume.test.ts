import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpenStackClient } from '../../../src/openstack/index.js';
import { bindParams, loadRunbookText } from '../../../src/runbook/index.js';
import {
  JournalWriter,
  executeRun,
  newRunId,
  readJournal,
  resumeStateFrom,
  type RunEvent,
  type StepFinishedEvent,
} from '../../../src/runner/index.js';
import { LATE_REQUEST_GRACE_MS } from '../../../src/hostops/evacuation/index.js';
import { engineParts, runRunbook } from '../../support/run-harness.js';
import { startSimulatedCloud, type SimulatedCloud } from '../../support/simulated-cloud.js';

/**
 * Resume: an interrupted evacuation is confirmed, not re-sent; a crash at any point between
 * journaling a request and journaling its acceptance never leads to a second evacuation.
 */
const root = join(import.meta.dirname, '../../..');
const runbookText = (() => {
  const runbook = JSON.parse(readFileSync(join(root, 'runbooks/host-failure.json'), 'utf8')) as {
    steps: Record<string, unknown>[];
  };
  for (const step of runbook.steps) if (['fence', 'evacuate'].includes(String(step.type))) step.pollInterval = '50ms';
  return JSON.stringify(runbook, null, 2);
})();

const test = suite('resume');
let cloud: SimulatedCloud;
let stateDir = '';
test.before.each(async () => {
  cloud = await startSimulatedCloud({ rebuildDelayMs: 300 });
  stateDir = await mkdtemp(join(tmpdir(), 'fd-resume-'));
});
test.after.each(async () => {
  await cloud.close();
  await rm(stateDir, { recursive: true, force: true });
});

async function resume(runId: string): Promise<{ exitCode: number; events: RunEvent[] }> {
  const journal = await readJournal(stateDir, runId);
  const state = resumeStateFrom(journal.events)!;
  const loaded = loadRunbookText(state.started.runbook.text, 'host-failure.json', '/tmp/host-failure.json');
  const events: RunEvent[] = [];
  const outcome = await executeRun({
    loaded,
    params: bindParams(
      loaded.runbook,
      Object.fromEntries(Object.entries(state.started.params).map(([k, v]) => [k, String(v)])),
    ),
    secretParams: [],
    options: { dryRun: false, yes: true, approve: new Set(), assumeFenced: undefined, interactive: false },
    stateDir,
    ...engineParts,
    services: cloud.services(),
    signal: new AbortController().signal,
    renderer: 'silent',
    progressStream: new PassThrough(),
    onEvent: (event) => events.push(event),
    env: {},
    resume: state,
  });
  return { exitCode: outcome.exitCode, events };
}

/**
 * The state a kill -9 during the evacuate step leaves: fake1 fenced, forced down and disabled by
 * the run, its journal up to the evacuate step's start (open, for the test to add requests).
 */
async function crashedInEvacuation(): Promise<{ runId: string; client: OpenStackClient; journal: JournalWriter }> {
  const runId = newRunId('host-failure');
  cloud.bmcs.get('fake1')!.state = 'off';
  cloud.double.killCompute('fake1', { now: true });
  const client = await cloud.services().openstack();
  const service = await client.compute.setForcedDown(await client.compute.findComputeService('fake1'), true);
  await client.compute.disableService(service, `host failure [forcedown:${runId}]`);
  const journal = await JournalWriter.open(stateDir, runId);
  await journal.append({
    event: 'run.started',
    runbook: { name: 'host-failure', file: 'runbooks/host-failure.json', sha256: 'x', text: runbookText },
    params: { host: 'fake1', reason: 'host failure', concurrency: 10 },
    secretParams: [],
    options: { dryRun: false },
    hosts: ['fake1'],
    machine: 'm',
    pid: 1,
    forcedownVersion: '0.1.0',
  });
  for (const [stepId, type] of [
    ['fence', 'fence'],
    ['force-down', 'force-down'],
  ] as const) {
    await journal.append({ event: 'step.started', stepId, type, title: stepId, attempt: 1 });
    if (stepId === 'fence')
      await journal.append({
        event: 'safety.fence-confirmed',
        host: 'fake1',
        data: { driver: 'ipmi', target: 't', confirmedAt: new Date().toISOString(), stepId },
      });
    await journal.append({
      event: 'step.finished',
      stepId,
      type,
      status: 'changed',
      summary: 'ok',
      outputs: {},
      durationMs: 1,
      attempts: 1,
      dryRun: false,
    });
  }
  await journal.append({
    event: 'step.started',
    stepId: 'evacuate',
    type: 'evacuate',
    title: 'evacuate fake1',
    attempt: 1,
  });
  return { runId, client, journal };
}

test('Ctrl+C during evacuation: exit 130 listing in-flight evacuations; resume confirms them without re-sending', async () => {
  const d = cloud.double;
  const ids = d.addServers(12, { host: 'fake1' });
  const controller = new AbortController();
  let accepted = 0;
  const first = await runRunbook(runbookText, {
    params: { host: 'fake1', concurrency: 4 },
    services: cloud.services(),
    stateDir,
    signal: controller.signal,
    onEvent: (event) => {
      if (
        event.event === 'step.progress' &&
        (event as { kind: string }).kind === 'evacuation.accepted' &&
        ++accepted === 6
      )
        controller.abort(Object.assign(new Error('SIGINT'), { name: 'AbortError' }));
    },
  });
  assert.is(first.exitCode, 130);
  assert.is(first.summary.error?.code, 'EVACUATION_INTERRUPTED');
  const inFlight = (first.summary.error?.data as { inFlight: { id: string }[] }).inFlight;
  assert.ok(inFlight.length > 0 && inFlight.length <= 4, `in flight: ${inFlight.length}`);
  assert.ok(
    first.events.some((e) => e.event === 'step.progress' && (e as { kind: string }).kind === 'evacuation.interrupted'),
  );
  const sentBefore = d.callCount('POST /v2.1/servers/{id}/action:evacuate');

  const resumed = await resume(first.runId);
  assert.is(resumed.exitCode, 0, JSON.stringify(resumed.events.at(-1)));
  const finished = resumed.events.filter((e): e is StepFinishedEvent => e.event === 'step.finished');
  assert.equal(
    finished.map((e) => [e.stepId, e.status, e.fromJournal === true]),
    [
      ['fence', 'changed', true],
      ['force-down', 'changed', true],
      ['evacuate', 'changed', false],
      ['reset-failed', 'unchanged', false],
    ],
  );
  for (const id of ids) assert.is(d.migrations({ instanceUuid: id }).length, 1, `${id}: one evacuation`);
  assert.is(d.doubleEvacuations, 0);
  assert.is(d.callCount('POST /v2.1/servers/{id}/action:evacuate'), 12);
  assert.ok(sentBefore >= 6);
  const evacuated = finished.find((e) => e.stepId === 'evacuate')!.outputs.evacuated as string[];
  assert.is(evacuated.length, 12, 'the outputs cover the servers evacuated before the interruption too');
});

test('a crash between journaling a request and its acceptance: the migration records decide, never a second evacuation', async () => {
  const d = cloud.double;
  const [accepted, sentNotJournaled, journaledNotSent, untouched] = d.addServers(4, { host: 'fake1' });
  // the state a kill -9 leaves: fenced, forced down and disabled by this run, evacuation started
  const { runId, client, journal } = await crashedInEvacuation();
  const at = (offsetMs = 0): string => new Date(Date.now() + offsetMs).toISOString();
  // (requested more than LATE_REQUEST_GRACE_MS ago: the resume does not wait for late arrivals)
  const requested = async (id: string): Promise<void> => {
    await journal.append({
      event: 'step.progress',
      stepId: 'evacuate',
      kind: 'evacuation.requested',
      data: {
        serverId: id,
        name: id,
        at: at(-LATE_REQUEST_GRACE_MS - 1000),
        attempt: 1,
        vmState: 'active',
        restoreTo: 'active',
      },
    });
  };
  await requested(accepted);
  await client.compute.evacuate(accepted);
  await journal.append({
    event: 'step.progress',
    stepId: 'evacuate',
    kind: 'evacuation.accepted',
    data: { serverId: accepted },
  });
  await requested(sentNotJournaled);
  await client.compute.evacuate(sentNotJournaled); // reached Nova; the process died before journaling it
  await requested(journaledNotSent); // the process died before the POST
  await journal.close();

  const resumed = await resume(runId);
  assert.is(resumed.exitCode, 0, JSON.stringify(resumed.events.at(-1)));
  for (const id of [accepted, sentNotJournaled, journaledNotSent, untouched]) {
    assert.is(d.migrations({ instanceUuid: id }).length, 1, `${id}: exactly one evacuation`);
    assert.not.equal(d.server(id)!.host, 'fake1');
  }
  assert.is(d.doubleEvacuations, 0);
  assert.is(d.callCount('POST /v2.1/servers/{id}/action:evacuate'), 4, '2 before the crash, 2 after');
  const releasedReason = d.service('fake1')!.disabledReason ?? '';
  assert.match(releasedReason, `[forcedown:${runId} released]`);
});

test('a request of the killed run that reaches Nova after the resume looked: tracked, never a second evacuation', async () => {
  const d = cloud.double;
  const [late, other] = d.addServers(2, { host: 'fake1' });
  const { runId, client, journal } = await crashedInEvacuation();
  // journaled a little less than the grace ago; its POST is still queued somewhere on the way
  const requestedAt = Date.now() - LATE_REQUEST_GRACE_MS + 2500;
  await journal.append({
    event: 'step.progress',
    stepId: 'evacuate',
    kind: 'evacuation.requested',
    data: {
      serverId: late,
      name: late,
      at: new Date(requestedAt).toISOString(),
      attempt: 1,
      vmState: 'active',
      restoreTo: 'active',
    },
  });
  await journal.close();

  // the late request lands one second into the resume (after its first look at Nova); rebuilds
  // take 3 s, so a request the resume sent at once would still be rebuilding then: a double evacuation
  d.configure({ rebuildDelayMs: 3000 });
  const landing = setTimeout(() => void client.compute.evacuate(late), 1000);
  const started = Date.now();
  const resumed = await resume(runId);
  clearTimeout(landing);
  const waited = Date.now() - started;
  assert.is(d.doubleEvacuations, 0);
  for (const id of [late, other]) {
    assert.is(d.migrations({ instanceUuid: id }).length, 1, `${id}: exactly one evacuation`);
    assert.not.equal(d.server(id)!.host, 'fake1');
  }
  assert.is(
    d.callCount('POST /v2.1/servers/{id}/action:evacuate'),
    2,
    'the late one and the other: nothing sent twice',
  );
  assert.is(resumed.exitCode, 0, JSON.stringify(resumed.events.at(-1)));
  assert.ok(waited >= 2000, 'the resume waited for the grace period');
  assert.ok(
    resumed.events.some(
      (e) => e.event === 'step.output' && String((e as { message?: string }).message).includes('waiting'),
    ),
  );
});

test("resume refuses nothing of its own: the run's lock and Nova marker are taken over by the same run id", async () => {
  const d = cloud.double;
  d.addServers(2, { host: 'fake1' });
  const controller = new AbortController();
  const first = await runRunbook(runbookText, {
    params: { host: 'fake1' },
    services: cloud.services(),
    stateDir,
    signal: controller.signal,
    onEvent: (event) => {
      if (event.event === 'step.finished' && event.stepId === 'force-down')
        controller.abort(Object.assign(new Error('SIGTERM'), { name: 'AbortError' }));
    },
  });
  assert.is(first.exitCode, 130);
  const resumed = await resume(first.runId);
  assert.is(resumed.exitCode, 0);
  assert.is(d.serversOn('fake1').length, 0);
});

test.run();
