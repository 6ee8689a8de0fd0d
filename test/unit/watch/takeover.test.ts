import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import type { LockHolder, MirroredRun, RunMirrorMeta } from '../../../src/coordination/index.js';
import { loadRunbook } from '../../../src/runbook/index.js';
import { journalPath, readJournal, type RunEvent } from '../../../src/runner/index.js';
import { catalog } from '../../../src/steps/catalog.js';
import { RunnerRecoveries } from '../../../src/watch/recoveries.js';
import { CoordinatedRecoveries, unfinishedInMirror, type TakeoverSource } from '../../../src/watch/takeover.js';
import type { LogRecord } from '../../../src/watch/watcher.js';
import { startSimulatedCloud } from '../../support/simulated-cloud.js';

/** An in-memory etcd mirror + locks: the runs and holders the test puts there. */
class FakeSource implements TakeoverSource {
  readonly runs = new Map<string, MirroredRun>();
  readonly holders = new Map<string, LockHolder>();
  readonly locks = { holder: (host: string) => Promise.resolve(this.holders.get(host)) };
  listRuns(): Promise<RunMirrorMeta[]> {
    return Promise.resolve([...this.runs.values()].map((r) => r.meta as RunMirrorMeta));
  }
  readRun(runId: string): Promise<MirroredRun> {
    return Promise.resolve(this.runs.get(runId) ?? { meta: undefined, events: [], complete: false });
  }
}

function meta(over: Partial<RunMirrorMeta>): RunMirrorMeta {
  return {
    runId: 'r1',
    runbook: 'host-failure',
    hosts: ['fake1'],
    startedAt: '2024-01-01T00:00:00Z',
    machine: 'a',
    pid: 1,
    dryRun: false,
    status: 'running',
    updatedAt: '2024-01-01T00:00:01Z',
    events: 1,
    bytes: 1,
    startedBy: 'watch',
    ...over,
  };
}

test('only unfinished, non-dry runs a watcher started are taken over', () => {
  const runs = [
    meta({ runId: 'a' }),
    meta({ runId: 'b', status: 'succeeded' }),
    meta({ runId: 'c', startedBy: undefined }),
    meta({ runId: 'd', dryRun: true }),
    meta({ runId: 'e', status: 'interrupted' }),
  ];
  assert.equal(
    unfinishedInMirror(runs).map((r) => r.runId),
    ['a', 'e'],
  );
});

async function setup() {
  const cloud = await startSimulatedCloud({ computes: ['fake1', 'fake2', 'fake3', 'fake4'] });
  const dirA = await mkdtemp(join(tmpdir(), 'fd-take-a-'));
  const dirB = await mkdtemp(join(tmpdir(), 'fd-take-b-'));
  const services = cloud.services();
  const loaded = await loadRunbook('runbooks/host-failure.json', process.cwd());
  const inner = (stateDir: string) =>
    new RunnerRecoveries({
      loaded,
      vars: {},
      catalog,
      exitCodes: exitCodeFor,
      services,
      stateDir,
      env: {},
      meta: { startedBy: 'watch' },
    });
  const done = async () => {
    await cloud.close();
    await rm(dirA, { recursive: true, force: true });
    await rm(dirB, { recursive: true, force: true });
  };
  return { cloud, dirA, dirB, inner, done };
}

test("a new leader imports a dead leader's journal from etcd and resumes it to the end", async () => {
  const t = await setup();
  try {
    const ids = t.cloud.double.addServers(3, { host: 'fake1' });
    t.cloud.double.killCompute('fake1');
    // the dead leader (state dir A): its run stopped after the force-down (interrupted), journal mirrored
    const a = t.inner(t.dirA);
    const stopAfterForceDown = new AbortController();
    const first = await a.start('fake1', {
      signal: stopAfterForceDown.signal,
      onPhase: (phase) => phase === 'after-force-down' && stopAfterForceDown.abort(),
    });
    const events = (await readJournal(t.dirA, first.runId)).events as unknown as RunEvent[];
    const started = events[0] as RunEvent & { options: { startedBy?: string } };
    assert.is(started.options.startedBy, 'watch', 'run.started carries the marker');
    const source = new FakeSource();
    source.runs.set(first.runId, {
      meta: meta({ runId: first.runId, status: 'interrupted' }),
      events,
      complete: true,
    });
    // a dead holder on this machine (the rule of EtcdHostLocks lets the same run take it over)
    source.holders.set('fake1', { runId: first.runId, machine: hostname(), pid: 2 ** 22 + 7, since: 'x' });
    const logs: LogRecord[] = [];
    const b = new CoordinatedRecoveries({
      inner: t.inner(t.dirB),
      source,
      stateDir: t.dirB,
      log: (r) => logs.push(r),
      lockWaitMs: 0,
    });
    const open = await b.unfinished();
    assert.equal(
      open.map((r) => [r.runId, r.host]),
      [[first.runId, 'fake1']],
    );
    assert.ok((await readFile(journalPath(t.dirB, first.runId), 'utf8')).includes('"run.started"'));
    const [taken] = open;
    assert.ok(taken);
    const outcome = await b.resume(taken, { signal: new AbortController().signal });
    assert.is(outcome.summary.status, 'succeeded');
    assert.ok(
      ids.every((id) => t.cloud.double.server(id)?.host !== 'fake1'),
      'every server left fake1',
    );
    assert.equal(await b.unfinished(), [], 'a finished takeover is not taken over again');
    assert.ok(logs.some((l) => l.msg === 'taking over a run of another watcher'));
  } finally {
    await t.done();
  }
});

test('a run whose lock a live holder keeps is refused after the wait, not resumed', async () => {
  const t = await setup();
  try {
    const source = new FakeSource();
    source.runs.set('r1', {
      meta: meta({}),
      events: [{ v: 1, seq: 1, runId: 'r1', event: 'run.started', ts: 'x' }],
      complete: true,
    });
    source.holders.set('fake1', { runId: 'r1', machine: 'elsewhere', pid: process.pid, since: 'x' });
    const b = new CoordinatedRecoveries({
      inner: t.inner(t.dirB),
      source,
      stateDir: t.dirB,
      log: () => undefined,
      lockWaitMs: 0,
    });
    const [run] = await b.unfinished();
    assert.ok(run);
    try {
      await b.resume(run, { signal: new AbortController().signal });
      assert.unreachable('resumed a run another process holds');
    } catch (error) {
      assert.is((error as { code?: string }).code, 'HOST_LOCKED');
    }
  } finally {
    await t.done();
  }
});

test('an incomplete mirror is not taken over', async () => {
  const t = await setup();
  try {
    const source = new FakeSource();
    source.runs.set('r1', { meta: meta({ truncatedAt: 9 }), events: [{ seq: 1 }] as never, complete: false });
    const logs: LogRecord[] = [];
    const b = new CoordinatedRecoveries({
      inner: t.inner(t.dirB),
      source,
      stateDir: t.dirB,
      log: (r) => logs.push(r),
      lockWaitMs: 0,
    });
    assert.equal(await b.unfinished(), []);
    assert.ok(logs.some((l) => /incomplete/.test(l.msg)));
  } finally {
    await t.done();
  }
});

test.run();
