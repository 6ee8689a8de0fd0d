/**
 * Host locks against the testbed's real 3-member etcd cluster, between real processes: a second
 * run is refused naming the first; kill -9 of a holder frees its hosts within the lease TTL;
 * --break-lock takes over and returns the previous holder; resume takes over its own lock.
 */
import { hostname } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCoordination, type Coordinator } from '../../../src/coordination/index.js';
import { Child, childEnv, dropPrefix, rawClient, settingsFor, uniquePrefix } from './etcd-support.js';

const TTL = 5;
const prefix = uniquePrefix('locks');
let coordinator: Coordinator;
const children: Child[] = [];

test.before(async () => {
  coordinator = await openCoordination(settingsFor(prefix, { FORCEDOWN_ETCD_LEASE_TTL: String(TTL) }), process.env);
});
test.after(async () => {
  for (const child of children) await child.kill9();
  coordinator.close();
  await dropPrefix(prefix);
});

function child(args: string[]): Child {
  const spawned = new Child(args, childEnv(prefix, TTL));
  children.push(spawned);
  return spawned;
}

test('a second process is refused with exit 3 naming the first holder, all or none', async () => {
  const first = child(['lock', 'run-first', 'cmp-01', 'cmp-02']);
  const locked = await first.next(['locked', 'refused', 'crashed']);
  assert.is(locked.event, 'locked');
  const second = child(['lock', 'run-second', 'cmp-03', 'cmp-02']);
  const refused = await second.next(['locked', 'refused', 'crashed']);
  assert.is(refused.event, 'refused');
  assert.is(refused.code, 'HOST_LOCKED');
  assert.is(refused.exitCode, 3);
  assert.match(String(refused.message), /host cmp-02 is locked in etcd by run run-first \(pid \d+ on /);
  const holder = (refused.details as { holder: { runId: string; pid: number } }).holder;
  assert.is(holder.runId, 'run-first');
  assert.is(holder.pid, first.process.pid);
  // all or none: cmp-03 was free, but the refused run took nothing
  assert.is(await coordinator.locks.holder('cmp-03'), undefined);
  assert.is((await coordinator.locks.holder('cmp-01'))?.runId, 'run-first');
  await first.stop();
  await second.stop();
  assert.is(await coordinator.locks.holder('cmp-02'), undefined, 'released on exit');
});

test('kill -9 of a holder: its key is gone within the TTL, then another run gets the host', async () => {
  const holder = child(['lock', 'run-killed', 'cmp-04']);
  assert.is((await holder.next(['locked', 'refused', 'crashed'])).event, 'locked');
  const raw = rawClient();
  try {
    const key = `${prefix}/RegionOne/hosts/cmp-04`;
    const kv = (await raw.get(key).exec()).kvs[0];
    assert.ok(kv && kv.lease !== '0', 'the key is bound to a lease');
    await holder.kill9();
    const killedAt = Date.now();
    const deadline = killedAt + (TTL + 2) * 1000;
    while ((await raw.get(key).exists()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const goneAfter = Date.now() - killedAt;
    assert.not.ok(await raw.get(key).exists(), `key still there ${goneAfter} ms after kill -9`);
    assert.ok(goneAfter <= TTL * 1000 + 1500, `gone after ${goneAfter} ms (TTL ${TTL} s)`);
    console.log(`  lock key of a kill -9'd holder gone after ${goneAfter} ms (TTL ${TTL} s)`);
  } finally {
    raw.close();
  }
  const next = await coordinator.locks.acquire({ runId: 'run-after', hosts: ['cmp-04'] });
  assert.equal(next.hosts, ['cmp-04']);
  await next.release('finished');
});

test('--break-lock takes over a live holder and reports it; the holder is told at once (lost)', async () => {
  const holder = child(['lock', 'run-stuck', 'cmp-05']);
  assert.is((await holder.next(['locked', 'refused', 'crashed'])).event, 'locked');
  const taken = await coordinator.locks.acquire({
    runId: 'run-breaker',
    hosts: ['cmp-05'],
    breakLock: 'INC-1 machine gone',
  });
  assert.is(taken.broken.length, 1);
  assert.is(taken.broken[0]?.host, 'cmp-05');
  assert.is(taken.broken[0]?.previousHolder.runId, 'run-stuck');
  assert.is((await coordinator.locks.holder('cmp-05'))?.runId, 'run-breaker');
  const lost = await holder.next(['lost'], 5000);
  assert.is(lost.code, 'COORDINATION_LOCK_LOST');
  assert.is(lost.exitCode, 3);
  assert.match(String(lost.message), /lock of host cmp-05 was taken over by run-breaker/);
  await taken.release('finished');
  await holder.stop();
});

test('breakLock() deletes a key and returns the previous holder', async () => {
  const held = await coordinator.locks.acquire({ runId: 'run-x', hosts: ['cmp-06'] });
  const previous = await coordinator.locks.breakLock('cmp-06');
  assert.is(previous?.runId, 'run-x');
  assert.is(previous?.machine, hostname());
  assert.is(await coordinator.locks.breakLock('cmp-06'), undefined);
  await held.release('finished');
});

test('resume takes over its own run when the old process on this machine is dead; a live one refuses', async () => {
  const raw = rawClient();
  try {
    const key = `${prefix}/RegionOne/hosts/cmp-07`;
    const lease = raw.lease(TTL);
    // a holder record of this run from a process that no longer exists (pid 2^22+1 is never live)
    const dead = {
      runId: 'run-resumed',
      pid: 4194305,
      machine: hostname(),
      since: new Date().toISOString(),
      lease: 'x',
    };
    await lease.put(key).value(JSON.stringify(dead));
    const refusedOther = await coordinator.locks
      .acquire({ runId: 'run-other', hosts: ['cmp-07'] })
      .catch((e: unknown) => e);
    assert.is((refusedOther as { code?: string }).code, 'HOST_LOCKED');
    const resumed = await coordinator.locks.acquire({ runId: 'run-resumed', hosts: ['cmp-07'], resume: true });
    assert.is(resumed.broken.length, 0);
    assert.is((await coordinator.locks.holder('cmp-07'))?.pid, process.pid);
    await resumed.release('finished');
    await lease.revoke();
  } finally {
    raw.close();
  }
});

test.run();
