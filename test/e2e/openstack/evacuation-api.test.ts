import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpenStackApiError, OpenStackClient } from '../../../src/openstack/index.js';
import { adminClient, bootServers, deleteServers, until } from '../support/testbed.js';

/**
 * The client calls the evacuation engine adds (issue 12), against the real Nova of the testbed:
 * the behaviour the OpenStack double copies for them (lock/unlock and locked_reason at 2.73,
 * pause/suspend carried out by the compute, 409s, Nova's clock from its Date header, host names
 * as operators type them).
 */
const test = suite('evacuation API calls against the real Nova');
const PREFIX = 'e2e-evapi';
let client: OpenStackClient;

test.before(async () => {
  client = await adminClient();
  await deleteServers(client, PREFIX);
});
test.after(async () => {
  try {
    await deleteServers(client, PREFIX);
  } finally {
    await client.close();
  }
});

test('lock with a reason (2.73) and unlock; pause and suspend are carried out; pause outside ACTIVE → 409', async () => {
  const [a, b] = await bootServers(client, 'fake2', 2, { prefix: PREFIX });
  await client.compute.lockServer(a.id, { reason: 'forcedown run e2e: evacuating from fake2' });
  let server = await client.compute.getServer(a.id);
  assert.equal([server.locked, server.lockedReason], [true, 'forcedown run e2e: evacuating from fake2']);
  await client.compute.unlockServer(a.id);
  server = await client.compute.getServer(a.id);
  assert.equal([server.locked, server.lockedReason], [false, null]);

  await client.compute.pauseServer(a.id);
  await client.compute.suspendServer(b.id);
  await until(
    async () =>
      (await client.compute.getServer(a.id)).status === 'PAUSED' &&
      (await client.compute.getServer(b.id)).status === 'SUSPENDED',
    'PAUSED and SUSPENDED',
  );
  const conflict = (await client.compute.pauseServer(b.id).catch((error: unknown) => error)) as OpenStackApiError;
  assert.is(conflict.status, 409);
  assert.match(conflict.apiMessage, `Cannot 'pause' instance ${b.id} while it is in vm_state suspended`);
});

test("Nova's clock from its Date headers: bounds of at most about a second around the testbed's (shared) clock", async () => {
  await client.compute.listServices();
  const now = Date.now();
  const earliest = client.compute.clock!.earliest(now)!;
  const latest = client.compute.clock!.latest(now)!;
  assert.ok(latest - earliest <= 1500, `${latest - earliest} ms wide`);
  assert.ok(earliest <= now + 100 && latest >= now - 100, `[${earliest - now}, ${latest - now}] ms around ours`);
});

test('host names as operators type them: fake2.example.net and FAKE2 find fake2', async () => {
  assert.is((await client.compute.findComputeService('fake2.example.net')).host, 'fake2');
  assert.is((await client.compute.findComputeService('FAKE2')).host, 'fake2');
});

test.run();
