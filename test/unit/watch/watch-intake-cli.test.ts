/**
 * The alert intake and the liveness probe through the CLI path (`forcedown watch` in process, on
 * the simulated cloud): the intake on the watch server's real port, the probe against a real
 * TCP listener.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../../src/cli/main.js';
import { captureOutput, cliIn } from '../../support/captured-output.js';
import { adminEnv, startSimulatedCloud } from '../../support/simulated-cloud.js';
import { send } from './http-client.js';

const TOKEN = 'intake-token-0123456789abcdef';

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}
const closeServer = (server: Server): Promise<unknown> => new Promise((resolve) => server.close(resolve));

/** A port free a moment ago (the watch config's listen needs a number, not 0). */
async function freePort(): Promise<number> {
  const { server, port } = await listening();
  await closeServer(server);
  return port;
}

function logLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Waits (bounded, not timed) until a log line matches. */
async function until(
  read: () => string,
  match: (r: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  for (let i = 0; i < 400; i++) {
    const found = logLines(read()).find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no matching log line in:\n${read()}`);
}

function alert(host: string, status: 'firing' | 'resolved'): string {
  return JSON.stringify({
    version: '4',
    status,
    receiver: 'forcedown',
    groupKey: '{}:{alertname="NovaComputeDown"}',
    alerts: [
      {
        status,
        labels: { alertname: 'NovaComputeDown', instance: `${host}.example.net:9100` },
        annotations: {},
        startsAt: '2026-12-02T10:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: `fp-${host}`,
      },
    ],
  });
}

test('watch takes a firing Alertmanager alert on its port (right token) and reports the host', async () => {
  const cloud = await startSimulatedCloud({ computes: ['fake1', 'fake2', 'fake3', 'fake4'] });
  const dir = await mkdtemp(join(tmpdir(), 'fd-watch-intake-'));
  const port = await freePort();
  const stop = new AbortController();
  const io = captureOutput();
  await writeFile(
    join(dir, 'w.json'),
    JSON.stringify({
      mode: 'observe',
      interval: '50ms',
      stateDir: 'state',
      listen: `127.0.0.1:${port}`,
      alerts: { hostLabel: 'instance', hostPattern: '^([^.:]+)', token: { env: 'ALERT_TOKEN' } },
    }),
  );
  const exited = main(['watch', '--config', 'w.json'], {
    stdout: io.stdout,
    stderr: io.stderr,
    env: { HOME: dir, NO_COLOR: '1', ...adminEnv(cloud.double), ALERT_TOKEN: TOKEN },
    cwd: dir,
    signal: stop.signal,
  });
  try {
    const watching = await until(io.out, (r) => r.msg === 'watching');
    const url = watching.alerts as string;
    assert.is(url, `http://127.0.0.1:${port}/api/v1/alerts`);
    const json = { 'content-type': 'application/json' };
    const wrong = await send(url, {
      headers: { ...json, authorization: 'Bearer not-the-token' },
      body: alert('fake3', 'firing'),
    });
    assert.is(wrong.status, 401);
    const right = await send(url, {
      headers: { ...json, authorization: `Bearer ${TOKEN}` },
      body: alert('fake2', 'firing'),
    });
    assert.is(right.status, 200, right.text);
    // fake2 still heartbeats: the alert alone makes no candidate, and the watcher says so
    await until(io.out, (r) => r.host === 'fake2' && /still sees heartbeating/.test(String(r.msg)));
    assert.not.ok(logLines(io.out()).some((r) => r.host === 'fake2' && /would recover/.test(String(r.msg))));
    // once Nova sees it miss its heartbeat, the alerted host is a candidate
    cloud.double.killCompute('fake2', { now: true });
    const would = await until(io.out, (r) => r.host === 'fake2' && /would recover/.test(String(r.msg)));
    assert.match(String(would.msg), /mode observe/);
    const metrics = await send(`http://127.0.0.1:${port}/metrics`, { method: 'GET' });
    assert.match(metrics.text, /forcedown_watch_candidates 1/);
    // the alert with the wrong token named fake3: nothing of it reached the watcher
    assert.not.ok(logLines(io.out()).some((r) => r.host === 'fake3'));
    assert.is(cloud.double.service('fake2')?.forcedDown, false);
    assert.not.match(io.out() + io.err(), new RegExp(TOKEN));
  } finally {
    stop.abort();
    assert.is(await exited, 0, io.err());
    await cloud.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a probe that answers (a real TCP listener) vetoes the fence of a stale host', async () => {
  const cloud = await startSimulatedCloud({ computes: ['fake1', 'fake2', 'fake3', 'fake4'] });
  const dir = await mkdtemp(join(tmpdir(), 'fd-watch-probe-'));
  const { server, port } = await listening();
  try {
    const bmc = { driver: 'command', command: ['/bin/true'] };
    await writeFile(
      join(dir, 'inventory.json'),
      JSON.stringify({ hosts: { fake1: { bmc, probe: { tcp: `127.0.0.1:${port}`, timeoutSec: 2 } }, fake2: { bmc } } }),
    );
    await writeFile(
      join(dir, 'w.json'),
      JSON.stringify({ mode: 'act', confirmSamples: 1, stateDir: 'state', inventory: 'inventory.json' }),
    );
    cloud.double.killCompute('fake1', { now: true });
    const run = await cliIn(dir, ['watch', '--config', 'w.json', '--once', '--output', 'json'], adminEnv(cloud.double));
    assert.is(run.code, 11, run.err);
    const report = JSON.parse(run.out) as { recover: string[]; trips: { reason: string; host?: string }[] };
    assert.equal(report.recover, []);
    assert.ok(
      report.trips.some((t) => t.host === 'fake1' && t.reason === 'probe-veto'),
      JSON.stringify(report.trips),
    );
    assert.is(cloud.double.service('fake1')?.forcedDown, false);
    // the same host without a listener: the probe is silent and the host would be recovered
    await closeServer(server);
    const dry = await cliIn(
      dir,
      ['watch', '--config', 'w.json', '--once', '--dry-run', '--output', 'json'],
      adminEnv(cloud.double),
    );
    assert.is(dry.code, 10, dry.err);
    assert.equal((JSON.parse(dry.out) as { recover: string[] }).recover, ['fake1'], dry.err);
  } finally {
    if (server.listening) await closeServer(server);
    await cloud.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
