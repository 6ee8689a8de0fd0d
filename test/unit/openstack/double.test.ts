// The double's own Nova semantics, which the runner/steps tests and the benchmark rely on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';

let double: OpenStackDouble;
let adminToken = '';
let demoToken = '';

async function token(user: string, password: string, project: string): Promise<string> {
  const res = await fetch(`${double.keystoneUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    }),
  });
  assert.is(res.status, 201);
  return res.headers.get('x-subject-token') ?? '';
}

async function nova(
  method: string,
  path: string,
  options: { body?: unknown; version?: string; tokenValue?: string } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = {
    'x-auth-token': options.tokenValue ?? adminToken,
    'content-type': 'application/json',
  };
  if (options.version !== undefined) headers['openstack-api-version'] = `compute ${options.version}`;
  const res = await fetch(`${double.computeUrl}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  let body: unknown = text === '' ? undefined : text;
  if (res.headers.get('content-type')?.includes('json')) body = JSON.parse(text) as unknown;
  return { status: res.status, body, headers: res.headers };
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await wait(5);
  assert.ok(check(), what);
}

test.before(async () => {
  double = await startOpenStackDouble({ serviceDownTimeMs: 100, rebuildDelayMs: 20, maxLimit: 3 });
  adminToken = await token('admin', 'adminpass', 'admin');
  demoToken = await token('demo', 'demopass', 'demo');
});
test.after(async () => {
  await double.close();
});

test('Keystone: bad password 401 with the keystone error body; token has expires_at and a catalog', async () => {
  const res = await fetch(`${double.keystoneUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'x' } },
        },
      },
    }),
  });
  assert.is(res.status, 401);
  assert.equal(await res.json(), {
    error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
  });
  const ok = await fetch(`${double.keystoneUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'adminpass' } },
        },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  });
  const body = (await ok.json()) as { token: { expires_at: string; catalog: { type: string }[] } };
  assert.match(body.token.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal(body.token.catalog.map((c) => c.type).sort(), ['compute', 'identity', 'image', 'placement']);
});

test('microversions: none → 2.1 (no forced_down, integer ids); 2.53 → UUIDs; headers echo; 406 and 400 on bad versions', async () => {
  const v21 = await nova('GET', '/os-services');
  const first = (v21.body as { services: Record<string, unknown>[] }).services[0] ?? {};
  assert.is(typeof first.id, 'number');
  assert.not.ok('forced_down' in first);
  assert.is(v21.headers.get('openstack-api-version'), 'compute 2.1');
  const v253 = await nova('GET', '/os-services?binary=nova-compute', { version: '2.53' });
  assert.match(String((v253.body as { services: { id: string }[] }).services[0]?.id), /^[0-9a-f-]{36}$/);
  assert.ok(v253.headers.get('x-openstack-request-id')?.startsWith('req-'));
  const tooNew = await nova('GET', '/os-services', { version: '2.200' });
  assert.is(tooNew.status, 406);
  assert.equal(tooNew.body, {
    computeFault: {
      code: 406,
      message: 'Version 2.200 is not supported by the API. Minimum is 2.1 and maximum is 2.93.',
    },
  });
  assert.is((await nova('GET', '/os-services', { version: 'two' })).status, 400);
  assert.is((await nova('GET', '/os-services', { tokenValue: 'bogus' })).status, 401);
});

test('non-admin: exact policy 403s', async () => {
  const list = await nova('GET', '/os-services', { version: '2.53', tokenValue: demoToken });
  assert.equal(list.body, {
    forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-services:list to be performed." },
  });
  const svc = double.service('fake3');
  const update = await nova('PUT', `/os-services/${svc?.uuid ?? ''}`, {
    version: '2.53',
    body: { forced_down: true },
    tokenValue: demoToken,
  });
  assert.equal(update.body, {
    forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-services:update to be performed." },
  });
});

test('old force-down URL at 2.53 and UUID PUT at 2.52: the real 400 texts', async () => {
  const old = await nova('PUT', '/os-services/force-down', {
    version: '2.53',
    body: { binary: 'nova-compute', host: 'fake3', forced_down: true },
  });
  assert.equal(old.body, {
    badRequest: { code: 400, message: "Additional properties are not allowed ('binary', 'host' were unexpected)" },
  });
  const early = await nova('PUT', `/os-services/${double.service('fake3')?.uuid ?? ''}`, {
    version: '2.52',
    body: { forced_down: true },
  });
  assert.equal(early.body, { badRequest: { code: 400, message: "'host' is a required property" } });
  const unknown = await nova('PUT', '/os-services/force-down', {
    version: '2.11',
    body: { binary: 'nova-compute', host: 'nosuchhost', forced_down: true },
  });
  assert.equal(unknown.body, { itemNotFound: { code: 404, message: "Host 'nosuchhost' is not mapped to any cell" } });
  const partial = await nova('PUT', '/os-services/force-down', {
    version: '2.11',
    body: { binary: 'nova-compute', host: 'fake3', forced_down: true },
  });
  assert.equal(partial.body, { service: { host: 'fake3', binary: 'nova-compute', forced_down: true } });
  double.setForcedDown('fake3', false);
});

