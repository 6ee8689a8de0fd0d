import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bmcLogLength,
  bmcLogSince,
  freePort,
  freezeCompute,
  httpGet,
  journal,
  testbedWatchConfig,
  thaw,
  WatcherProcess,
  writeWatchConfig,
} from '../support/watch-process.js';
import { watchScene } from '../support/watch-scene.js';

/**
 * Issue 18 end to end: a hung host (its nova-compute SIGSTOPped: the process is there, its
 * heartbeats stop) with 10 servers, noticed by the real `forcedown watch` process from Nova's
 * os-services alone, then fenced through its ipmi_sim BMC, forced down and evacuated.
 */
const test = suite('watch: a hung host is fenced, forced down and evacuated');
const HOST = 'fake1';
const PREFIX = 'e2e-wh';
const scene = watchScene(test, { tmpPrefix: 'fd-e2e-watch-', boot: { host: HOST, count: 10, prefix: PREFIX } });

const novaTime = (text: string): number => Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);

test('SIGSTOPped nova-compute: detected, fenced, forced down, all 10 evacuated once', async () => {
  const port = await freePort();
  const config = await writeWatchConfig(scene.dir, testbedWatchConfig(), port);
  const bmcOffset = await bmcLogLength(HOST);
  const watcher = new WatcherProcess(config);
  let frozen: number | undefined;
  try {
    await watcher.waitForLog((l) => l.msg === 'watching', 'the watcher to start', 30_000);
    // a quiet cloud first: a few polls, nothing to do
    await new Promise((resolve) => setTimeout(resolve, 5000));
    assert.not.ok(
      watcher.logs.some((l) => l.msg === 'recovering host'),
      watcher.tail(),
    );
    const started = Date.now();
    frozen = freezeCompute(HOST);
    // the last heartbeat Nova recorded (updated_at), followed until the watcher acts
    let lastHeartbeat = 0;
    let detected: number | undefined;
    while (detected === undefined) {
      const service = await scene.client.compute.findComputeService(HOST);
      const recovering = watcher.logs.find((l) => l.msg === 'recovering host' && l.host === HOST);
      if (recovering) detected = Date.parse(recovering.ts);
      else if (service.updatedAt) lastHeartbeat = Math.max(lastHeartbeat, novaTime(service.updatedAt));
      if (watcher.exitCode !== undefined) throw new Error(`watcher exited: ${watcher.stderr}`);
      if (Date.now() - started > 180_000) throw new Error(`no detection after 180 s:\n${watcher.tail()}`);
      if (detected === undefined) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const finished = await watcher.waitForLog(
      (l) => l.msg === 'recovery finished' && l.host === HOST,
      'the recovery to finish',
      300_000,
    );
    assert.is(finished.status, 'succeeded', watcher.tail());
    const events = await journal(join(scene.dir, 'state'), String(finished.runId));
    const stepAt = (id: string): number => {
      const e = events.find((ev) => ev.event === 'step.finished' && ev.stepId === id);
      assert.ok(e, `step ${id} finished in the journal`);
      return Date.parse(String(e.ts));
    };
    const fenced = stepAt('fence');
    const down = stepAt('force-down');
    const evacuated = stepAt('evacuate');
    const s = (t: number): string => ((t - lastHeartbeat) / 1000).toFixed(1);
    console.log(
      `watch e2e figures: from the last heartbeat (${new Date(lastHeartbeat).toISOString()}): detected ${s(detected)} s, fenced ${s(fenced)} s, forced down ${s(down)} s, last of 10 servers confirmed ${s(evacuated)} s (target <= 45 s)`,
    );
    assert.ok(lastHeartbeat > 0, 'a heartbeat was seen');
    assert.ok(evacuated - lastHeartbeat < 180_000, 'hang guard: recovered within 3 minutes of the last heartbeat');
    // one recovery, not one per poll
    assert.is(watcher.logs.filter((l) => l.msg === 'recovering host').length, 1, watcher.tail());
    // the BMC really powered the host off
    const bmc = await bmcLogSince(HOST, bmcOffset);
    assert.ok(
      bmc.some((line) => /set power 0 -> killed pid/.test(line)),
      bmc.join('\n'),
    );
    const service = await scene.client.compute.findComputeService(HOST);
    assert.ok(service.forcedDown, 'forced down');
    assert.is(service.status, 'disabled');
    assert.is((await scene.client.compute.listServersOnHost(HOST)).length, 0);
    for (const before of scene.servers) {
      const after = await scene.client.compute.getServer(before.id);
      assert.ok(after.host !== null && after.host !== HOST, `${before.name} moved (now on ${after.host})`);
      assert.is(after.status, 'ACTIVE', `${before.name} ACTIVE`);
      const migrations = await scene.client.compute.listMigrations({
        instanceUuid: before.id,
        migrationType: 'evacuation',
      });
      assert.is(migrations.length, 1, `${before.name}: exactly one evacuation`);
    }
    const metrics = await httpGet(port, '/metrics');
    assert.match(metrics.body, /forcedown_watch_runs_total\{outcome="succeeded"\} 1/);
    assert.match(metrics.body, /forcedown_watch_evacuated_seconds_count 1/);
  } finally {
    const code = await watcher.stop();
    if (frozen !== undefined) thaw(frozen);
    assert.is(code, 0, `watcher stopped cleanly on SIGTERM: ${watcher.stderr}`);
  }
});

test.run();
