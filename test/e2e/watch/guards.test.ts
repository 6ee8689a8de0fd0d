import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { testbed, until } from '../support/testbed.js';
import {
  bmcLogLength,
  bmcLogSince,
  freePort,
  freezeCompute,
  httpGet,
  stopDaemon,
  testbedWatchConfig,
  thaw,
  WatcherProcess,
  writeWatchConfig,
} from '../support/watch-process.js';
import { watchScene } from '../support/watch-scene.js';

/**
 * Issue 18's guards against the real testbed: a stopped nova-conductor (every compute's
 * heartbeat stops with it) and 2 of 3 computes hung at once must fence nothing and force down
 * nothing; the breakers say why in the log and in /metrics. A hung compute whose host still
 * answers its inventory liveness probe is vetoed, not fenced.
 */
const test = suite('watch: guards hold when the failure is not one host');
const scene = watchScene(test, { tmpPrefix: 'fd-e2e-watch-guards-' });
const hosts = (): string[] => testbed().computes.map((c) => c.host);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every service up with a heartbeat of the last 15 s (a calm cloud to start from). */
async function calm(): Promise<void> {
  await until(
    async () => {
      const services = await scene.client.compute.listServices();
      const fresh = (t: string | null): boolean => t !== null && Date.now() - Date.parse(`${t}Z`) < 15_000;
      return services.every((s) => s.state === 'up' && fresh(s.updatedAt)) || undefined;
    },
    'every service up with a fresh heartbeat',
    180_000,
    1000,
  );
}

async function bmcOffsets(): Promise<Map<string, number>> {
  return new Map(await Promise.all(hosts().map(async (h) => [h, await bmcLogLength(h)] as const)));
}

/** Nothing fenced, nothing forced down, no recovery started. */
async function assertUntouched(watcher: WatcherProcess, offsets: Map<string, number>): Promise<void> {
  assert.not.ok(
    watcher.logs.some((l) => l.msg === 'recovering host'),
    watcher.tail(),
  );
  for (const host of hosts()) {
    const lines = await bmcLogSince(host, offsets.get(host)!);
    assert.not.ok(
      lines.some((l) => /set power 0|set shutdown|set reset/.test(l)),
      `${host} BMC: ${lines.join('\n')}`,
    );
    assert.not.ok((await scene.client.compute.findComputeService(host)).forcedDown, `${host} not forced down`);
  }
}

test('nova-conductor stopped: every heartbeat stops, no fence, no force-down; nothing after it is back', async () => {
  await calm();
  const port = await freePort();
  const watcher = new WatcherProcess(await writeWatchConfig(join(scene.dir, 'conductor'), testbedWatchConfig(), port));
  const offsets = await bmcOffsets();
  let restart: (() => Promise<void>) | undefined;
  try {
    await watcher.waitForLog((l) => l.msg === 'watching', 'the watcher to start', 30_000);
    restart = await stopDaemon('nova-conductor');
    await watcher.waitForLog((l) => l.guard === 'stale-fraction', 'the stale-fraction breaker', 90_000);
    await watcher.waitForLog((l) => l.guard === 'control-plane-down', 'the control-plane breaker', 120_000);
    await assertUntouched(watcher, offsets);
    await restart();
    await calm();
    await sleep(40_000);
    await assertUntouched(watcher, offsets);
    const metrics = (await httpGet(port, '/metrics')).body;
    assert.match(metrics, /forcedown_watch_guard_trips_total\{reason="control-plane-down"\} [1-9]/);
    assert.match(metrics, /forcedown_watch_guard_trips_total\{reason="stale-fraction"\} [1-9]/);
  } finally {
    await restart?.();
    await watcher.stop();
  }
});

test('2 of 3 computes hung at once: the stale-fraction breaker, no fence', async () => {
  await calm();
  const port = await freePort();
  const watcher = new WatcherProcess(await writeWatchConfig(join(scene.dir, 'mass'), testbedWatchConfig(), port));
  const offsets = await bmcOffsets();
  const frozen: number[] = [];
  try {
    await watcher.waitForLog((l) => l.msg === 'watching', 'the watcher to start', 30_000);
    for (const host of hosts().slice(0, 2)) frozen.push(freezeCompute(host));
    const trip = await watcher.waitForLog((l) => l.guard === 'stale-fraction', 'the stale-fraction breaker', 90_000);
    assert.match(String(trip.msg), /2 of 3 enabled computes look stale/);
    await sleep(10_000);
    await assertUntouched(watcher, offsets);
    const metrics = (await httpGet(port, '/metrics')).body;
    assert.match(metrics, /forcedown_watch_guard_trips_total\{reason="stale-fraction"\} [1-9]/);
  } finally {
    await watcher.stop();
    for (const pid of frozen) thaw(pid);
  }
});

test('a hung compute whose host answers its liveness probe (tcp): vetoed, not fenced', async () => {
  await calm();
  const host = hosts()[2];
  // the host "answers": a TCP listener of this test stands for its sshd
  const listener = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const probePort = (listener.address() as AddressInfo).port;
  const inventory = JSON.parse(await readFile(testbed().inventory, 'utf8')) as {
    hosts: Record<string, Record<string, unknown>>;
  };
  inventory.hosts[host] = { ...inventory.hosts[host], probe: { tcp: `127.0.0.1:${probePort}`, timeoutSec: 2 } };
  await mkdir(join(scene.dir, 'veto'), { recursive: true });
  const inventoryFile = join(scene.dir, 'veto', 'inventory.json');
  await writeFile(inventoryFile, JSON.stringify(inventory, null, 2));
  const port = await freePort();
  const config = await writeWatchConfig(
    join(scene.dir, 'veto'),
    testbedWatchConfig({ inventory: inventoryFile }),
    port,
  );
  const watcher = new WatcherProcess(config);
  const offsets = await bmcOffsets();
  let frozen: number | undefined;
  try {
    await watcher.waitForLog((l) => l.msg === 'watching', 'the watcher to start', 30_000);
    frozen = freezeCompute(host);
    const veto = await watcher.waitForLog((l) => l.guard === 'probe-veto' && l.host === host, 'the probe veto', 90_000);
    assert.match(String(veto.msg), /answers its liveness probe/);
    await sleep(6000); // a few more cycles: still vetoed, never fenced
    await assertUntouched(watcher, offsets);
    const metrics = (await httpGet(port, '/metrics')).body;
    assert.match(metrics, /forcedown_watch_guard_trips_total\{reason="probe-veto"\} [1-9]/);
  } finally {
    await watcher.stop();
    if (frozen !== undefined) thaw(frozen);
    await new Promise((resolve) => listener.close(resolve));
  }
});

test.run();
