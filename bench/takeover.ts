/**
 * Watcher takeover on the real testbed (issue 14): two `forcedown watch` processes of one etcd
 * region (the testbed's 3 members, a key prefix of their own per round, the default lease TTL
 * 10 s, the watch defaults interval 5 s / staleAfter 30 s / 2 samples, mode act). A hung host (its
 * nova-compute SIGSTOPped) with N servers is recovered by the leader; once that run has accepted 3
 * evacuations the leader is killed (kill -9 by PID). Measured from the kill: the follower elected
 * (its `elected leader: taking over` line), the run resumed (its `takeover done` line) and the last
 * server confirmed (the evacuate step finished in the follower's journal of the same run). Medians
 * of --rounds, beside the expectation TTL + one poll. Every round restores everything, also on
 * failure: watchers stopped by PID, SIGCONT, the host powered on, force-down cleared, enabled, the
 * servers deleted, the prefix dropped.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenStackClient } from '../src/openstack/index.js';
import { dropPrefix, testbedEtcd, uniquePrefix } from '../test/e2e/coordination/etcd-support.js';
import {
  freePort,
  freezeCompute,
  journal,
  thaw,
  testbedWatchConfig,
  WatcherProcess,
  writeWatchConfig,
  type WatchLog,
} from '../test/e2e/support/watch-process.js';
import { stats, type Stats } from './lib/results.js';
import { bootServers, restore, SERVER_PREFIX, waitAllHealthy, waitComputeSettled } from './lib/testbed.js';
import { until } from '../test/e2e/support/testbed.js';

export const HOST = 'fake1';
/** The run is killed once it has accepted this many evacuations (mid-evacuation). */
export const KILL_AFTER_ACCEPTED = 3;

export interface TakeoverSettings {
  readonly leaseTtlS: number;
  readonly intervalS: number;
  readonly staleAfterS: number;
  readonly confirmSamples: number;
}

/** The shipped defaults: DEFAULT_LEASE_TTL_SECONDS and the watch config's interval / staleAfter. */
export const DEFAULT_SETTINGS: TakeoverSettings = { leaseTtlS: 10, intervalS: 5, staleAfterS: 30, confirmSamples: 2 };

export interface TakeoverRound {
  readonly round: number;
  readonly servers: number;
  /** Evacuations the leader's run had accepted when it was killed. */
  readonly acceptedAtKill: number;
  /** Seconds after the kill. */
  readonly electedS: number;
  readonly resumedS: number;
  readonly lastServerS: number;
  /** The new leader's own figure (election → runs resumed, its `takeover done` seconds). */
  readonly watcherTakeoverS: number;
  /** Servers with more than one evacuation record (must be 0). */
  readonly evacuatedTwice: number;
  readonly status: string;
}

export interface TakeoverFigures {
  readonly host: string;
  readonly servers: number;
  readonly endpoints: readonly string[];
  readonly settings: TakeoverSettings;
  readonly rounds: readonly TakeoverRound[];
  readonly electedS: Stats;
  readonly resumedS: Stats;
  readonly lastServerS: Stats;
  /** TTL + one poll interval, s: when the follower should be elected (and resume) at the latest. */
  readonly expectedS: number;
}

/** The figures of some rounds (also what the smoke renders from a fixture). */
export function summarizeTakeover(
  rounds: readonly TakeoverRound[],
  settings: TakeoverSettings,
  servers: number,
  endpoints: readonly string[],
): TakeoverFigures {
  return {
    host: HOST,
    servers,
    endpoints,
    settings,
    rounds,
    electedS: stats(rounds.map((r) => r.electedS)),
    resumedS: stats(rounds.map((r) => r.resumedS)),
    lastServerS: stats(rounds.map((r) => r.lastServerS)),
    expectedS: settings.leaseTtlS + settings.intervalS,
  };
}

const leads = (l: WatchLog): boolean => typeof l.msg === 'string' && l.msg.startsWith('elected leader');
const at = (l: WatchLog): number => Date.parse(l.ts);
const accepted = (events: readonly Record<string, unknown>[]): number =>
  events.filter((e) => e.event === 'step.progress' && e.kind === 'evacuation.accepted').length;

/** The run id a watcher recorded for the host in `<state>/watch/runs.json`. */
async function runIdOf(stateDir: string): Promise<string | undefined> {
  const text = await readFile(join(stateDir, 'watch', 'runs.json'), 'utf8').catch(() => '{"runs":[]}');
  try {
    return (JSON.parse(text) as { runs: { runId: string; host: string }[] }).runs.find((r) => r.host === HOST)?.runId;
  } catch {
    return undefined; // being written
  }
}

interface Replica {
  readonly w: WatcherProcess;
  readonly stateDir: string;
}

async function startReplica(dir: string, name: string, prefix: string, s: TakeoverSettings): Promise<Replica> {
  const config = await writeWatchConfig(
    join(dir, name),
    testbedWatchConfig({
      interval: `${s.intervalS}s`,
      staleAfter: `${s.staleAfterS}s`,
      confirmSamples: s.confirmSamples,
      coordination: { endpoints: [...testbedEtcd().endpoints], prefix, region: 'RegionOne', leaseTtl: s.leaseTtlS },
    }),
    await freePort(),
  );
  return { w: new WatcherProcess(config), stateDir: join(dir, name, 'state') };
}

