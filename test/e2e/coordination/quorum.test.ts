/**
 * Losing etcd members, on the testbed's real cluster: with one of three stopped, locks and the
 * journal mirror work; with two stopped, a new lock is refused with a clear error (exit 3,
 * nothing taken), a held lock's `lost` fires within the lease TTL (stop before the next write),
 * and once the members are back locking works again. Every member is started again at the end.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCoordination, safetyMarginMs, type Coordinator } from '../../../src/coordination/index.js';
import { isForcedownError } from '../../../src/errors/index.js';
import { allMembersUp, dropPrefix, member, settingsFor, uniquePrefix } from './etcd-support.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

const TTL = 6;
const prefix = uniquePrefix('quorum');
let coordinator: Coordinator;

test.before(async () => {
  await allMembersUp();
  coordinator = await openCoordination(settingsFor(prefix, { FORCEDOWN_ETCD_LEASE_TTL: String(TTL) }), process.env);
});
test.after(async () => {
  await allMembersUp();
  coordinator.close();
  await dropPrefix(prefix);
});

const started = (seq: number) => ({
  v: 1,
  seq,
  ts: new Date().toISOString(),
  runId: 'run-quorum',
  event: seq === 1 ? 'run.started' : 'step.output',
  ...(seq === 1
    ? { runbook: { name: 'host-failure' }, hosts: ['cmp-q1'], machine: 'm1', pid: 1, options: { dryRun: false } }
    : { message: `line ${seq}` }),
});

test('one member of three stopped: locks, lease keepalive and the journal mirror keep working', async () => {
  member('stop', 1);
  try {
    const held = await coordinator.locks.acquire({ runId: 'run-quorum', hosts: ['cmp-q1'] });
    const mirror = await coordinator.mirror('run-quorum');
    for (let seq = 1; seq <= 5; seq += 1) await mirror.append(started(seq));
    // past one TTL: the lease was kept alive through the remaining members
    await new Promise((resolve) => setTimeout(resolve, (TTL + 1) * 1000));
    assert.not.ok(held.lost?.aborted, 'lease still held');
    assert.is((await coordinator.locks.holder('cmp-q1'))?.runId, 'run-quorum');
    assert.is((await coordinator.readRun('run-quorum')).events.length, 5);
    await held.release('finished');
  } finally {
    member('start', 1);
  }
});

test('two of three stopped: a held lock is lost within the TTL, a new one is refused clearly; both recover', async () => {
  await allMembersUp();
  const held = await coordinator.locks.acquire({ runId: 'run-cut', hosts: ['cmp-q2'] });
  let lostAfter: number | undefined;
  let stoppedAt = 0;
  held.lost?.addEventListener('abort', () => (lostAfter = Date.now() - stoppedAt), { once: true });
  member('stop', 2);
  member('stop', 3);
  stoppedAt = Date.now();
  try {
    const refusedAt = Date.now();
    const error = await coordinator.locks.acquire({ runId: 'run-new', hosts: ['cmp-q3'] }).catch((e: unknown) => e);
    const refusedAfter = Date.now() - refusedAt;
    assert.ok(isForcedownError(error), `a ForcedownError, got ${String(error)}`);
    assert.is(error.code, 'COORDINATION_UNAVAILABLE');
    assert.is(exitCodeOf(error), 3);
    assert.match(error.message, /cannot coordinate through etcd/);
    assert.match(error.hint, /nothing was changed/);
    console.log(`  acquire without quorum refused after ${refusedAfter} ms: ${error.message.slice(0, 160)}`);
    // The lease is lost TTL minus the safety margin after the last *answered* keepalive. The old
    // leader, alone, goes on answering keepalives until it notices it lost quorum (about one
    // election timeout, 2.5 s here), and keepalives go every TTL/3: so at most this long after the stop.
    const bound = TTL * 1000 - safetyMarginMs(TTL) + (TTL * 1000) / 3 + 2500 + 1000;
    const deadline = stoppedAt + bound + 1000;
    while (lostAfter === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(lostAfter !== undefined, `lost fired within ${deadline - stoppedAt} ms`);
    assert.ok(lostAfter <= bound, `lost after ${lostAfter} ms, bound ${bound} ms`);
    const reason = held.lost?.reason as { code?: string };
    assert.is(reason.code, 'COORDINATION_LEASE_LOST');
    assert.is(exitCodeOf(reason), 3);
    console.log(`  held lock reported lost ${lostAfter} ms after quorum went (TTL ${TTL} s)`);
  } finally {
    member('start', 2);
    member('start', 3);
  }
  await allMembersUp();
  await held.release('stopped');
  const again = await coordinator.locks.acquire({ runId: 'run-new', hosts: ['cmp-q3', 'cmp-q2'] });
  assert.equal(again.hosts, ['cmp-q2', 'cmp-q3']);
  assert.not.ok(again.lost?.aborted);
  await again.release('finished');
});

test.run();
