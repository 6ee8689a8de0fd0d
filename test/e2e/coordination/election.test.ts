/**
 * Leader election of a region's watchers on the testbed's real etcd, between real processes:
 * one leader at a time; kill -9 of the leader elects the next candidate within the lease TTL
 * (the takeover time is measured and printed); resign hands over at once; an observer sees
 * every change.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCoordination, type Coordinator, type LeaderInfo } from '../../../src/coordination/index.js';
import { Child, childEnv, dropPrefix, settingsFor, uniquePrefix } from './etcd-support.js';

const TTL = 5;
const prefix = uniquePrefix('election');
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

function candidate(id: string): Child {
  const spawned = new Child(['campaign', id], childEnv(prefix, TTL));
  children.push(spawned);
  return spawned;
}

test('one leader; kill -9 of it elects the next within the TTL; resign hands over at once', async () => {
  const seen: (string | undefined)[] = [];
  const observer = await coordinator.election.observe((leader: LeaderInfo | undefined) => seen.push(leader?.id));
  const a = candidate('watcher-a');
  assert.is((await a.next(['elected', 'crashed'])).event, 'elected');
  const b = candidate('watcher-b');
  await b.next(['campaigning']);
  const c = candidate('watcher-c');
  await c.next(['campaigning']);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.not.ok(
    b.lines.some((l) => l.event === 'elected'),
    'b waits while a leads',
  );
  assert.not.ok(
    c.lines.some((l) => l.event === 'elected'),
    'c waits while a leads',
  );
  assert.is((await coordinator.election.leader())?.id, 'watcher-a');

  const killedAt = Date.now();
  await a.kill9();
  const elected = await b.next(['elected'], (TTL + 3) * 1000);
  const takeoverMs = (elected.at as number) - killedAt;
  console.log(
    `  takeover after kill -9 of the leader: ${takeoverMs} ms (TTL ${TTL} s; follower waited ${String(elected.waitedMs)} ms in all)`,
  );
  assert.ok(takeoverMs <= TTL * 1000 + 1500, `takeover ${takeoverMs} ms`);
  assert.is(elected.previous, 'watcher-a', 'the new leader knows whose work it takes over');
  assert.not.ok(
    c.lines.some((l) => l.event === 'elected'),
    'only one leader',
  );

  const resignedAt = Date.now();
  await b.stop(); // resigns (revokes its lease)
  const third = await c.next(['elected'], 5000);
  assert.ok((third.at as number) - resignedAt < 3000, 'resign hands over at once');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(seen, [undefined, 'watcher-a', 'watcher-b', 'watcher-c'].slice(seen[0] === undefined ? 0 : 1));
  await observer.close();
  await c.stop();
});

test('leadership is lost (signalled) when the leader’s key is deleted under it', async () => {
  const leadership = await coordinator.election.campaign({
    id: 'in-process',
    machine: 'm',
    pid: process.pid,
    since: '',
  });
  assert.not.ok(leadership.lost.aborted);
  await coordinator.connection.client.delete().key(leadership.key);
  const deadline = Date.now() + 5000;
  while (!leadership.lost.aborted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(leadership.lost.aborted);
  await leadership.resign();
});

test.run();
