import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForcedownError } from '../../../src/errors/index.js';
import { MeasuredNovaClock } from '../../../src/openstack/compute/nova-clock.js';
import {
  EVACUATION_FAILED,
  EVACUATION_IN_FLIGHT,
  EVACUATION_SUCCEEDED,
  MIGRATION_STATUSES,
  evacuationFailureCause,
  parseNovaTime,
  toMigrationStatus,
} from '../../../src/openstack/compute/vocabulary.js';
import type { OpenStackApiError, OpenStackClient } from '../../../src/openstack/index.js';
import { matchHostName } from '../../../src/validation/index.js';
import { startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';
import { connectTo, rejection, until } from './helpers.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

/** What the evacuation engine needs of the client: locks, pause/suspend, Nova's clock, host names, Nova's vocabulary. */
let double: OpenStackDouble;
let client: OpenStackClient;
test.before(async () => {
  double = await startOpenStackDouble({
    computes: ['cmp-07.example.net', 'cmp-08.example.net', 'cmp-08.other.net', 'fake1'],
    rebuildDelayMs: 20,
    clockOffsetMs: -42_000,
  });
  client = await connectTo(double);
});
test.after(async () => {
  await client.close();
  await double.close();
});

test('host names as operators type them: exact wins, short or longer names match one host, ambiguous refused', async () => {
  assert.is((await client.compute.findComputeService('fake1')).host, 'fake1');
  assert.is((await client.compute.findComputeService('cmp-07')).host, 'cmp-07.example.net');
  assert.is((await client.compute.findComputeService('CMP-07.example.net')).host, 'cmp-07.example.net');
  assert.is((await client.compute.findComputeService('fake1.example.net')).host, 'fake1');
  const error = (await rejection(client.compute.findComputeService('cmp-08'))) as ForcedownError;
  assert.instance(error, ForcedownError);
  assert.is(error.code, 'NOVA_AMBIGUOUS_HOST');
  assert.is(exitCodeOf(error), 2);
  assert.match(error.message, 'cmp-08.example.net, cmp-08.other.net');
  assert.is(
    ((await rejection(client.compute.findComputeService('cmp-0'))) as ForcedownError).code,
    'NOVA_UNKNOWN_HOST',
  );
});

test('matchHostName: the rules in order, labels not prefixes', () => {
  const hosts = ['cmp-07', 'cmp-07.example.net', 'cmp-070.example.net', 'CMP-09'];
  assert.equal(matchHostName('cmp-07', hosts), { kind: 'found', name: 'cmp-07', exact: true });
  assert.equal(matchHostName('cmp-070', hosts), { kind: 'found', name: 'cmp-070.example.net', exact: false });
  assert.equal(matchHostName('cmp-09.example.net', hosts), { kind: 'found', name: 'CMP-09', exact: false });
  assert.equal(matchHostName('cmp-07.example', hosts), {
    kind: 'ambiguous',
    candidates: ['cmp-07', 'cmp-07.example.net'],
  });
  assert.equal(matchHostName('cmp', hosts), { kind: 'none' });
  assert.equal(matchHostName('cmp-07.example.net.', ['cmp-07.example.net']), {
    kind: 'found',
    name: 'cmp-07.example.net',
    exact: false,
  });
  assert.equal(matchHostName('cmp-07-b', ['cmp-07']), { kind: 'none' });
  assert.equal(matchHostName('a', ['a.x', 'a.y']), { kind: 'ambiguous', candidates: ['a.x', 'a.y'] });
});

test('lock (with a reason at 2.73) and unlock; an admin never needs the owner to unlock its own lock', async () => {
  const id = double.addServer({ host: 'fake1' }).id;
  await client.compute.lockServer(id, { reason: 'forcedown run x: evacuating' });
  let server = await client.compute.getServer(id);
  assert.equal(
    { locked: server.locked, reason: server.lockedReason },
    { locked: true, reason: 'forcedown run x: evacuating' },
  );
  assert.equal(double.log.at(-2)?.body, { lock: { locked_reason: 'forcedown run x: evacuating' } });
  await client.compute.unlockServer(id);
  server = await client.compute.getServer(id);
  assert.equal({ locked: server.locked, reason: server.lockedReason }, { locked: false, reason: null });
});

test('pause and suspend are carried out by the compute; a 409 outside ACTIVE', async () => {
  const [paused, suspended] = double.addServers(2, { host: 'fake1' });
  await client.compute.pauseServer(paused);
  await client.compute.suspendServer(suspended);
  await until(
    () => double.server(paused)?.vmState === 'paused' && double.server(suspended)?.vmState === 'suspended',
    'done',
  );
  assert.is((await client.compute.getServer(paused)).status, 'PAUSED');
  const conflict = (await rejection(client.compute.pauseServer(suspended))) as OpenStackApiError;
  assert.is(conflict.status, 409);
  assert.match(conflict.apiMessage, "Cannot 'pause' instance");
});

test("Nova's clock from its Date headers: bounds around the double's clock (42 s behind ours)", async () => {
  await client.compute.listServices();
  const local = Date.now();
  const earliest = client.compute.clock!.earliest(local)!;
  const latest = client.compute.clock!.latest(local)!;
  const nova = local - 42_000;
  assert.ok(earliest <= nova + 50 && nova - 50 <= latest, `${earliest - nova} .. ${latest - nova}`);
  assert.ok(latest - earliest <= 1500, 'within the Date header resolution and a round trip');
});

test('MeasuredNovaClock: narrows with each answer, starts again when Nova contradicts it', () => {
  const clock = new MeasuredNovaClock();
  assert.is(clock.earliest(0), undefined);
  clock.observe('Wed, 25 Nov 2026 10:00:00 GMT', 1000, 1200);
  const d = Date.parse('Wed, 25 Nov 2026 10:00:00 GMT');
  assert.equal([clock.earliest(0), clock.latest(0)], [d - 1200, d]);
  clock.observe('Wed, 25 Nov 2026 10:00:01 GMT', 2100, 2150);
  assert.equal([clock.earliest(0), clock.latest(0)], [d - 1150, d - 100]);
  clock.observe('Wed, 25 Nov 2026 11:00:00 GMT', 3000, 3010);
  assert.is(clock.earliest(0), d + 3_600_000 - 3010, 'a step of the clock: measured again');
  clock.observe('not a date', 0, 1);
  assert.is(clock.earliest(0), d + 3_600_000 - 3010);
});

test("Nova's vocabulary: statuses typed, sets disjoint, timestamps without a zone are UTC, failure causes", () => {
  assert.is(toMigrationStatus('pre-migrating'), 'pre-migrating');
  assert.is(toMigrationStatus('exploded'), 'unknown');
  for (const status of MIGRATION_STATUSES) {
    const sets = [EVACUATION_IN_FLIGHT, EVACUATION_SUCCEEDED, EVACUATION_FAILED].filter((set) => set.has(status));
    assert.ok(sets.length <= 1, status);
  }
  assert.is(parseNovaTime('2026-11-25T11:03:17.000000'), Date.parse('2026-11-25T11:03:17Z'));
  assert.is(parseNovaTime('2026-11-25T11:03:17+01:00'), Date.parse('2026-11-25T10:03:17Z'));
  assert.is(parseNovaTime(''), 0);
  assert.is(
    evacuationFailureCause(
      'Failed to update allocations for consumer 1. Error: another process changed the consumer 1 after the report client read the consumer state during the claim ',
    ),
    'placement-conflict',
  );
  assert.is(evacuationFailureCause('No valid host was found. There are not enough hosts available.'), 'no-valid-host');
  assert.is(evacuationFailureCause('Build of instance x aborted'), 'other');
  assert.is(evacuationFailureCause(undefined), 'other');
});

test.run();