/** Servers of the round with more than one evacuation record in Nova. */
async function evacuatedTwice(client: OpenStackClient, ids: readonly string[]): Promise<number> {
  let twice = 0;
  for (const id of ids) {
    const migrations = await client.compute.listMigrations({ instanceUuid: id, migrationType: 'evacuation' });
    if (migrations.length > 1) twice += 1;
  }
  return twice;
}

/** Hangs the host under the leader and kills the leader mid-evacuation; returns the kill time. */
async function killMidEvacuation(a: Replica): Promise<{ killed: number; runId: string; acceptedAtKill: number }> {
  await a.w.waitForLog((l) => l.msg === 'recovering host' && l.host === HOST, 'the leader detects the hang', 180_000);
  const runId = await until(() => runIdOf(a.stateDir), 'the leader records its run', 30_000);
  const what = `the leader's run: ${KILL_AFTER_ACCEPTED} evacuations accepted`;
  await until(async () => accepted(await journal(a.stateDir, runId)) >= KILL_AFTER_ACCEPTED, what, 180_000, 20);
  const killed = Date.now();
  await a.w.stop('SIGKILL');
  const events = await journal(a.stateDir, runId);
  if (events.some((e) => e.event === 'step.finished' && e.stepId === 'evacuate'))
    throw new Error('the leader finished the evacuation before it was killed: no takeover to measure');
  return { killed, runId, acceptedAtKill: accepted(events) };
}

async function round(
  client: OpenStackClient,
  servers: number,
  index: number,
  s: TakeoverSettings,
): Promise<TakeoverRound> {
  await waitAllHealthy(client);
  await waitComputeSettled(HOST);
  const dir = await mkdtemp(join(tmpdir(), 'fd-bench-takeover-'));
  const prefix = uniquePrefix('bench-takeover');
  const replicas: Replica[] = [];
  let frozen: number | undefined;
  try {
    const booted = await bootServers(client, HOST, servers, { prefix: SERVER_PREFIX });
    const a = await startReplica(dir, 'a', prefix, s);
    replicas.push(a);
    await a.w.waitForLog(leads, 'watcher a elected', 60_000);
    const b = await startReplica(dir, 'b', prefix, s);
    replicas.push(b);
    await b.w.waitForLog((l) => l.msg === 'watching', 'watcher b started', 60_000);
    if (b.w.logs.some(leads)) throw new Error(`watcher b leads while a does:\n${b.w.tail()}`);
    frozen = freezeCompute(HOST);
    const { killed, runId, acceptedAtKill } = await killMidEvacuation(a);
    const elected = await b.w.waitForLog(leads, 'watcher b elected', 120_000);
    const resumed = await b.w.waitForLog((l) => l.msg === 'takeover done', 'watcher b resumed the run', 120_000);
    const finished = await b.w.waitForLog(
      (l) => l.msg === 'recovery finished' && l.host === HOST,
      'watcher b finishes the run',
      300_000,
    );
    if (finished.runId !== runId) throw new Error(`b finished run ${String(finished.runId)}, not the resumed ${runId}`);
    const evacuate = (await journal(b.stateDir, runId)).find(
      (e) => e.event === 'step.finished' && e.stepId === 'evacuate',
    );
    if (!evacuate) throw new Error(`no evacuate step.finished in b's journal of ${runId}:\n${b.w.tail()}`);
    const since = (t: number): number => (t - killed) / 1000;
    return {
      round: index,
      servers,
      acceptedAtKill,
      electedS: since(at(elected)),
      resumedS: since(at(resumed)),
      lastServerS: since(Date.parse(String(evacuate.ts))),
      watcherTakeoverS: Number(resumed.seconds),
      evacuatedTwice: await evacuatedTwice(
        client,
        booted.map((server) => server.id),
      ),
      status: String(finished.status),
    };
  } finally {
    for (const r of replicas) await r.w.stop(); // SIGTERM by PID (a no-op for the killed one)
    if (frozen !== undefined) thaw(frozen);
    await restore(client, HOST);
    await dropPrefix(prefix).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

export async function takeoverBench(
  client: OpenStackClient,
  options: { readonly servers: number; readonly rounds: number; readonly settings?: TakeoverSettings },
  log: (line: string) => void,
): Promise<TakeoverFigures> {
  const settings = options.settings ?? DEFAULT_SETTINGS;
  const rounds: TakeoverRound[] = [];
  for (let i = 1; i <= options.rounds; i += 1) {
    const r = await round(client, options.servers, i, settings);
    log(
      `takeover round ${i}: kill -> elected ${r.electedS.toFixed(1)} s, resumed ${r.resumedS.toFixed(1)} s, last server ${r.lastServerS.toFixed(1)} s (killed after ${r.acceptedAtKill} accepted; ${r.status})`,
    );
    rounds.push(r);
  }
  return summarizeTakeover(rounds, settings, options.servers, testbedEtcd().endpoints);
}

/** A fixture for the smoke (no testbed, no etcd): the table rendering of two made-up rounds. */
export function takeoverFixture(): TakeoverFigures {
  const r = (round: number, electedS: number): TakeoverRound => ({
    round,
    servers: 10,
    acceptedAtKill: 10,
    electedS,
    resumedS: electedS + 0.1,
    lastServerS: electedS + 4,
    watcherTakeoverS: 0.1,
    evacuatedTwice: 0,
    status: 'succeeded',
  });
  return summarizeTakeover([r(1, 9.5), r(2, 10.5)], DEFAULT_SETTINGS, 10, ['http://127.0.0.1:2379']);
}
