// The OpenStack client against the real testbed (Debian 12 Nova 26 Zed + Keystone on 127.0.0.1).
// Needs /tmp/forcedown-testbed/testbed.json (written by test/e2e/testbed/up.sh; override with
// FORCEDOWN_TESTBED_JSON). Every test restores what it changed: force-down cleared, services
// enabled with their original reason, servers it booted deleted.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { command as servicesCommand } from '../../../src/cli/commands/services.js';
import {
  OpenStackApiError,
  connect,
  loadCloudConfig,
  type ComputeService,
  type OpenStackClient,
} from '../../../src/openstack/index.js';
import { redactDeep } from '../../../src/secrets/index.js';
import { captureOutput } from '../../support/captured-output.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

interface Testbed {
  keystoneUrl: string;
  novaUrl: string;
  cloudsYaml: string;
  secureYaml: string;
  computes: { host: string }[];
  admin: { username: string; password: string; project: string; cloud: string };
  demo: { username: string; password: string; project: string; cloud: string };
  imageId: string;
  flavorId: string;
  nova: { maxMicroversion: string };
}

const testbedPath = process.env.FORCEDOWN_TESTBED_JSON ?? '/tmp/forcedown-testbed/testbed.json';
const testbed = JSON.parse(readFileSync(testbedPath, 'utf8')) as Testbed;
const scratch = mkdtempSync(join(tmpdir(), 'fd-e2e-os-'));
const HOST = 'fake3';

function configFor(cloud: string, extra: Record<string, string> = {}) {
  return loadCloudConfig({
    env: {
      OS_CLIENT_CONFIG_FILE: testbed.cloudsYaml,
      OS_CLIENT_SECURE_FILE: testbed.secureYaml,
      OS_CLOUD: cloud,
      ...extra,
    },
    cwd: scratch,
    home: scratch,
    etcDir: join(scratch, 'etc'),
    warn: () => undefined,
  });
}

const opts = { retry: { retries: 2, baseDelayMs: 200, maxDelayMs: 1000 }, warn: () => undefined };
let admin: OpenStackClient;
let original: ComputeService;

