import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { floor } from '../../../bench/strategies/floor.js';
import { masakariLike } from '../../../bench/strategies/masakari-like.js';
import { settled } from '../../../bench/strategies/common.js';
import type { OpenStackClient, Server } from '../../../src/openstack/index.js';
import { startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';
import { connectTo } from '../openstack/helpers.js';

/**
 * Issue 15: the reference strategies against the double's real failure modes. A server whose
 * evacuation Nova refuses (NoValidHost) is left in ERROR on its host: Masakari-like must count
 * it failed at once, not poll it until its per-server timeout; the floor resends it up to its
 * attempts and then reports it.
 */
const test = suite('bench: reference strategies');
let double: OpenStackDouble;
let client: OpenStackClient;
test.before.each(async () => {
  double = await startOpenStackDouble({ rebuildDelayMs: 40 });
  client = await connectTo(double);
});
test.after.each(async () => {
  await client.close();
  await double.close();
});

async function fenced(host: string): Promise<void> {
  double.killCompute(host, { now: true });
  await client.compute.setForcedDown(await client.compute.findComputeService(host), true);
}

const server = (over: Partial<Server>): Server =>
  ({ id: 's', name: 's', host: 'fake1', vmState: 'active', taskState: null, ...over }) as Server;

test('settled: ERROR with no task is failed wherever the server is; a task in progress is pending', () => {
  assert.is(settled(server({ vmState: 'error' }), 'fake1', 'active'), 'failed');
  assert.is(settled(server({ vmState: 'error', host: 'fake2' }), 'fake1', 'active'), 'failed');
  assert.is(settled(server({ taskState: 'rebuilding' }), 'fake1', 'active'), 'pending');
  assert.is(settled(server({ vmState: 'active' }), 'fake1', 'active'), 'pending');
  assert.is(settled(server({ vmState: 'active', host: 'fake2' }), 'fake1', 'active'), 'done');
  assert.is(settled(server({ vmState: 'stopped', host: 'fake2' }), 'fake1', 'stopped'), 'done');
});

test('masakari-like: a server Nova refuses (NoValidHost) counts failed at once, the others evacuate', async () => {
  const [bad, ...good] = double.addServers(5, { host: 'fake1' });
  double.failEvacuations({ kind: 'no-valid-host', serverIds: [bad], times: 10 });
  await fenced('fake1');
  const result = await masakariLike(client, 'fake1', { pollIntervalMs: 20, serverTimeoutMs: 60_000, workers: 3 });
  assert.equal(result.failed, [bad]);
  assert.is(result.evacuated, 4);
  for (const id of good) assert.is.not(double.server(id)!.host, 'fake1');
  // polled until it read ERROR, not for the 60 s timeout (3000 reads at 20 ms)
  assert.ok(result.requests < 100, `${result.requests} requests`);
});

test('floor: a server that fails every attempt is resent up to 3 attempts, then reported failed', async () => {
  const [bad, ...good] = double.addServers(4, { host: 'fake1' });
  double.failEvacuations({ kind: 'no-valid-host', serverIds: [bad], times: 10 });
  await fenced('fake1');
  const result = await floor(client, 'fake1', { pollIntervalMs: 20, serverTimeoutMs: 60_000 });
  assert.equal(result.failed, [bad]);
  assert.is(result.evacuated, 3);
  assert.is(result.retries, 2);
  assert.is(double.migrations({ instanceUuid: bad }).length, 3);
  for (const id of good) assert.is(double.migrations({ instanceUuid: id }).length, 1);
});

test.run();
