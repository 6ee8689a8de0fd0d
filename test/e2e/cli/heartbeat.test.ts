import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpenStackClient } from '../../../src/openstack/index.js';
import { adminClient, computeAlive, ensureHealthy, forcedown, ipmitool, until } from '../support/testbed.js';

/**
 * Issue 5's scenarios on the real testbed: power a host off through its BMC and see its
 * nova-compute die and Nova report it down after the heartbeat timeout (service_down_time, 60 s
 * by default: this is why forcedown forces down instead of waiting); the non-admin user gets
 * forcedown's exit 4 with Nova's policy message, not a stack trace.
 */
const test = suite('heartbeat and policy on the real testbed');
const HOST = 'fake3';
let client: OpenStackClient;

test.before(async () => {
  client = await adminClient();
  await ensureHealthy(client, HOST);
});
test.after(async () => {
  await ensureHealthy(client, HOST);
  await client.close();
});

test('a BMC power-off kills nova-compute; Nova notices only after the heartbeat timeout', async () => {
  const before = await client.compute.findComputeService(HOST);
  assert.is(before.state, 'up');
  const off = ipmitool(HOST, 'off');
  assert.is(off.status, 0, off.stderr);
  assert.match(off.stdout, 'Down/Off');
  const offAt = Date.now();
  // ipmi_sim runs its chassis_control program after answering: the process dies within moments
  await until(async () => (computeAlive(HOST) ? undefined : true), `${HOST}'s nova-compute to die`, 10_000, 50);
  assert.match(ipmitool(HOST, 'status').stdout, 'Chassis Power is off');
  // right after the power cut Nova still believes the host is up
  assert.is((await client.compute.findComputeService(HOST)).state, 'up');
  await until(
    async () => ((await client.compute.findComputeService(HOST)).state === 'down' ? true : undefined),
    `${HOST} down in Nova`,
    150_000,
    1000,
  );
  const waited = Date.now() - offAt;
  assert.ok(waited > 5_000, `Nova took ${waited} ms: it waits for the heartbeat timeout`);
  const on = ipmitool(HOST, 'on');
  assert.is(on.status, 0, on.stderr);
  await until(
    async () => ((await client.compute.findComputeService(HOST)).state === 'up' ? true : undefined),
    `${HOST} up again`,
    150_000,
    1000,
  );
});

test("the non-admin user gets exit 4 with Nova's policy message, not a stack trace", async () => {
  const services = await forcedown(['services'], { OS_CLOUD: 'testbed-demo' });
  assert.is(services.code, 4, services.stderr);
  assert.match(services.stderr, "Policy doesn't allow os_compute_api:os-services:list to be performed.");
  assert.match(services.stderr, 'what to do:');
  assert.not.match(services.stderr, /\n\s+at .+:\d+:\d+/);
  const plan = await forcedown(
    ['plan', 'runbooks/evacuate-only.json', '--var', `host=${HOST}`, '--assume-fenced', 'test: nothing will run'],
    { OS_CLOUD: 'testbed-demo' },
  );
  assert.is(plan.code, 4, plan.stderr + plan.stdout);
  assert.match(plan.stdout, 'os_compute_api:os-services:list');
  const state = await mkdtemp(join(tmpdir(), 'fd-e2e-demo-'));
  const run = await forcedown(
    [
      'run',
      'runbooks/evacuate-only.json',
      '--var',
      `host=${HOST}`,
      '--assume-fenced',
      'test: nothing will run',
      '--yes',
      '--output',
      'json',
      '--state-dir',
      state,
    ],
    { OS_CLOUD: 'testbed-demo' },
  );
  await rm(state, { recursive: true, force: true });
  assert.is(run.code, 4, run.stderr + run.stdout.slice(-1500));
  assert.not.match(run.stdout + run.stderr, /\n\s+at .+:\d+:\d+/);
  const service = await client.compute.findComputeService(HOST);
  assert.not.ok(service.forcedDown, 'nothing changed');
});

test.run();
