import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { loadRunbook } from '../../../src/runbook/index.js';
import { catalog } from '../../../src/steps/catalog.js';
import { WatchMetrics, startWatchServer } from '../../../src/watch/metrics.js';
import { RunnerRecoveries } from '../../../src/watch/recoveries.js';
import { Watcher } from '../../../src/watch/watcher.js';
import { startSimulatedCloud } from '../../support/simulated-cloud.js';

/** The value of one sample line of a Prometheus text exposition (undefined: no such line). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('/metrics after a recovery on the simulated cloud counts polls, trips, runs and seconds', async () => {
  const cloud = await startSimulatedCloud({ computes: ['fake1', 'fake2', 'fake3', 'fake4'] });
  const stateDir = await mkdtemp(join(tmpdir(), 'fd-watch-metrics-'));
  const services = cloud.services();
  const metrics = new WatchMetrics();
  const loaded = await loadRunbook('runbooks/host-failure.json', process.cwd());
  const watcher = new Watcher({
    settings: {
      intervalMs: 50,
      staleAfterMs: 30_000,
      heartbeatIntervalMs: 10_000,
      confirmSamples: 1,
      mode: 'act',
      guards: {
        maxStaleFraction: 0.5,
        maxConcurrentRecoveries: 2,
        maxRecoveriesPerHour: 5,
        zoneLimits: {},
        aggregates: {},
        recoverAfterSamples: 2,
        settleAfterTripMs: 0, // the self-check trip below is not held after
      },
    },
    compute: async () => (await services.openstack()).compute,
    launcher: new RunnerRecoveries({ loaded, vars: {}, catalog, exitCodes: exitCodeFor, services, stateDir, env: {} }),
    log: () => undefined,
    observer: metrics,
  });
  const server = await startWatchServer({ host: '127.0.0.1', port: 0, metrics, ready: () => watcher.lastPollOk });
  try {
    assert.is((await fetch(`${server.url}/readyz`)).status, 503, 'not ready before the first poll');
    assert.is((await fetch(`${server.url}/healthz`)).status, 200);
    cloud.double.addServers(2, { host: 'fake1' });
    cloud.double.killCompute('fake1', { now: true });
    cloud.double.failNext({ status: 503, times: 10, route: 'GET /v2.1/os-services' });
    await watcher.cycle(); // fails: arms the self-check
    cloud.double.clearFailures();
    await watcher.cycle(); // self-check trip
    assert.equal((await watcher.cycle()).recover, ['fake1']);
    await watcher.settle();
    assert.is((await fetch(`${server.url}/readyz`)).status, 200);
    const response = await fetch(`${server.url}/metrics`);
    assert.is(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    assert.is(sample(text, 'forcedown_watch_polls_total{result="ok"}'), 2);
    assert.is(sample(text, 'forcedown_watch_polls_total{result="error"}'), 1);
    assert.is(sample(text, 'forcedown_watch_guard_trips_total{reason="self-check"}'), 1);
    assert.is(sample(text, 'forcedown_watch_runs_total{outcome="succeeded"}'), 1);
    assert.is(sample(text, 'forcedown_watch_candidates'), 1);
    assert.is(sample(text, 'forcedown_watch_forced_down_seconds_count'), 1);
    assert.is(sample(text, 'forcedown_watch_evacuated_seconds_count'), 1);
    assert.is((await fetch(`${server.url}/nothing`)).status, 404);
  } finally {
    await server.close();
    await cloud.close();
    await rm(stateDir, { recursive: true, force: true });
  }
});

test('the server refuses an address it cannot bind', async () => {
  const metrics = new WatchMetrics();
  const first = await startWatchServer({ host: '127.0.0.1', port: 0, metrics, ready: () => true });
  try {
    const port = Number(new URL(first.url).port);
    const second = await startWatchServer({ host: '127.0.0.1', port, metrics, ready: () => true }).then(
      () => 'bound',
      (error: NodeJS.ErrnoException) => error.code,
    );
    assert.is(second, 'EADDRINUSE');
  } finally {
    await first.close();
  }
});

test.run();