test('heartbeat: a killed compute reads down only after service_down_time; started again → up; forced_down → down at once', async () => {
  double.killCompute('fake2');
  assert.ok(double.isUp('fake2'), 'still up right after the kill');
  await until(() => !double.isUp('fake2'), 'down after service_down_time');
  double.startCompute('fake2');
  assert.ok(double.isUp('fake2'));
  double.setForcedDown('fake2', true);
  assert.not.ok(double.isUp('fake2'));
  double.setForcedDown('fake2', false);
  double.killCompute('fake2', { now: true });
  assert.not.ok(double.isUp('fake2'));
  double.startCompute('fake2');
});

test('evacuate: refused while the source is up, accepted (200, no body) when it is down; REBUILD in between', async () => {
  const id = double.addServer({ host: 'fake1' }).id;
  const refused = await nova('POST', `/servers/${id}/action`, { version: '2.93', body: { evacuate: {} } });
  assert.equal(refused.body, { badRequest: { code: 400, message: 'Compute service of fake1 is still in use.' } });
  double.killCompute('fake1', { now: true });
  double.configure({ rebuildDelayMs: 1000 }); // the checks below must see the rebuild in progress
  const accepted = await nova('POST', `/servers/${id}/action`, { version: '2.93', body: { evacuate: {} } });
  assert.is(accepted.status, 200);
  assert.is(accepted.body, undefined);
  const during = (await nova('GET', `/servers/${id}`, { version: '2.93' })).body as { server: Record<string, unknown> };
  assert.is(during.server.status, 'REBUILD');
  assert.is(during.server['OS-EXT-STS:task_state'], 'rebuilding');
  assert.is(double.migrations({ instanceUuid: id })[0]?.status, 'accepted');
  await until(() => double.migrations({ instanceUuid: id })[0]?.status === 'done', 'done');
  double.configure({ rebuildDelayMs: 20 });
  assert.is.not(double.server(id)?.host, 'fake1');
  assert.is(double.server(id)?.vmState, 'active');
});

test('a second evacuate while the first is in flight is accepted and breaks the server (Zed)', async () => {
  const id = double.addServer({ host: 'fake1' }).id;
  double.configure({ rebuildDelayMs: 1000 });
  const first = await nova('POST', `/servers/${id}/action`, { version: '2.93', body: { evacuate: {} } });
  const second = await nova('POST', `/servers/${id}/action`, { version: '2.93', body: { evacuate: {} } });
  assert.is(first.status, 200);
  assert.is(second.status, 200);
  assert.is(double.doubleEvacuations, 1);
  assert.equal(
    double
      .migrations({ instanceUuid: id })
      .map((m) => m.status)
      .sort(),
    ['accepted', 'failed'],
  );
  assert.is(double.server(id)?.vmState, 'error');
  double.configure({ rebuildDelayMs: 20 });
});

