import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpenStackClient, Server } from '../../../src/openstack/index.js';
import {
  adminClient,
  bootServers,
  computeAlive,
  deleteServers,
  ensureHealthy,
  events,
  forcedown,
  ipmitool,
  testbed,
} from '../support/testbed.js';

/**
 * Issue 4's acceptance, end to end through the CLI binary against the real testbed (Debian's
 * Nova with fake-driver computes and ipmi_sim BMCs): host-failure on a host with 6 servers (one
 * SHUTOFF, one in ERROR), a wrong BMC password, re-running a finished host, host-recovery.
 */
const test = suite('host-failure through the CLI on the real testbed');
const HOST = 'fake1';
let client: OpenStackClient;
let dir = '';
let servers: Server[] = [];

test.before(async () => {
  client = await adminClient();
  dir = await mkdtemp(join(tmpdir(), 'fd-e2e-cli-'));
  await deleteServers(client, 'e2e-hf');
  for (const compute of testbed().computes) await ensureHealthy(client, compute.host);
  servers = await bootServers(client, HOST, 6, { shutoff: 1, error: 1, prefix: 'e2e-hf' });
});

test.after(async () => {
  try {
    await ensureHealthy(client, HOST);
    await deleteServers(client, 'e2e-hf');
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a wrong BMC password stops the run before force-down: exit 3, nothing changed in Nova', async () => {
  const tb = testbed();
  const inventory = JSON.parse(await readFile(tb.inventory, 'utf8')) as {
    hosts: Record<string, { bmc: { password: { file: string } } }>;
  };
  const wrong = join(dir, 'wrong-password');
  await writeFile(wrong, 'not-the-password\n', { mode: 0o600 });
  inventory.hosts[HOST].bmc.password = { file: wrong };
  const badInventory = join(dir, 'inventory-wrong.json');
  await writeFile(badInventory, JSON.stringify(inventory));
  const result = await forcedown([
    'run',
    'runbooks/host-failure.json',
    '--var',
    `host=${HOST}`,
    '--inventory',
    badInventory,
    '--yes',
    '--output',
    'json',
    '--state-dir',
    join(dir, 'state'),
  ]);
  assert.is(result.code, 3, result.stderr + result.stdout.slice(-2000));
  const finished = events(result.stdout).filter((e) => e.event === 'step.finished');
  assert.equal(
    finished.map((e) => [e.stepId, e.status]),
    [['fence', 'failed']],
  );
  assert.match(JSON.stringify((finished[0].error as { code: string }).code), 'FENCE_AUTH_FAILED');
  assert.not.match(result.stdout + result.stderr, 'not-the-password');
  const service = await client.compute.findComputeService(HOST);
  assert.not.ok(service.forcedDown);
  assert.is(service.status, 'enabled');
  assert.ok(computeAlive(HOST), 'host still powered');
  assert.is((await client.compute.listServersOnHost(HOST)).filter((srv) => srv.name.startsWith('e2e-hf')).length, 6);
});

test('host-failure: fence kills the compute, force-down, every evacuable server evacuated and confirmed', async () => {
  const tb = testbed();
  const started = Date.now();
  const result = await forcedown([
    'run',
    'runbooks/host-failure.json',
    '--var',
    `host=${HOST}`,
    '--var',
    'reason=INC-e2e',
    '--inventory',
    tb.inventory,
    '--yes',
    '--output',
    'json',
    '--state-dir',
    join(dir, 'state'),
  ]);
  assert.is(result.code, 0, result.stderr + result.stdout.slice(-3000));
  const evs = events(result.stdout);
  const finished = evs.filter((e) => e.event === 'step.finished');
  assert.equal(
    finished.map((e) => [e.stepId, e.status]),
    [
      ['fence', 'changed'],
      ['force-down', 'changed'],
      ['evacuate', 'changed'],
      ['reset-failed', 'unchanged'],
    ],
  );
  assert.not.ok(computeAlive(HOST), 'the fence really killed nova-compute');
  assert.match(ipmitool(HOST, 'status').stdout, 'is off');
  const service = await client.compute.findComputeService(HOST);
  assert.ok(service.forcedDown);
  assert.is(service.state, 'down');
  assert.is(service.status, 'disabled');
  assert.match(service.disabledReason ?? '', 'INC-e2e');
  assert.is((await client.compute.listServersOnHost(HOST)).length, 0);
  for (const before of servers) {
    const after = await client.compute.getServer(before.id);
    assert.ok(after.host !== null && after.host !== HOST, `${before.name} moved (now on ${after.host})`);
    assert.is(after.vmState, before.vmState, `${before.name} kept its state ${before.vmState}`);
    const migrations = await client.compute.listMigrations({ instanceUuid: before.id, migrationType: 'evacuation' });
    assert.is(
      migrations.filter((m) => m.createdAt >= new Date(started - 60_000).toISOString().slice(0, 19)).length,
      1,
      `${before.name}: exactly one evacuation`,
    );
  }
  const summary = (evs.at(-1)!.summary as { servers: { result: string }[] }).servers;
  assert.ok(summary.filter((s) => s.result === 'evacuated').length >= 6);
});

test('re-running host-failure on the finished host reports every step unchanged', async () => {
  const tb = testbed();
  const result = await forcedown([
    'run',
    'runbooks/host-failure.json',
    '--var',
    `host=${HOST}`,
    '--inventory',
    tb.inventory,
    '--yes',
    '--output',
    'json',
    '--state-dir',
    join(dir, 'state'),
  ]);
  assert.is(result.code, 0, result.stderr);
  assert.equal(
    events(result.stdout)
      .filter((e) => e.event === 'step.finished')
      .map((e) => e.status),
    ['unchanged', 'unchanged', 'unchanged', 'unchanged'],
  );
});

test('host-recovery brings the host back: powered on, forced_down cleared, up and enabled', async () => {
  const tb = testbed();
  const result = await forcedown([
    'run',
    'runbooks/host-recovery.json',
    '--var',
    `host=${HOST}`,
    '--inventory',
    tb.inventory,
    '--yes',
    '--state-dir',
    join(dir, 'state'),
  ]);
  assert.is(result.code, 0, result.stderr + result.stdout);
  assert.ok(computeAlive(HOST));
  const service = await client.compute.findComputeService(HOST);
  assert.equal(
    { forcedDown: service.forcedDown, state: service.state, status: service.status },
    { forcedDown: false, state: 'up', status: 'enabled' },
  );
  const runs = await forcedown(['runs', '--state-dir', join(dir, 'state')]);
  assert.match(runs.stdout, 'host-recovery');
});

test.run();
