import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForcedownError } from '../../../src/errors/index.js';
import type { OpenStackApiError } from '../../../src/openstack/index.js';
import { type OpenStackClient } from '../../../src/openstack/index.js';
import { startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';
import { connectTo, rejection, until } from './helpers.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

let double: OpenStackDouble;
let client: OpenStackClient;
test.before(async () => {
  double = await startOpenStackDouble({
    computes: ['fake1', 'fake2', 'fake3', 'fake4'],
    rebuildDelayMs: 20,
    maxLimit: 7,
  });
  client = await connectTo(double);
});
test.after(async () => {
  await client.close();
  await double.close();
});

test('listServices: all binaries, normalised; filters by host and binary', async () => {
  const all = await client.compute.listServices();
  assert.ok(all.some((s) => s.binary === 'nova-scheduler' && s.zone === 'internal'));
  const fake1 = await client.compute.listServices({ host: 'fake1', binary: 'nova-compute' });
  assert.is(fake1.length, 1);
  const [svc] = fake1;
  assert.match(svc?.id ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(
    { host: svc?.host, state: svc?.state, status: svc?.status, forcedDown: svc?.forcedDown },
    { host: 'fake1', state: 'up', status: 'enabled', forcedDown: false },
  );
});

test('findComputeService: unknown host → exit 2 naming the compute hosts', async () => {
  const error = await rejection(client.compute.findComputeService('fake9'));
  assert.instance(error, ForcedownError);
  const e = error as ForcedownError;
  assert.is(e.code, 'NOVA_UNKNOWN_HOST');
  assert.is(exitCodeOf(e), 2);
  assert.match(e.message, 'fake1, fake2, fake3, fake4');
});

test('2.53: force down and up by UUID in one PUT each (full record answer, no re-read)', async () => {
  const svc = await client.compute.findComputeService('fake4');
  double.resetCalls();
  const down = await client.compute.setForcedDown(svc, true);
  assert.equal({ forcedDown: down.forcedDown, state: down.state }, { forcedDown: true, state: 'down' });
  assert.is(double.callCount('PUT /v2.1/os-services/{id}'), 1);
  assert.is(double.callCount('GET /v2.1/os-services'), 0);
  assert.equal(double.log[0]?.body, { forced_down: true });
  assert.is(double.log[0]?.microversion, '2.53');
  const disabled = await client.compute.disableService(down, 'forcedown:run-1 INC-4711');
  assert.equal(
    { status: disabled.status, reason: disabled.disabledReason },
    { status: 'disabled', reason: 'forcedown:run-1 INC-4711' },
  );
  assert.equal(double.log[1]?.body, { status: 'disabled', disabled_reason: 'forcedown:run-1 INC-4711' });
  const enabled = await client.compute.enableService(disabled);
  assert.is(enabled.status, 'enabled');
  assert.is(enabled.disabledReason, null);
  const up = await client.compute.setForcedDown(enabled, false);
  assert.is(up.state, 'up');
});

test('an integer service id (from a 2.11 listing) is looked up by host before the 2.53 PUT', async () => {
  const svc = await client.compute.findComputeService('fake4');
  const legacy = { ...svc, id: '7' };
  const down = await client.compute.setForcedDown(legacy, true);
  assert.is(down.id, svc.id);
  await client.compute.setForcedDown(down, false);
});

test('servers on a host: all pages followed (max_limit 7, page size 3), only that host, all projects', async () => {
  const ids = double.addServers(10, { host: 'fake2', name: 'page' });
  double.addServer({ host: 'fake2', projectId: double.demoProjectId, name: 'demo-vm' });
  double.addServers(3, { host: 'fake3' });
  double.resetCalls();
  const servers = await client.compute.listServersOnHost('fake2', { pageSize: 3 });
  assert.is(servers.length, 11);
  assert.ok(ids.every((id) => servers.some((s) => s.id === id)));
  assert.ok(servers.some((s) => s.projectId === double.demoProjectId));
  assert.ok(servers.every((s) => s.host === 'fake2'));
  assert.is(double.callCount('GET /v2.1/servers/detail'), 4, '3+3+3+2');
  assert.ok(double.log.every((c) => c.path.includes('all_tenants=1') && c.path.includes('host=fake2')));
  // default page size is capped by the server's max_limit: still every server
  double.resetCalls();
  assert.is((await client.compute.listServersOnHost('fake2')).length, 11);
  assert.is(double.callCount('GET /v2.1/servers/detail'), 2, '7 + 4 (max_limit 7)');
  const [first] = servers;
  assert.is(first?.flavor.name, 'm1.tiny');
  assert.is(first?.imageId, double.imageId);
  assert.is(first?.vmState, 'active');
});

test('a full last page is followed by one empty page, then the listing stops', async () => {
  double.addServers(7, { host: 'fake3' });
  double.resetCalls();
  const servers = await client.compute.listServersOnHost('fake3', { pageSize: 5 });
  assert.is(servers.length, 10);
  assert.is(double.callCount('GET /v2.1/servers/detail'), 3, '5 (next) + 5 (full, so next) + 0');
  double.resetCalls();
  assert.is((await client.compute.listServersOnHost('fake3', { pageSize: 10 })).length, 10);
  assert.is(double.callCount('GET /v2.1/servers/detail'), 2, 'page size 10 is capped at max_limit 7: 7 + 3');
});

test('a non-admin cannot list servers by host: exit 4 (Nova would return its own servers on every host)', async () => {
  const demo = await connectTo(double, 'demo');
  const error = await rejection(demo.compute.listServersOnHost('fake2'));
  assert.instance(error, ForcedownError);
  assert.is(exitCodeOf(error), 4);
  assert.match((error as Error).message, 'get_all_tenants');
  await demo.close();
});

test('evacuate after force-down: migration accepted → done, server moves and stays ACTIVE; never a double evacuate', async () => {
  const [id] = double.addServers(1, { host: 'fake1', name: 'evac' });
  const stopped = double.addServer({ host: 'fake1', vmState: 'stopped', name: 'evac-off' }).id;
  const svc = await client.compute.findComputeService('fake1');
  const refused = await rejection(client.compute.evacuate(id));
  assert.ok((refused as OpenStackApiError).isServiceInUse);
  await client.compute.setForcedDown(svc, true);
  double.resetCalls();
  // long enough that the GET below sees the rebuild in progress, whatever the machine's load
  double.configure({ rebuildDelayMs: 500 });
  await client.compute.evacuate(id);
  await client.compute.evacuate(stopped);
  double.configure({ rebuildDelayMs: 20 });
  assert.equal(double.log[0]?.body, { evacuate: {} });
  assert.is(double.log[0]?.microversion, '2.93');
  const during = await client.compute.getServer(id);
  assert.is(during.taskState, 'rebuilding');
  assert.is(during.status, 'REBUILD');
  await until(
    async () =>
      (await client.compute.listMigrations({ instanceUuid: id, migrationType: 'evacuation' }))[0]?.status === 'done',
    'migration done',
    10_000,
  );
  const [migration] = await client.compute.listMigrations({ instanceUuid: id, migrationType: 'evacuation' });
  assert.is(migration?.sourceCompute, 'fake1');
  assert.match(migration?.uuid ?? '', /^[0-9a-f-]{36}$/);
  assert.is(migration?.migrationType, 'evacuation');
  const after = await client.compute.getServer(id);
  assert.is(after.status, 'ACTIVE');
  assert.is.not(after.host, 'fake1');
  await until(() => double.server(stopped)?.taskState === null, 'stopped server rebuilt', 10_000);
  assert.is((await client.compute.getServer(stopped)).status, 'SHUTOFF', 'SHUTOFF stays SHUTOFF below 2.95');
  assert.is(double.doubleEvacuations, 0, 'the client never re-sent an evacuate');
  // clearing forced_down is refused while done records remain; a compute restart completes them
  const blocked = await rejection(client.compute.setForcedDown(svc, false));
  assert.ok((blocked as OpenStackApiError).isDoneEvacuationRecordsRemain);
  double.restartCompute('fake1');
  assert.is(
    (await client.compute.listMigrations({ sourceCompute: 'fake1', migrationType: 'evacuation' })).every(
      (m) => m.status === 'completed',
    ),
    true,
  );
  assert.is((await client.compute.setForcedDown(svc, false)).state, 'up');
});

test('evacuate to a target host; a paused server → 409', async () => {
  const svc = await client.compute.findComputeService('fake3');
  const id = double.addServer({ host: 'fake3' }).id;
  const paused = double.addServer({ host: 'fake3', vmState: 'paused' }).id;
  await client.compute.setForcedDown(svc, true);
  double.resetCalls();
  await client.compute.evacuate(id, { targetHost: 'fake4' });
  assert.equal(double.log[0]?.body, { evacuate: { host: 'fake4' } });
  await until(() => double.server(id)?.host === 'fake4', 'moved to fake4');
  const error = (await rejection(client.compute.evacuate(paused))) as OpenStackApiError;
  assert.ok(error.isConflict);
  assert.is(exitCodeOf(error), 1);
  assert.match(error.apiMessage, `Cannot 'evacuate' instance ${paused} while it is in vm_state paused`);
  double.restartCompute('fake3');
  await client.compute.setForcedDown(svc, false);
});

test('reset-state, stop and start', async () => {
  const id = double.addServer({ host: 'fake2' }).id;
  await client.compute.stopServer(id);
  assert.is((await client.compute.getServer(id)).status, 'SHUTOFF');
  await client.compute.startServer(id);
  assert.is((await client.compute.getServer(id)).status, 'ACTIVE');
  await client.compute.resetState(id, 'error');
  const s = await client.compute.getServer(id);
  assert.equal(
    { status: s.status, vmState: s.vmState, taskState: s.taskState },
    { status: 'ERROR', vmState: 'error', taskState: null },
  );
  const conflict = (await rejection(client.compute.startServer(id))) as OpenStackApiError;
  assert.is(conflict.status, 409);
  await client.compute.resetState(id, 'active');
});

test('os-migrations: filters and paging past max_limit (2.59+ markers)', async () => {
  const host = 'fake4';
  const svc = await client.compute.findComputeService(host);
  const ids = double.addServers(9, { host });
  await client.compute.setForcedDown(svc, true);
  for (const id of ids) await client.compute.evacuate(id);
  await until(() => ids.every((id) => double.server(id)?.taskState === null), 'evacuations finished');
  double.resetCalls();
  const all = await client.compute.listMigrations({ sourceCompute: host, migrationType: 'evacuation' });
  assert.is(all.length, 9);
  assert.is(double.callCount('GET /v2.1/os-migrations'), 2, '7 (max_limit, next link) + 2');
  assert.ok(all.every((m) => m.sourceCompute === host && m.status === 'done'));
  const one = await client.compute.listMigrations({
    instanceUuid: ids[3],
    migrationType: 'evacuation',
    status: 'done',
  });
  assert.is(one.length, 1);
  assert.is(one[0]?.instanceUuid, ids[3]);
  double.restartCompute(host);
  await client.compute.setForcedDown(svc, false);
});

test('servers changed since a time: all projects, every page, optionally one host; faults of ERROR servers', async () => {
  const old = double.addServers(4, { host: 'fake2', name: 'old' });
  await new Promise((r) => setTimeout(r, 5));
  const since = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 5));
  const fresh = [
    double.addServer({ host: 'fake2', name: 'fresh-a' }).id,
    double.addServer({ host: 'fake3', name: 'fresh-b', projectId: double.demoProjectId }).id,
  ];
  await client.compute.resetState(old[0], 'error');
  double.resetCalls();
  const changed = await client.compute.listServersChangedSince?.(since, { pageSize: 2 });
  assert.ok(changed !== undefined);
  const ids = new Set(changed.map((s) => s.id));
  assert.ok(fresh.every((id) => ids.has(id)));
  assert.ok(ids.has(old[0]), 'reset-state changed it');
  assert.not.ok(ids.has(old[1]));
  assert.ok(double.log.every((c) => c.path.includes('changes-since=') && c.path.includes('all_tenants=1')));
  assert.ok(double.callCount('GET /v2.1/servers/detail') >= 2, 'paginated');
  const onFake3 = (await client.compute.listServersChangedSince?.(since, { host: 'fake3' })) ?? [];
  assert.equal(
    onFake3.map((s) => s.id),
    [fresh[1]],
  );
  // a double evacuation leaves a fault message on the server
  const svc = await client.compute.findComputeService('fake2');
  await client.compute.setForcedDown(svc, true);
  double.configure({ rebuildDelayMs: 2000 });
  const victim = old[1];
  await client.compute.evacuate(victim);
  await client.compute.evacuate(victim);
  double.configure({ rebuildDelayMs: 20 });
  const broken = await client.compute.getServer(victim);
  assert.is(broken.vmState, 'error');
  assert.match(broken.fault ?? '', "Expected: {'task_state': ['rebuilding']}");
  assert.is(double.doubleEvacuations, 1, 'this test did it on purpose');
  await client.compute.resetState(victim, 'active');
  double.restartCompute('fake2');
  await client.compute.setForcedDown(svc, false);
});