test('SHUTOFF stays SHUTOFF below 2.95; at 2.95 ACTIVE ends STOPPED; paused → 409; <2.14 needs onSharedStorage', async () => {
  const wide = await startOpenStackDouble({ microversions: { min: '2.1', max: '2.96' }, rebuildDelayMs: 10 });
  const t = await (async () => {
    const res = await fetch(`${wide.keystoneUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'adminpass' } },
          },
          scope: { project: { name: 'admin', domain: { name: 'Default' } } },
        },
      }),
    });
    return res.headers.get('x-subject-token') ?? '';
  })();
  const call = async (id: string, version: string, body: unknown): Promise<Response> =>
    fetch(`${wide.computeUrl}/servers/${id}/action`, {
      method: 'POST',
      headers: { 'x-auth-token': t, 'content-type': 'application/json', 'openstack-api-version': `compute ${version}` },
      body: JSON.stringify(body),
    });
  wide.setForcedDown('fake1', true);
  const off = wide.addServer({ host: 'fake1', vmState: 'stopped' }).id;
  const on294 = wide.addServer({ host: 'fake1' }).id;
  const on295 = wide.addServer({ host: 'fake1' }).id;
  const paused = wide.addServer({ host: 'fake1', vmState: 'paused' }).id;
  assert.is((await call(off, '2.94', { evacuate: {} })).status, 200);
  assert.is((await call(on294, '2.94', { evacuate: {} })).status, 200);
  assert.is((await call(on295, '2.95', { evacuate: {} })).status, 200);
  const conflict = await call(paused, '2.93', { evacuate: {} });
  assert.is(conflict.status, 409);
  assert.equal(await conflict.json(), {
    conflictingRequest: { code: 409, message: `Cannot 'evacuate' instance ${paused} while it is in vm_state paused` },
  });
  const old = await call(paused, '2.13', { evacuate: {} });
  assert.is(old.status, 400);
  assert.match(
    ((await old.json()) as { badRequest: { message: string } }).badRequest.message,
    "'onSharedStorage' is a required property",
  );
  const forced = await call(paused, '2.68', { evacuate: { host: 'fake2', force: true } });
  assert.is(forced.status, 400, 'force was removed in 2.68');
  await until(() => [off, on294, on295].every((id) => wide.server(id)?.taskState === null), 'rebuilt');
  assert.is(wide.server(off)?.vmState, 'stopped');
  assert.is(wide.server(on294)?.vmState, 'active');
  assert.is(wide.server(on295)?.vmState, 'stopped');
  await wide.close();
});

test('clearing forced_down: refused with the exact text while done evacuations remain; restartCompute completes them', async () => {
  double.startCompute('fake1');
  double.setForcedDown('fake1', true);
  const uuid = double.service('fake1')?.uuid ?? '';
  const refused = await nova('PUT', `/os-services/${uuid}`, { version: '2.53', body: { forced_down: false } });
  assert.equal(refused.body, {
    badRequest: {
      code: 400,
      message:
        'Unable to force up host fake1 as `done` evacuation migration records remain associated with the host. Ensure the compute service has been restarted, allowing these records to move to `completed` before retrying this request.',
    },
  });
  double.restartCompute('fake1');
  assert.ok(
    double.migrations({ sourceCompute: 'fake1' }).every((m) => m.status === 'completed' || m.status === 'failed'),
  );
  const ok = await nova('PUT', `/os-services/${uuid}`, { version: '2.53', body: { forced_down: false } });
  assert.is(ok.status, 200);
  assert.is((ok.body as { service: { state: string } }).service.state, 'up');
});

test('servers: max_limit pages with servers_links, bad marker 400, host filter ignored for non-admins; all_tenants 403', async () => {
  const ids = double.addServers(5, { host: 'fake3' });
  const page1 = (await nova('GET', '/servers/detail?all_tenants=1&host=fake3', { version: '2.73' })).body as {
    servers: { id: string }[];
    servers_links?: { href: string }[];
  };
  assert.is(page1.servers.length, 3);
  assert.match(page1.servers_links?.[0]?.href ?? '', 'marker=');
  const bad = await nova('GET', '/servers/detail?marker=nope', { version: '2.73' });
  assert.equal(bad.body, { badRequest: { code: 400, message: 'marker [nope] not found' } });
  const demoAll = await nova('GET', '/servers/detail?all_tenants=1', { tokenValue: demoToken });
  assert.is(demoAll.status, 403);
  double.addServer({ host: 'fake2', projectId: double.demoProjectId });
  const demoHost = (await nova('GET', '/servers/detail?host=fake3', { tokenValue: demoToken })).body as {
    servers: Record<string, unknown>[];
  };
  assert.is(demoHost.servers.length, 1, 'the host filter is silently dropped: the demo server on fake2 comes back');
  assert.not.ok('OS-EXT-SRV-ATTR:host' in (demoHost.servers[0] ?? {}));
  assert.ok(ids.length === 5);
});

test('injected failures, latency and counters', async () => {
  double.resetCalls();
  double.failNext({ status: 503, route: 'GET /v2.1/os-services' });
  assert.is((await nova('GET', '/os-services')).status, 503);
  assert.is((await nova('GET', '/os-services')).status, 200);
  assert.is(double.callCount('GET /v2.1/os-services'), 2);
  double.failNext({ status: 'reset', route: /os-migrations/ });
  const reset = await fetch(`${double.computeUrl}/os-migrations`, { headers: { 'x-auth-token': adminToken } }).then(
    () => 'answered',
    () => 'reset',
  );
  assert.is(reset, 'reset');
  double.setLatency({ min: 5, max: 10 });
  assert.is((await nova('GET', '/os-services')).status, 200);
  double.setLatency(0);
  double.expireTokens();
  assert.is((await nova('GET', '/os-services')).status, 401);
  adminToken = await token('admin', 'adminpass', 'admin');
});

test('1000 servers on one host and 3 on another: the per-host index lists each exactly', async () => {
  const big = await startOpenStackDouble({ computes: ['a', 'b'] });
  big.addServers(1000, { host: 'a' });
  big.addServers(3, { host: 'b' });
  assert.is(big.serversOn('a').length, 1000);
  assert.is(big.serversOn('b').length, 3);
  await big.close();
});

test.run();
