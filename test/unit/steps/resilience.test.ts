import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanup, runRunbook } from '../../support/run-harness.js';
import { startSimulatedCloud, type SimulatedCloud } from '../../support/simulated-cloud.js';

/** Faults during a run: API errors and lost replies on the evacuate POST, resets on reads, token expiry. */
const test = suite('resilience');
let cloud: SimulatedCloud;
const runbook = {
  name: 'evac',
  steps: [
    { id: 'fence', type: 'fence', host: 'fake1' },
    { id: 'down', type: 'force-down', host: 'fake1' },
    { id: 'evacuate', type: 'evacuate', host: 'fake1', pollInterval: '50ms', concurrency: 3 },
  ],
};
test.before.each(async () => {
  cloud = await startSimulatedCloud({ rebuildDelayMs: 100 });
});
test.after.each(async () => {
  await cloud.close();
});

const evacuatedOnce = (ids: readonly string[]): void => {
  for (const id of ids) {
    assert.is(cloud.double.migrations({ instanceUuid: id }).length, 1, `${id}: exactly one evacuation migration`);
    assert.is.not(cloud.double.server(id)!.host, 'fake1');
  }
  assert.is(cloud.double.doubleEvacuations, 0);
};

test('503s on the evacuate POST (not carried out): re-sent, each server evacuated once', async () => {
  const ids = cloud.double.addServers(6, { host: 'fake1' });
  cloud.double.failNext({ status: 503, times: 3, route: 'POST /v2.1/servers/{id}/action:evacuate' });
  const run = await runRunbook(runbook, { services: cloud.services() });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  evacuatedOnce(ids);
  assert.ok(
    run.events.some((e) => e.event === 'step.progress' && (e as { kind: string }).kind === 'evacuation.not-accepted'),
  );
  await cleanup(run);
});

test('a lost reply (Nova accepted, the connection reset): not re-sent, the migration record decides', async () => {
  const ids = cloud.double.addServers(4, { host: 'fake1' });
  cloud.double.failNext({
    status: 'reset',
    times: 2,
    route: 'POST /v2.1/servers/{id}/action:evacuate',
    afterProcessing: true,
  });
  const run = await runRunbook(runbook, { services: cloud.services() });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  evacuatedOnce(ids);
  assert.is(cloud.double.callCount('POST /v2.1/servers/{id}/action:evacuate'), 4);
  await cleanup(run);
});

test('a server evacuated by someone else between the listing and the request: Nova names its new host; tracked, not a failed run', async () => {
  const ids = cloud.double.addServers(3, { host: 'fake1' });
  const client = await cloud.services().openstack();
  cloud.double.beforeNext('POST /v2.1/servers/{id}/action:evacuate', async (path) => {
    // just before the run's request is handled, an evacuation of that same server lands (a
    // killed run's request, another tool) and finishes: Nova then names the server's new host
    const id = path.split('/').at(-2)!;
    await client.compute.evacuate(id);
    for (let i = 0; i < 100 && cloud.double.server(id)!.host === 'fake1'; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.is.not(cloud.double.server(id)!.host, 'fake1');
  });
  const run = await runRunbook(runbook, { services: cloud.services() });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  evacuatedOnce(ids);
  assert.ok(
    run.events.some(
      (e) =>
        e.event === 'step.output' &&
        /evacuation accepted earlier is under way/.test(String((e as { message?: string }).message)),
    ),
    'the refused request was recognised',
  );
  await cleanup(run);
});

test('resets and 502/503/504 on reads while confirming are retried', async () => {
  const ids = cloud.double.addServers(5, { host: 'fake1' });
  cloud.double.failNext({ status: 'reset', times: 2, route: /^GET \/v2\.1\/os-migrations/ });
  cloud.double.failNext({ status: 502, times: 1, route: /^GET \/v2\.1\/servers\/detail/ });
  cloud.double.failNext({ status: 504, times: 1, route: /^GET \/v2\.1\/os-services/ });
  const run = await runRunbook(runbook, { services: cloud.services() });
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  evacuatedOnce(ids);
  await cleanup(run);
});

test('a Keystone token that expires mid-run is renewed', async () => {
  const ids = cloud.double.addServers(5, { host: 'fake1' });
  let expired = false;
  const run = await runRunbook(runbook, {
    services: cloud.services(),
    onEvent: (event) => {
      if (!expired && event.event === 'step.progress' && (event as { kind: string }).kind === 'evacuation.accepted') {
        expired = true;
        cloud.double.expireTokens();
      }
    },
  });
  assert.ok(expired);
  assert.is(run.exitCode, 0, JSON.stringify(run.summary.error));
  evacuatedOnce(ids);
  assert.ok(cloud.double.issuedTokens().length >= 2, 'a new token was issued');
  await cleanup(run);
});

test('a server Nova will not evacuate (paused) is reported failed and the run exits 1; the others are evacuated', async () => {
  const ids = cloud.double.addServers(3, { host: 'fake1' });
  const paused = cloud.double.addServer({ host: 'fake1', name: 'paused', vmState: 'paused' }).id;
  const run = await runRunbook(runbook, { services: cloud.services() });
  assert.is(run.exitCode, 1, 'not every server was evacuated');
  assert.is(run.summary.error?.code, 'SERVERS_NOT_EVACUATED');
  assert.equal(
    run.summary.stepResults.map((s) => s.status),
    ['changed', 'changed', 'changed'],
  );
  evacuatedOnce(ids);
  const result = run.summary.servers.find((s) => s.id === paused)!;
  assert.is(result.result, 'failed');
  assert.match(result.reason ?? '', 'vm_state paused');
  assert.is(cloud.double.callCount('POST /v2.1/servers/{id}/action:evacuate'), 3, 'the paused one was never sent');
  await cleanup(run);
});

test.run();
