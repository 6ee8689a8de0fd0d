/**
 * Issue 14 end to end: highly available watchers on the real testbed (Nova + ipmi_sim + the
 * 3-member etcd). Two `forcedown watch` processes (two state dirs, one etcd prefix and region, a
 * 5 s lease) elect a leader; a hung host (nova-compute SIGSTOPped) with 10 servers is recovered by
 * the leader; kill -9 of the leader mid-evacuation: the follower is elected within TTL + one poll,
 * resumes the same run from etcd's mirror and finishes it, every server evacuated exactly once.
 * Then, without quorum (two members stopped) and a host hung: no fence, /readyz says cannot
 * coordinate; once the members are back the watcher leads again and recovers the host.
 * Every host, member and server is put back, also on failure.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpenStackClient, Server } from '../../../src/openstack/index.js';
import { adminClient, bootServers, deleteServers, ensureHealthy, testbed, until } from '../support/testbed.js';
import { allMembersUp, dropPrefix, member, testbedEtcd, uniquePrefix } from './etcd-support.js';
import {
  bmcLog,
  freePort,
  freezeCompute,
  httpGet,
  journal,
  testbedWatchConfig,
  thaw,
  WatcherProcess,
  writeWatchConfig,
  type WatchLog,
} from '../support/watch-process.js';

const test = suite('watch: leader election, takeover after kill -9, no quorum');
const SERVERS = 'e2e-watch-ha';
const TTL = 5;
const INTERVAL_S = 2;
const prefix = uniquePrefix('watch-ha');
let client: OpenStackClient;
let dir = '';
let frozen: number[] = [];
let watchers: WatcherProcess[] = [];

/** A watcher of the suite's region in `dir/name` (its own state dir and port). */
async function watcher(name: string): Promise<{ w: WatcherProcess; port: number; stateDir: string }> {
  const port = await freePort();
  const config = await writeWatchConfig(
    join(dir, name),
    testbedWatchConfig({
      interval: `${INTERVAL_S}s`,
      coordination: {
        endpoints: [...testbedEtcd().endpoints],
        prefix,
        region: 'RegionOne',
        leaseTtl: TTL,
        timeout: 3,
      },
    }),
    port,
  );
  const w = new WatcherProcess(config);
  watchers.push(w);
  return { w, port, stateDir: join(dir, name, 'state') };
}

const leads = (l: WatchLog): boolean => typeof l.msg === 'string' && l.msg.startsWith('elected leader');
const at = (l: WatchLog): number => Date.parse(l.ts);
const powerOffs = (text: string): number => (text.match(/set power 0/g) ?? []).length;

/** The run id the watcher recorded for `host` in `<state>/watch/runs.json`. */
async function runIdOf(stateDir: string, host: string): Promise<string | undefined> {
  const text = await readFile(join(stateDir, 'watch', 'runs.json'), 'utf8').catch(() => '{"runs":[]}');
  try {
    return (JSON.parse(text) as { runs: { runId: string; host: string }[] }).runs.find((r) => r.host === host)?.runId;
  } catch {
    return undefined; // being written
  }
}

