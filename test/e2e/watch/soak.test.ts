import { spawn } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stopNovaApi, testbed, until } from '../support/testbed.js';
import {
  bmcLogLength,
  bmcLogSince,
  freePort,
  freezeCompute,
  httpGet,
  thaw,
  testbedWatchConfig,
  WatcherProcess,
  writeWatchConfig,
} from '../support/watch-process.js';
import { watchScene } from '../support/watch-scene.js';

/**
 * Issue 18, "days, not minutes": the real `forcedown watch` polls for
 * FORCEDOWN_E2E_WATCH_SOAK_MINUTES (default 5) with Keystone's token lifetime cut to a quarter of
 * that (60-120 s, so its token expires about four times), survives a nova-api restart and a Keystone restart, keeps
 * a flat RSS, and afterwards still recovers a hung host exactly once.
 */
const test = suite('watch soak: token expiry, nova-api and Keystone restarts, flat RSS, still recovers');
const HOST = 'fake2';
const PREFIX = 'e2e-ws';
const MINUTES = Number(process.env.FORCEDOWN_E2E_WATCH_SOAK_MINUTES ?? '5');
/** Keystone's token lifetime during the soak: a quarter of it, within 60-120 s. */
const TOKEN_SECONDS = Math.round(Math.min(120, Math.max(60, MINUTES * 15)));
const KEYSTONE_CONF = join(testbed().dir, 'etc/keystone/keystone.conf');
let originalConf: string | undefined;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Restarts Keystone the way up.sh's start_bg started it: SIGTERM by its saved PID, then the same
 * argv and environment (up.sh passes OS_KEYSTONE_CONFIG_FILES), its own session, output appended
 * to log/keystone.log, the new PID saved; waits until /v3 answers.
 */