test('flavor extra specs and Glance image tags/properties', async () => {
  double.addFlavor({ id: 'ha', name: 'ha.small', extraSpecs: { evacuable: 'true', 'hw:cpu_policy': 'dedicated' } });
  const flavor = await client.compute.getFlavor('ha');
  assert.equal(flavor, { id: 'ha', name: 'ha.small', extraSpecs: { evacuable: 'true', 'hw:cpu_policy': 'dedicated' } });
  const image = double.addImage({
    name: 'ha-image',
    tags: ['evacuable'],
    properties: { os_distro: 'debian', 'instanceha:restart_priority': '10' },
  });
  const info = await client.image.getImage(image);
  assert.equal(info.tags, ['evacuable']);
  assert.is(info.properties.os_distro, 'debian');
  const missing = (await rejection(client.image.getImage('nope'))) as OpenStackApiError;
  assert.is(missing.status, 404);
  assert.is(missing.service, 'glance');
  assert.match(missing.apiMessage, 'No image found with ID nope');
});

test('flavor extra specs below 2.61 come from os-extra_specs', async () => {
  const old = await startOpenStackDouble({ microversions: { min: '2.1', max: '2.53' } });
  old.addFlavor({ id: 'x', name: 'x', extraSpecs: { evacuable: 'true' } });
  const c = await connectTo(old);
  assert.equal((await c.compute.getFlavor('x')).extraSpecs, { evacuable: 'true' });
  assert.is(old.callCount('GET /v2.1/flavors/{id}/os-extra_specs'), 1);
  await c.close();
  await old.close();
});

test('cancellation: an aborted signal rejects with an AbortError', async () => {
  const controller = new AbortController();
  double.setLatency(200);
  const pending = client.compute.listServices({}, { signal: controller.signal });
  controller.abort();
  const error = await rejection(pending);
  double.setLatency(0);
  assert.is((error as Error).name, 'AbortError');
});

test.run();