/** Waits until the host is up and not forced down (another suite may be using it). */
async function settled(client: OpenStackClient, host: string): Promise<ComputeService> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const svc = await client.compute.findComputeService(host);
    if (!svc.forcedDown && svc.state === 'up') return svc;
    if (Date.now() > deadline)
      throw new Error(`${host} stays forced_down=${svc.forcedDown} state=${svc.state}; another test left it so`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Puts the service back as it was at the start (forced_down false, status and reason). */
async function restore(client: OpenStackClient, host: string): Promise<void> {
  let svc = await client.compute.findComputeService(host);
  if (svc.forcedDown) svc = await client.compute.setForcedDown(svc, false);
  if (original.status === 'enabled' && svc.status !== 'enabled') svc = await client.compute.enableService(svc);
  if (original.status === 'disabled' && (svc.status !== 'disabled' || svc.disabledReason !== original.disabledReason)) {
    await client.compute.disableService(svc, original.disabledReason ?? 'restored by forcedown e2e');
  }
}

test.before(async () => {
  admin = await connect(configFor(testbed.admin.cloud), opts);
  original = await settled(admin, HOST);
});
test.after(async () => {
  try {
    await restore(admin, HOST);
  } finally {
    await admin.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('clouds.yaml + secure.yaml of the testbed; negotiated microversions', () => {
  assert.is(admin.config.cloudName, testbed.admin.cloud);
  assert.is(admin.config.authType, 'password');
  assert.is(admin.compute.versions.max, testbed.nova.maxMicroversion);
  assert.is(admin.compute.versions.min, '2.1');
  assert.is(admin.compute.servicesMicroversion, '2.53');
  assert.is(admin.compute.evacuateMicroversion, testbed.nova.maxMicroversion === '2.93' ? '2.93' : '2.94');
  assert.ok(admin.projectId !== undefined && admin.projectId.length > 0);
});

test('services listing (forcedown services) shows every fake compute with forced_down', async () => {
  const services = await admin.compute.listServices({ binary: 'nova-compute' });
  const hosts = services.map((s) => s.host);
  for (const { host } of testbed.computes) assert.ok(hosts.includes(host), `${host} listed`);
  for (const svc of services) {
    assert.match(svc.id, /^[0-9a-f-]{36}$/);
    assert.is(typeof svc.forcedDown, 'boolean');
    assert.is(svc.zone, 'nova');
    assert.ok(svc.state === 'up' || svc.state === 'down');
  }
  const all = await admin.compute.listServices();
  assert.ok(all.some((s) => s.binary === 'nova-scheduler' || s.binary === 'nova-conductor'));
});

test('forcedown services --output json against the testbed: fake1..3 with forced_down', async () => {
  const { stdout, stderr, out: written, err: errors } = captureOutput();
  const env = {
    OS_CLIENT_CONFIG_FILE: testbed.cloudsYaml,
    OS_CLIENT_SECURE_FILE: testbed.secureYaml,
    OS_CLOUD: testbed.admin.cloud,
  };
  const code = await servicesCommand.run(
    { values: { output: 'json', binary: 'nova-compute' }, positionals: [] },
    { stdout, stderr, env, cwd: scratch, signal: new AbortController().signal, debug: false },
  );
  assert.is(code, 0);
  const out = written();
  const err = errors();
  const services = JSON.parse(out) as { host: string; forcedDown: boolean; state: string }[];
  for (const { host } of testbed.computes) {
    const svc = services.find((s) => s.host === host);
    assert.ok(svc, `${host} listed`);
    assert.is(typeof svc?.forcedDown, 'boolean');
  }
  assert.match(err, 'compute API 2.53');
  assert.not.ok((out + err).includes(testbed.admin.password));
});

test('force down and up at 2.53 (PUT /os-services/{uuid}); state follows in the same answer', async () => {
  const svc = await settled(admin, HOST);
  try {
    const down = await admin.compute.setForcedDown(svc, true);
    assert.equal(
      { forcedDown: down.forcedDown, state: down.state, id: down.id },
      { forcedDown: true, state: 'down', id: svc.id },
    );
    const disabled = await admin.compute.disableService(down, 'forcedown e2e 2.53');
    assert.equal(
      { status: disabled.status, reason: disabled.disabledReason },
      { status: 'disabled', reason: 'forcedown e2e 2.53' },
    );
    const enabled = await admin.compute.enableService(disabled);
    assert.is(enabled.status, 'enabled');
    const up = await admin.compute.setForcedDown(enabled, false);
    assert.equal({ forcedDown: up.forcedDown, state: up.state }, { forcedDown: false, state: 'up' });
  } finally {
    await restore(admin, HOST);
  }
});

test('force down and up pinned at 2.11 (PUT /os-services/force-down, re-read afterwards)', async () => {
  const pinned = await connect(configFor(testbed.admin.cloud, { OS_COMPUTE_API_VERSION: '2.11' }), opts);
  try {
    assert.is(pinned.compute.servicesMicroversion, '2.11');
    const svc = await settled(pinned, HOST);
    assert.match(svc.id, /^\d+$/, 'integer id below 2.53');
    const down = await pinned.compute.setForcedDown(svc, true);
    assert.equal({ forcedDown: down.forcedDown, state: down.state }, { forcedDown: true, state: 'down' });
    const disabled = await pinned.compute.disableService(down, 'forcedown e2e 2.11');
    assert.equal(
      { status: disabled.status, reason: disabled.disabledReason },
      { status: 'disabled', reason: 'forcedown e2e 2.11' },
    );
    const enabled = await pinned.compute.enableService(disabled);
    assert.is(enabled.status, 'enabled');
    const up = await pinned.compute.setForcedDown(enabled, false);
    assert.equal({ forcedDown: up.forcedDown, state: up.state }, { forcedDown: false, state: 'up' });
  } finally {
    await restore(admin, HOST);
    await pinned.close();
  }
});

test('unknown host: 2.11 force-down → 404 "not mapped to any cell" (exit 2); lookup → exit 2 listing hosts', async () => {
  const pinned = await connect(configFor(testbed.admin.cloud, { OS_COMPUTE_API_VERSION: '2.11' }), opts);
  try {
    const fake = {
      id: '0',
      host: 'nosuchhost',
      binary: 'nova-compute',
      zone: 'nova',
      status: 'enabled',
      state: 'up',
      forcedDown: false,
      disabledReason: null,
      updatedAt: null,
    } as const;
    const e = await pinned.compute.setForcedDown(fake, true).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.instance(e, OpenStackApiError);
    const api = e as OpenStackApiError;
    assert.is(api.status, 404);
    assert.ok(api.isUnknownHost);
    assert.is(exitCodeOf(api), 2);
    assert.is(api.apiMessage, "Host 'nosuchhost' is not mapped to any cell");
    assert.match(api.requestId ?? '', /^req-/);
  } finally {
    await pinned.close();
  }
  const lookup = await admin.compute.findComputeService('nosuchhost').catch((error: unknown) => error);
  assert.is(exitCodeOf(lookup), 2);
  assert.match((lookup as Error).message, 'fake1');
});

test("non-admin: exit 4 with Nova's policy message (list and update)", async () => {
  const demo = await connect(configFor(testbed.demo.cloud), opts);
  try {
    const list = (await demo.compute.listServices().catch((error: unknown) => error)) as OpenStackApiError;
    assert.instance(list, OpenStackApiError);
    assert.is(list.status, 403);
    assert.is(exitCodeOf(list), 4);
    assert.is(list.apiMessage, "Policy doesn't allow os_compute_api:os-services:list to be performed.");
    assert.is(list.policy, 'os_compute_api:os-services:list');
    const svc = await admin.compute.findComputeService(HOST);
    const update = (await demo.compute.setForcedDown(svc, true).catch((error: unknown) => error)) as OpenStackApiError;
    assert.is(update.status, 403);
    assert.is(update.policy, 'os_compute_api:os-services:update');
    assert.is((await admin.compute.findComputeService(HOST)).forcedDown, false, 'nothing changed');
    const text = JSON.stringify(redactDeep([list.toJSON(), update.toJSON()])) + list.message + update.message;
    assert.not.ok(text.includes(testbed.demo.password));
  } finally {
    await demo.close();
  }
});

test('wrong password: Keystone 401 → exit 4', async () => {
  const config = configFor(testbed.admin.cloud);
  const wrong = { ...config, auth: { ...config.auth, password: 'definitely-wrong-pw' } };
  const e = (await connect(wrong, opts).catch((error: unknown) => error)) as OpenStackApiError;
  assert.instance(e, OpenStackApiError);
  assert.is(e.service, 'keystone');
  assert.is(e.status, 401);
  assert.is(exitCodeOf(e), 4);
  assert.not.ok(e.message.includes('definitely-wrong-pw'));
});

// --- servers: booted here through the raw API (the client never creates servers), deleted afterwards

async function adminToken(): Promise<string> {
  const res = await fetch(`${testbed.keystoneUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: { name: testbed.admin.username, domain: { id: 'default' }, password: testbed.admin.password },
          },
        },
        scope: { project: { name: testbed.admin.project, domain: { id: 'default' } } },
      },
    }),
  });
  if (res.status !== 201) throw new Error(`keystone ${res.status}`);
  return res.headers.get('x-subject-token') ?? '';
}

async function novaRaw(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${testbed.novaUrl.replace(/\/$/, '')}${path}`, {
    method,
    headers: { 'x-auth-token': token, 'content-type': 'application/json', 'openstack-api-version': 'compute 2.74' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

test('servers on a host: all pages (page size 1), host fields; evacuate refused while the host is up (400 in use)', async () => {
  const token = await adminToken();
  const ids: string[] = [];
  const started = new Date(Date.now() - 2000).toISOString();
  try {
    for (let i = 0; i < 3; i++) {
      const res = await novaRaw(token, 'POST', '/servers', {
        server: {
          name: `fd-e2e-client-${i}`,
          imageRef: testbed.imageId,
          flavorRef: testbed.flavorId,
          networks: 'none',
          host: 'fake2',
        },
      });
      assert.is(res.status, 202, `boot ${i}: ${await res.clone().text()}`);
      ids.push(((await res.json()) as { server: { id: string } }).server.id);
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const states = await Promise.all(ids.map((id) => admin.compute.getServer(id)));
      if (states.every((s) => s.status === 'ACTIVE')) break;
      if (states.some((s) => s.status === 'ERROR'))
        throw new Error(`boot failed: ${states.map((s) => s.status).join(',')}`);
      if (Date.now() > deadline) throw new Error('servers not ACTIVE within 60 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    const before = admin.stats.requests;
    const servers = await admin.compute.listServersOnHost('fake2', { pageSize: 1 });
    for (const id of ids)
      assert.ok(
        servers.some((s) => s.id === id),
        `${id} listed`,
      );
    assert.ok(servers.every((s) => s.host === 'fake2'));
    assert.ok(admin.stats.requests - before >= servers.length, 'one request per page of 1');
    const mine = servers.find((s) => s.id === ids[0]);
    assert.is(mine?.vmState, 'active');
    assert.is(mine?.imageId, testbed.imageId);
    assert.is(mine?.flavor.name, 'm1.tiny');
    const changed = (await admin.compute.listServersChangedSince?.(started, { host: 'fake2', pageSize: 2 })) ?? [];
    for (const id of ids)
      assert.ok(
        changed.some((s) => s.id === id),
        `${id} changed since the test started`,
      );
    const refused = (await admin.compute.evacuate(ids[0]).catch((error: unknown) => error)) as OpenStackApiError;
    assert.instance(refused, OpenStackApiError);
    assert.ok(refused.isServiceInUse);
    assert.is(refused.apiMessage, 'Compute service of fake2 is still in use.');
    assert.is(exitCodeOf(refused), 3);
    const migrations = await admin.compute.listMigrations({
      instanceUuid: ids[0],
      migrationType: 'evacuation',
    });
    assert.equal(migrations, [], 'the refused evacuate left no migration');
  } finally {
    for (const id of ids) await novaRaw(token, 'DELETE', `/servers/${id}`);
    const deadline = Date.now() + 60_000;
    for (const id of ids) {
      while ((await novaRaw(token, 'GET', `/servers/${id}`)).status !== 404 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 500));
    }
  }
});

test('Glance image tags/properties and flavor extra specs of the testbed', async () => {
  const image = await admin.image.getImage(testbed.imageId);
  assert.is(image.id, testbed.imageId);
  assert.ok(Array.isArray(image.tags));
  assert.is(image.properties.name, undefined, 'core fields are not properties');
  const flavor = await admin.compute.getFlavor(testbed.flavorId);
  assert.is(flavor.name, 'm1.tiny');
  assert.equal(typeof flavor.extraSpecs, 'object');
  const missing = (await admin.image
    .getImage('00000000-0000-0000-0000-000000000000')
    .catch((error: unknown) => error)) as OpenStackApiError;
  assert.is(missing.status, 404);
  assert.is(missing.service, 'glance');
});

test('request counters: a services listing costs one request', async () => {
  const before = admin.stats.requests;
  await admin.compute.listServices({ binary: 'nova-compute' });
  assert.is(admin.stats.requests - before, 1);
  assert.is(admin.stats.retries, 0);
});

test.run();