async function restartKeystone(): Promise<void> {
  const tb = testbed();
  const pidFile = join(tb.dir, 'run', 'keystone.pid');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const env: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)) {
    const at = entry.indexOf('=');
    env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  process.kill(pid, 'SIGTERM');
  await until(
    () => {
      try {
        return Promise.resolve(readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z' || undefined);
      } catch {
        return Promise.resolve(true);
      }
    },
    'keystone to stop',
    60_000,
    100,
  );
  const log = openSync(join(tb.logDir, 'keystone.log'), 'a');
  const child = spawn(argv[0], argv.slice(1), { detached: true, env, stdio: ['ignore', log, log] });
  child.unref();
  writeFileSync(pidFile, `${child.pid}\n`);
  await until(
    async () => {
      try {
        const response = await fetch(`${tb.keystoneUrl.replace(/\/+$/, '').replace(/\/v3$/, '')}/v3`);
        await response.arrayBuffer();
        return response.status === 200 || undefined;
      } catch {
        return undefined;
      }
    },
    'keystone back',
    120_000,
    250,
  );
}

/** keystone.conf with `[token] expiration = seconds`. */
function withExpiration(conf: string, seconds: number): string {
  return conf.replace(/^\[token\]\n/m, `[token]\nexpiration = ${seconds}\n`);
}

const scene = watchScene(test, {
  tmpPrefix: 'fd-e2e-watch-soak-',
  boot: { host: HOST, count: 3, prefix: PREFIX },
  // keystone.conf back (with Keystone restarted) before the host is put back
  restoreFirst: async () => {
    if (originalConf !== undefined && (await readFile(KEYSTONE_CONF, 'utf8')) !== originalConf) {
      await writeFile(KEYSTONE_CONF, originalConf);
      await restartKeystone();
    }
  },
});

interface Polls {
  readonly ok: number;
  readonly error: number;
}

async function polls(port: number): Promise<Polls> {
  const body = (await httpGet(port, '/metrics')).body;
  const value = (result: string): number =>
    Number(new RegExp(`forcedown_watch_polls_total\\{result="${result}"\\} (\\d+)`).exec(body)?.[1] ?? 0);
  return { ok: value('ok'), error: value('error') };
}

function rssKib(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

/** A fault the soak injects at `atMs` into it, with the window its failed polls may fall in. */
interface Fault {
  readonly name: string;
  readonly atMs: number;
  readonly run: () => Promise<void>;
  window?: { from: number; to: number };
  errors?: number;
}

/** Runs a fault, marking its window from 2 s before to 60 s after it is back (stale answers settle). */
async function inject(fault: Fault, port: number): Promise<void> {
  const from = Date.now() - 2000;
  const before = (await polls(port)).error;
  await fault.run();
  fault.window = { from, to: Date.now() + 60_000 };
  fault.errors = -before;
}

/** The soak: polls sampled every 5 s, RSS every minute, the faults injected on schedule. */
async function soak(
  watcher: WatcherProcess,
  port: number,
  faults: Fault[],
): Promise<{ rss: number[]; outside: string[] }> {
  const start = Date.now();
  const end = start + MINUTES * 60_000;
  const rss: number[] = [rssKib(watcher.pid)];
  const outside: string[] = [];
  let last = await polls(port);
  let minuteOk = last.ok;
  let nextMinute = start + 60_000;
  while (Date.now() < end) {
    const due = faults.find((f) => f.window === undefined && Date.now() - start >= f.atMs);
    if (due) await inject(due, port);
    await sleep(5000);
    if (watcher.exitCode !== undefined) throw new Error(`watcher exited: ${watcher.stderr}\n${watcher.tail()}`);
    const now = await polls(port);
    const inWindow = faults.find((f) => f.window && Date.now() >= f.window.from && Date.now() <= f.window.to + 5000);
    if (now.error > last.error && !inWindow)
      outside.push(`${new Date().toISOString()}: ${now.error - last.error} failed poll(s)`);
    for (const f of faults)
      if (f.window && f.errors !== undefined && f.errors < 0 && Date.now() > f.window.to) f.errors += now.error;
    last = now;
    if (Date.now() >= nextMinute) {
      rss.push(rssKib(watcher.pid));
      assert.ok(
        now.ok > minuteOk,
        `polls_total{result="ok"} grew in minute ${rss.length - 1}: ${minuteOk} -> ${now.ok}`,
      );
      minuteOk = now.ok;
      nextMinute += 60_000;
    }
  }
  for (const f of faults) if (f.errors !== undefined && f.errors < 0) f.errors += last.error;
  return { rss, outside };
}

test('polls through token expiry and restarts, RSS flat, then recovers a hung host once', async () => {
  originalConf = await readFile(KEYSTONE_CONF, 'utf8');
  assert.match(originalConf, /^\[token\]$/m);
  await writeFile(KEYSTONE_CONF, withExpiration(originalConf, TOKEN_SECONDS));
  await restartKeystone();
  const port = await freePort();
  const config = await writeWatchConfig(scene.dir, testbedWatchConfig(), port);
  const bmcOffset = await bmcLogLength(HOST);
  const watcher = new WatcherProcess(config);
  let frozen: number | undefined;
  let restartNova: (() => Promise<void>) | undefined;
  let code: number | null;
  try {
    await watcher.waitForLog((l) => l.msg === 'watching', 'the watcher to start', 30_000);
    const soakMs = MINUTES * 60_000;
    const faults: Fault[] = [
      {
        name: 'nova-api restart',
        atMs: soakMs / 3,
        run: async () => {
          restartNova = await stopNovaApi();
          await sleep(5000);
          await restartNova();
          restartNova = undefined;
        },
      },
      { name: 'keystone restart', atMs: (2 * soakMs) / 3, run: restartKeystone },
    ];
    const started = Date.now();
    const { rss, outside } = await soak(watcher, port, faults);
    const totals = await polls(port);
    assert.not.ok(
      watcher.logs.some((l) => l.msg === 'recovering host'),
      `nothing recovered while every host was healthy:\n${watcher.tail()}`,
    );
    assert.equal(outside, [], 'failed polls only around the restarts');
    assert.ok(
      faults.every((f) => f.window !== undefined),
      'both restarts happened',
    );

    // then a hung host, still recovered, exactly once
    frozen = freezeCompute(HOST);
    const frozenAt = Date.now();
    const finished = await watcher.waitForLog(
      (l) => l.msg === 'recovery finished' && l.host === HOST,
      'the hung host to be recovered',
      240_000,
    );
    assert.is(finished.status, 'succeeded', watcher.tail());
    rss.push(rssKib(watcher.pid));
    const mib = rss.map((kib) => (kib / 1024).toFixed(1));
    console.log(
      `watch soak figures: ${MINUTES} min (${((frozenAt - started) / 60_000).toFixed(1)} min polled), polls ok ${totals.ok} error ${totals.error} (${faults.map((f) => `${f.name}: ${f.errors ?? '?'}`).join(', ')}), RSS MiB per minute [${mib.join(', ')}], hung host recovered ${((Date.parse(finished.ts) - frozenAt) / 1000).toFixed(1)} s after SIGSTOP`,
    );
    assert.is(watcher.logs.filter((l) => l.msg === 'recovering host').length, 1, watcher.tail());
    const bmc = await bmcLogSince(HOST, bmcOffset);
    assert.is(bmc.filter((line) => /set power 0 -> killed pid/.test(line)).length, 1, bmc.join('\n'));
    for (const other of testbed().computes.filter((c) => c.host !== HOST))
      assert.not.ok(
        (await scene.client.compute.findComputeService(other.host)).forcedDown,
        `${other.host} not forced down`,
      );
    for (const before of scene.servers) {
      const after = await scene.client.compute.getServer(before.id);
      assert.ok(after.host !== null && after.host !== HOST, `${before.name} moved (now on ${after.host})`);
    }
    // flat: after the first minute (warm-up), no sample more than 1.5x + 32 MiB of the first minute's
    const base = rss[Math.min(1, rss.length - 1)];
    for (const sample of rss) assert.ok(sample <= base * 1.5 + 32 * 1024, `RSS flat: ${mib.join(', ')} MiB`);
  } finally {
    code = await watcher.stop();
    if (frozen !== undefined) thaw(frozen);
    if (restartNova) await restartNova();
  }
  assert.is(code, 0, `watcher stopped cleanly on SIGTERM: ${watcher.stderr}`);
});

test.run();
