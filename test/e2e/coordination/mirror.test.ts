/**
 * The journal mirror against the testbed's real etcd: events written per key and read back in
 * order by another client (another machine), meta for `runs --all-machines`, compaction to
 * summary chunks on run.finished (per-event keys gone), a resumed run appending after a
 * compacted one, and the caps (a run past one is marked truncated, its reader says incomplete).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MIRROR_LIMITS,
  openCoordination,
  type Coordinator,
  type MirroredEvent,
} from '../../../src/coordination/index.js';
import { secrets } from '../../../src/secrets/index.js';
import { dropPrefix, rawClient, settingsFor, uniquePrefix } from './etcd-support.js';

const prefix = uniquePrefix('mirror');
let writer: Coordinator;
let reader: Coordinator;

test.before(async () => {
  writer = await openCoordination(settingsFor(prefix), process.env);
  reader = await openCoordination(settingsFor(prefix), process.env);
});
test.after(async () => {
  writer.close();
  reader.close();
  await dropPrefix(prefix);
});

function event(runId: string, seq: number, event: string, extra: Record<string, unknown> = {}): MirroredEvent {
  return { v: 1, seq, ts: new Date(Date.UTC(2026, 10, 25, 12, 0, seq)).toISOString(), runId, event, ...extra };
}
const startedEvent = (runId: string) =>
  event(runId, 1, 'run.started', {
    runbook: { name: 'host-failure', file: 'x.json', sha256: '0', text: '{}' },
    params: { host: 'cmp-01' },
    options: { dryRun: false },
    hosts: ['cmp-01'],
    machine: 'machine-a',
    pid: 4242,
  });
const finishedEvent = (runId: string, seq: number) =>
  event(runId, seq, 'run.finished', { summary: { status: 'succeeded', exitCode: 0 } });

async function keysUnder(path: string): Promise<string[]> {
  const raw = rawClient();
  try {
    return await raw.getAll().prefix(path).keys();
  } finally {
    raw.close();
  }
}

test('events are per-event keys while the run goes on, readable from another client in order', async () => {
  const mirror = await writer.mirror('run-a');
  await mirror.append(startedEvent('run-a'));
  for (let seq = 2; seq <= 30; seq += 1)
    await mirror.append(event('run-a', seq, 'step.output', { stepId: 'evacuate', message: `server ${seq}` }));
  const read = await reader.readRun('run-a');
  assert.ok(read.complete);
  assert.equal(
    read.events.map((e) => e.seq),
    Array.from({ length: 30 }, (_, i) => i + 1),
  );
  assert.equal(read.events[0], startedEvent('run-a'), 'stored exactly as the local journal line');
  assert.is(read.meta?.status, 'running');
  assert.is(read.meta?.machine, 'machine-a');
  const keys = await keysUnder(`${prefix}/RegionOne/runs/run-a/`);
  assert.is(keys.filter((k) => k.includes('/events/')).length, 30);
  assert.ok(keys.includes(`${prefix}/RegionOne/runs/run-a/events/0000000007`));
});

test('run.finished compacts the events into a summary; the reader and the lister see the same run', async () => {
  const mirror = await writer.mirror('run-a');
  await mirror.append(finishedEvent('run-a', 31));
  const keys = await keysUnder(`${prefix}/RegionOne/runs/run-a/`);
  assert.equal(keys.sort(), [`${prefix}/RegionOne/runs/run-a/meta`, `${prefix}/RegionOne/runs/run-a/summary/0000`]);
  const read = await reader.readRun('run-a');
  assert.is(read.events.length, 31);
  assert.is(read.events[30]?.event, 'run.finished');
  assert.is(read.meta?.status, 'succeeded');
  assert.is(read.meta?.exitCode, 0);
  assert.is(read.meta?.chunks, 1);
  const listed = await reader.listRuns();
  assert.equal(
    listed.map((r) => [r.runId, r.status, r.runbook]),
    [['run-a', 'succeeded', 'host-failure']],
  );
});

test('a resumed run appends after its compacted events and compacts again', async () => {
  const mirror = await writer.mirror('run-a');
  await mirror.append(event('run-a', 32, 'run.resumed', { machine: 'machine-b', pid: 77, finishedSteps: [] }));
  assert.is((await reader.readRun('run-a')).meta?.status, 'running');
  assert.is((await reader.readRun('run-a')).meta?.machine, 'machine-b');
  await mirror.append(finishedEvent('run-a', 33));
  const read = await reader.readRun('run-a');
  assert.equal(
    read.events.map((e) => e.seq),
    Array.from({ length: 33 }, (_, i) => i + 1),
  );
  assert.is((await keysUnder(`${prefix}/RegionOne/runs/run-a/events/`)).length, 0);
});

test('events are redacted before they reach etcd', async () => {
  secrets.add('s3cr3t-pa55word');
  const mirror = await writer.mirror('run-secret');
  await mirror.append(startedEvent('run-secret'));
  await mirror.append(
    event('run-secret', 2, 'step.output', { message: 'password is s3cr3t-pa55word', password: 'x1234' }),
  );
  const raw = rawClient();
  try {
    const all = Object.values(await raw.getAll().prefix(`${prefix}/RegionOne/runs/run-secret/`).strings()).join('\n');
    assert.not.ok(all.includes('s3cr3t-pa55word'));
    assert.ok(all.includes('password is ***'));
  } finally {
    raw.close();
  }
});

test('a big run compacts into several chunks under etcd’s request limit', async () => {
  const mirror = await writer.mirror('run-big');
  await mirror.append(startedEvent('run-big'));
  const filler = 'x'.repeat(60 * 1024);
  for (let seq = 2; seq <= 40; seq += 1) await mirror.append(event('run-big', seq, 'step.output', { message: filler }));
  await mirror.append(finishedEvent('run-big', 41));
  const read = await reader.readRun('run-big');
  assert.ok(read.complete);
  assert.is(read.events.length, 41);
  assert.ok((read.meta?.chunks ?? 0) >= 3, `chunks ${read.meta?.chunks}`);
});

test('past a cap the mirror is marked truncated and stops taking events; the reader says incomplete', async () => {
  const mirror = await writer.mirror('run-capped');
  await mirror.append(startedEvent('run-capped'));
  await mirror.append(event('run-capped', 2, 'step.output', { message: 'y'.repeat(MIRROR_LIMITS.maxEventBytes + 1) }));
  await mirror.append(event('run-capped', 3, 'step.output', { message: 'small, but after the cap' }));
  const read = await reader.readRun('run-capped');
  assert.not.ok(read.complete);
  assert.is(read.meta?.truncatedAt, 2);
  assert.equal(
    read.events.map((e) => e.seq),
    [1],
  );
});

test.run();