test.before(async () => {
  await allMembersUp();
  client = await adminClient();
  dir = await mkdtemp(join(tmpdir(), 'fd-e2e-watch-ha-'));
  await deleteServers(client, SERVERS);
  for (const compute of testbed().computes) await ensureHealthy(client, compute.host);
});
test.after.each(async () => {
  try {
    for (const w of watchers) await w.stop();
    for (const pid of frozen) thaw(pid);
    await allMembersUp();
  } finally {
    watchers = [];
    frozen = [];
    for (const compute of testbed().computes) await ensureHealthy(client, compute.host);
    await deleteServers(client, SERVERS);
  }
});
test.after(async () => {
  try {
    await allMembersUp();
    await dropPrefix(prefix);
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('kill -9 of the leader mid-evacuation: the follower takes over, every server evacuated once', async () => {
  const HOST = 'fake1';
  const servers: Server[] = await bootServers(client, HOST, 10, { prefix: SERVERS });
  const a = await watcher('a');
  await a.w.waitForLog(leads, 'watcher a elected', 30_000);
  const b = await watcher('b');
  await b.w.waitForLog((l) => l.msg === 'watching', 'watcher b started', 30_000);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.not.ok(b.w.logs.some(leads), `b follows while a leads:\n${b.w.tail()}`);
  assert.is((await httpGet(b.port, '/readyz')).status, 503, 'the follower is not ready');
  assert.is((await httpGet(b.port, '/healthz')).status, 200, 'the follower is healthy');
  assert.is((await httpGet(a.port, '/readyz')).status, 200, 'the leader is ready');

  frozen.push(freezeCompute(HOST));
  await a.w.waitForLog((l) => l.msg === 'recovering host' && l.host === HOST, 'a detects the hang', 120_000);
  const runId = await until(() => runIdOf(a.stateDir, HOST), 'a records its run', 30_000);
  const accepted = (events: Record<string, unknown>[]): number =>
    events.filter((e) => e.event === 'step.progress' && e.kind === 'evacuation.accepted').length;
  await until(async () => accepted(await journal(a.stateDir, runId)) >= 3, 'a: 3 evacuations accepted', 120_000, 20);
  await a.w.stop('SIGKILL');
  const killed = Date.now();
  const before = await journal(a.stateDir, runId);
  assert.not.ok(
    before.some((e) => e.event === 'run.finished' || (e.event === 'step.finished' && e.stepId === 'evacuate')),
    'killed during the evacuation',
  );

  const elected = await b.w.waitForLog(leads, 'b elected', 60_000);
  assert.is(elected.msg, 'elected leader: taking over', b.w.tail());
  const resumed = await b.w.waitForLog((l) => l.msg === 'takeover done', 'b resumed the runs', 60_000);
  assert.is(resumed.resumedRuns, 1, b.w.tail());
  const finished = await b.w.waitForLog(
    (l) => l.msg === 'recovery finished' && l.host === HOST,
    'b finishes the run',
    300_000,
  );
  assert.is(finished.status, 'succeeded', b.w.tail());
  assert.is(finished.runId, runId, 'the same run, resumed (not a new one)');
  const events = await journal(b.stateDir, runId);
  const evacuated = events.find((e) => e.event === 'step.finished' && e.stepId === 'evacuate');
  assert.ok(evacuated, 'evacuate finished in b journal');
  const s = (t: number): string => ((t - killed) / 1000).toFixed(1);
  console.log(
    `watch takeover figures: kill -> elected ${s(at(elected))} s, kill -> run resumed ${s(at(resumed))} s, kill -> last server ${s(Date.parse(String(evacuated.ts)))} s (TTL ${TTL} s, interval ${INTERVAL_S} s)`,
  );
  assert.ok(at(elected) - killed <= (TTL + INTERVAL_S + 2) * 1000, `elected within TTL + one poll (+2 s)`);
  assert.is(b.w.logs.filter((l) => l.msg === 'recovering host').length, 0, 'b started no new run for the host');

  const service = await client.compute.findComputeService(HOST);
  assert.equal([service.forcedDown, service.status], [true, 'disabled']);
  assert.is((await client.compute.listServersOnHost(HOST)).length, 0);
  for (const server of servers) {
    const migrations = await client.compute.listMigrations({ instanceUuid: server.id, migrationType: 'evacuation' });
    assert.is(migrations.length, 1, `${server.name}: exactly one evacuation`);
    const after = await client.compute.getServer(server.id);
    assert.is(after.status, 'ACTIVE', `${server.name} ACTIVE on ${after.host}`);
  }
  const metrics = (await httpGet(b.port, '/metrics')).body;
  assert.match(metrics, /forcedown_watch_leader 1/);
  assert.match(metrics, /forcedown_watch_takeovers_total 1/);
});

test('no quorum with a host hung: no fence, /readyz cannot coordinate; members back: recovered', async () => {
  const HOST = 'fake3';
  await bootServers(client, HOST, 2, { prefix: SERVERS });
  const c = await watcher('c');
  await c.w.waitForLog(leads, 'watcher c elected', 30_000);
  await until(async () => (await httpGet(c.port, '/readyz')).status === 200, 'c ready', 20_000);
  const offset = (await bmcLog(HOST)).length;
  member('stop', 2);
  member('stop', 3);
  const noQuorum = Date.now();
  const readyz = await until(
    async () => {
      const r = await httpGet(c.port, '/readyz');
      return r.status === 503 && r.body.includes('cannot coordinate') ? r : undefined;
    },
    '/readyz: cannot coordinate',
    60_000,
    200,
  );
  console.log(
    `watch no-quorum figures: two members stopped -> /readyz cannot coordinate ${((Date.now() - noQuorum) / 1000).toFixed(1)} s`,
  );
  frozen.push(freezeCompute(HOST));
  // stale after 20 s, two samples 2 s apart: a leader would have fenced within ~30 s
  await new Promise((resolve) => setTimeout(resolve, 40_000));
  assert.is(powerOffs((await bmcLog(HOST)).slice(offset)), 0, 'no fence without quorum');
  assert.not.ok(
    c.w.logs.some((l) => l.msg === 'recovering host'),
    c.w.tail(),
  );
  const still = await httpGet(c.port, '/readyz');
  assert.is(still.status, 503, readyz.body);
  assert.match(still.body, 'cannot coordinate');
  assert.match((await httpGet(c.port, '/metrics')).body, /forcedown_watch_coordination_ok 0/);
  assert.ok(
    c.w.logs.some((l) => String(l.msg).startsWith('cannot coordinate') || String(l.msg).includes('cannot coordinate')),
  );

  await allMembersUp();
  const back = Date.now();
  const releader = await c.w.waitForLog((l) => leads(l) && at(l) >= back - 1000, 'c leads again', 60_000);
  const finished = await c.w.waitForLog(
    (l) => l.msg === 'recovery finished' && l.host === HOST,
    'c recovers the hung host',
    240_000,
  );
  assert.is(finished.status, 'succeeded', c.w.tail());
  console.log(`watch no-quorum figures: members back -> leader again ${((at(releader) - back) / 1000).toFixed(1)} s`);
  assert.is(powerOffs((await bmcLog(HOST)).slice(offset)), 1, 'one fence, after quorum came back');
  assert.is((await client.compute.listServersOnHost(HOST)).length, 0);
  assert.is((await httpGet(c.port, '/readyz')).status, 200);
});

test.run();
