import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OpenStackApiError, OpenStackConnectionError, type OpenStackClient } from '../../../src/openstack/index.js';
import { DEFAULT_RETRY_POLICY, backoffDelay } from '../../../src/openstack/http/retry.js';
import { startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';
import { connectTo, rejection } from './helpers.js';

let double: OpenStackDouble;
let client: OpenStackClient;
test.before(async () => {
  double = await startOpenStackDouble({ rebuildDelayMs: 10 });
  client = await connectTo(double);
});
test.after(async () => {
  await client.close();
  await double.close();
});
test.before.each(() => {
  double.resetCalls();
});

test('backoff: exponential, capped, jittered into [50%, 100%)', () => {
  const p = { retries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.is(
    backoffDelay(p, 1, () => 0),
    50,
  );
  assert.is(
    backoffDelay(p, 1, () => 0.999999),
    100,
  );
  assert.is(
    backoffDelay(p, 3, () => 0.999999),
    400,
  );
  assert.is(
    backoffDelay(p, 10, () => 0.999999),
    1000,
  );
  assert.is(
    backoffDelay(p, 10, () => 0),
    500,
  );
  assert.equal(DEFAULT_RETRY_POLICY, { retries: 3, baseDelayMs: 500, maxDelayMs: 8000 });
});

test('GET is retried on 503 and succeeds; retries are counted', async () => {
  const before = client.stats;
  double.failNext({ status: 503, times: 2, route: 'GET /v2.1/os-services' });
  const services = await client.compute.listServices();
  assert.ok(services.length > 0);
  assert.is(double.callCount('GET /v2.1/os-services'), 3);
  assert.is(client.stats.retries - before.retries, 2);
  assert.is(client.stats.requests - before.requests, 3);
});

test('GET is retried after a connection reset and on 502/504', async () => {
  double.failNext({ status: 'reset', route: 'GET /v2.1/servers/{id}' });
  double.failNext({ status: 502, route: 'GET /v2.1/servers/{id}' });
  double.failNext({ status: 504, route: 'GET /v2.1/servers/{id}' });
  const id = double.addServer({ host: 'fake3' }).id;
  assert.is((await client.compute.getServer(id)).id, id);
  assert.is(double.callCount('GET /v2.1/servers/{id}'), 4);
});

test('PUT on os-services is retried (idempotent)', async () => {
  const svc = await client.compute.findComputeService('fake3');
  double.resetCalls();
  double.failNext({ status: 503, route: 'PUT /v2.1/os-services/{id}' });
  const updated = await client.compute.disableService(svc, 'maintenance');
  assert.is(updated.status, 'disabled');
  assert.is(double.callCount('PUT /v2.1/os-services/{id}'), 2);
  await client.compute.enableService(updated);
});

test('retries give up after the configured count with the last error', async () => {
  double.failNext({ status: 503, times: 10, route: 'GET /v2.1/os-migrations' });
  const e = (await rejection(client.compute.listMigrations({}))) as OpenStackApiError;
  assert.instance(e, OpenStackApiError);
  assert.is(e.status, 503);
  assert.ok(e.isRetryable);
  assert.is(e.code, 'NOVA_UNAVAILABLE');
  assert.is(double.callCount('GET /v2.1/os-migrations'), 4, '1 + 3 retries');
  double.clearFailures();
  assert.equal(await client.compute.listMigrations({}), []);
});

test('the evacuate POST is never retried: not on 503, not on a connection reset', async () => {
  const svc = await client.compute.findComputeService('fake1');
  await client.compute.setForcedDown(svc, true);
  const id = double.addServer({ host: 'fake1' }).id;
  double.resetCalls();
  double.failNext({ status: 503, route: 'POST /v2.1/servers/{id}/action:evacuate' });
  const e503 = (await rejection(client.compute.evacuate(id))) as OpenStackApiError;
  assert.is(e503.status, 503);
  assert.is(double.callCount('POST /v2.1/servers/{id}/action:evacuate'), 1);
  double.failNext({ status: 'reset', route: 'POST /v2.1/servers/{id}/action:evacuate' });
  const reset = await rejection(client.compute.evacuate(id));
  assert.instance(reset, OpenStackConnectionError);
  assert.is(double.callCount('POST /v2.1/servers/{id}/action:evacuate'), 2);
  assert.is(double.doubleEvacuations, 0);
  assert.is(double.migrations({ instanceUuid: id }).length, 0, 'neither attempt reached Nova');
  await client.compute.setForcedDown(svc, false);
});

test('other server actions (resetState, stop, start) are never retried', async () => {
  const id = double.addServer({ host: 'fake2' }).id;
  for (const [route, call] of [
    ['POST /v2.1/servers/{id}/action:os-resetState', () => client.compute.resetState(id, 'error')],
    ['POST /v2.1/servers/{id}/action:os-stop', () => client.compute.stopServer(id)],
    ['POST /v2.1/servers/{id}/action:os-start', () => client.compute.startServer(id)],
  ] as const) {
    double.failNext({ status: 502, route });
    await rejection(call());
    assert.is(double.callCount(route), 1, route);
  }
});

test('4xx answers are never retried', async () => {
  await rejection(client.compute.getServer('missing-server'));
  assert.is(double.callCount('GET /v2.1/servers/{id}'), 1);
  const demo = await connectTo(double, 'demo');
  double.resetCalls();
  await rejection(demo.compute.listServices());
  assert.is(double.callCount('GET /v2.1/os-services'), 1);
  await demo.close();
});

test('Keystone token requests are retried on 503 (issuing a token is idempotent)', async () => {
  double.failNext({ status: 503, route: 'POST /v3/auth/tokens' });
  const other = await connectTo(double);
  assert.is(double.callCount('POST /v3/auth/tokens'), 2);
  await other.close();
});

test.run();
