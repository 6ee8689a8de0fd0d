import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/testbed.js';
import {
  freePort,
  freezeCompute,
  journal,
  testbedWatchConfig,
  thaw,
  WatcherProcess,
  watchedRuns,
  writeWatchConfig,
} from '../support/watch-process.js';
import { watchScene } from '../support/watch-scene.js';

/**
 * Issue 18: kill -9 of the watcher while it evacuates a hung host's 10 servers; a new watcher on
 * the same state dir resumes that run (same run id) instead of starting another, and every
 * server is evacuated exactly once (one evacuation migration record each in Nova).
 */
const test = suite('watch: kill -9 during an evacuation, then a new watcher resumes it');
const HOST = 'fake2';
const PREFIX = 'e2e-wc';
const scene = watchScene(test, { tmpPrefix: 'fd-e2e-watch-crash-', boot: { host: HOST, count: 10, prefix: PREFIX } });

test('the resumed run evacuates every server exactly once', async () => {
  const stateDir = join(scene.dir, 'state');
  const config = await writeWatchConfig(scene.dir, testbedWatchConfig(), await freePort());
  const first = new WatcherProcess(config);
  let second: WatcherProcess | undefined;
  let frozen: number | undefined;
  try {
    await first.waitForLog((l) => l.msg === 'watching', 'the watcher to start', 30_000);
    frozen = freezeCompute(HOST);
    await first.waitForLog((l) => l.msg === 'recovering host' && l.host === HOST, 'detection', 180_000);
    const runId = await until(
      async () => (await watchedRuns(stateDir)).find((r) => r.host === HOST)?.runId,
      'runs.json',
    );
    // kill -9 once Nova has accepted a few evacuations of the run, before they are all confirmed
    const progress = (events: Record<string, unknown>[], kind: string): number =>
      events.filter((e) => e.event === 'step.progress' && e.kind === kind).length;
    await until(
      async () => progress(await journal(stateDir, runId), 'evacuation.accepted') >= 3,
      'three evacuations accepted by Nova',
      120_000,
      20,
    );
    await first.stop('SIGKILL');
    const before = await journal(stateDir, runId);
    assert.not.ok(
      before.some((e) => e.event === 'run.finished' || (e.event === 'step.finished' && e.stepId === 'evacuate')),
      'killed during the evacuation',
    );
    const accepted = progress(before, 'evacuation.accepted');
    const confirmed = progress(before, 'evacuation.finished');
    assert.ok(confirmed < 10, 'not every evacuation was confirmed yet');
    console.log(
      `watch crash: kill -9 of the watcher with ${accepted} of 10 evacuations accepted by Nova, ${confirmed} confirmed`,
    );

    second = new WatcherProcess(config);
    const resumed = await second.waitForLog(
      (l) => l.msg === 'resuming a recovery an earlier watcher started',
      'the resume',
      60_000,
    );
    assert.is(resumed.runId, runId);
    const finished = await second.waitForLog(
      (l) => l.msg === 'recovery finished' && l.host === HOST,
      'the resumed run to finish',
      300_000,
    );
    assert.is(finished.status, 'succeeded', second.tail());
    assert.is(finished.runId, runId, 'the same run, not a new one');
    assert.not.ok(
      second.logs.some((l) => l.msg === 'recovering host'),
      'no new recovery started',
    );
    const runs = await watchedRuns(stateDir);
    assert.is(runs.length, 1, JSON.stringify(runs));
    assert.ok(runs[0].finished);
    assert.is((await scene.client.compute.listServersOnHost(HOST)).length, 0);
    for (const server of scene.servers) {
      const after = await scene.client.compute.getServer(server.id);
      assert.ok(after.host !== null && after.host !== HOST, `${server.name} moved (now on ${after.host})`);
      assert.is(after.status, 'ACTIVE', `${server.name} ACTIVE`);
      const migrations = await scene.client.compute.listMigrations({
        instanceUuid: server.id,
        migrationType: 'evacuation',
      });
      assert.is(migrations.length, 1, `${server.name}: exactly one evacuation`);
    }
  } finally {
    await first.stop('SIGKILL');
    if (second) await second.stop();
    if (frozen !== undefined) thaw(frozen);
  }
});

test.run();
