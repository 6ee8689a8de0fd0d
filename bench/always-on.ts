/**
 * Always-on figures on the real testbed: a hung host (its nova-compute SIGSTOPped: the process is
 * there, its heartbeats stop) with N servers, noticed by the real `forcedown watch` process
 * (interval 5 s, staleAfter 30 s, confirmSamples 2: the shipped defaults) from os-services alone,
 * then fenced through its ipmi_sim BMC, forced down and evacuated. Times are from the host's last
 * heartbeat as Nova recorded it (updated_at, followed until the watcher acts): detection (the
 * watcher's "recovering host" line), fenced, Nova `down` (the force-down step's read-back) and the
 * last server confirmed (the evacuate step), from the run's journal. Decision → `down` is set
 * against the BMC's own power-off (the fence step's power-off and read-back): target ≤ +0.3 s.
 * The host is restored (SIGCONT, power on, force-down cleared, enabled, servers deleted) after
 * every round, also on failure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenStackClient } from '../src/openstack/index.js';
import { stats, type Stats } from './lib/results.js';
import { bootServers, cloudEnv, restore, SERVER_PREFIX, waitAllHealthy, waitComputeSettled } from './lib/testbed.js';
import {
  freezeCompute,
  journal,
  testbedWatchConfig,
  thaw,
  WatcherProcess,
  writeWatchConfig,
} from '../test/e2e/support/watch-process.js';

export const HOST = 'fake1';

export interface AlwaysOnRound {
  readonly servers: number;
  readonly round: number;
  /** Nova's last updated_at of the host before the watcher acted (epoch ms). */
  readonly lastHeartbeat: string;
  /** Seconds after the last heartbeat. */
  readonly detectedS: number;
  readonly fencedS: number;
  readonly downS: number;
  readonly lastConfirmedS: number;
  /** The watcher's decision to the force-down step's read-back, ms. */
  readonly decisionToDownMs: number;
  /** The fence step (BMC power-off and its read-back), ms. */
  readonly bmcPowerOffMs: number;
  readonly overBmcMs: number;
  readonly status: string;
}

export interface AlwaysOnFigures {
  readonly host: string;
  readonly settings: { readonly interval: string; readonly staleAfter: string; readonly confirmSamples: number };
  readonly rounds: readonly AlwaysOnRound[];
  readonly byN: Readonly<
    Record<string, Readonly<Record<'detectedS' | 'fencedS' | 'downS' | 'lastConfirmedS' | 'overBmcMs', Stats>>>
  >;
  /** The documented defaults of the other tools, as arithmetic (seconds before they fence/act). */
  readonly references: readonly { readonly tool: string; readonly seconds: number; readonly how: string }[];
}

export const REFERENCES: AlwaysOnFigures['references'] = [
  { tool: 'InstanceHA', seconds: 75, how: 'POLL 45 s + DELTA 30 s: up to 75 s before it fences' },
  {
    tool: 'Masakari',
    seconds: 240,
    how: 'host monitor 60 s + wait_period_after_service_update 180 s before evacuating',
  },
];

const novaTime = (text: string): number => Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);

/** Follows Nova's updated_at of the host until the watcher logs its decision. */
async function untilDecision(
  client: OpenStackClient,
  watcher: WatcherProcess,
): Promise<{ lastHeartbeat: number; decided: number }> {
  const started = Date.now();
  let lastHeartbeat = 0;
  for (;;) {
    const decision = watcher.logs.find((l) => l.msg === 'recovering host' && l.host === HOST);
    if (decision) return { lastHeartbeat, decided: Date.parse(decision.ts) };
    const service = await client.compute.findComputeService(HOST);
    if (service.updatedAt) lastHeartbeat = Math.max(lastHeartbeat, novaTime(service.updatedAt));
    if (watcher.exitCode !== undefined) throw new Error(`forcedown watch exited: ${watcher.stderr}`);
    if (Date.now() - started > 180_000) throw new Error('no detection within 180 s of the freeze');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function stepTimes(events: readonly Record<string, unknown>[], id: string): { started: number; finished: number } {
  const at = (name: string): number => {
    const e = events.find((ev) => ev.event === name && ev.stepId === id);
    if (!e) throw new Error(`no ${name} of step ${id} in the run's journal`);
    return Date.parse(String(e.ts));
  };
  return { started: at('step.started'), finished: at('step.finished') };
}

/**
 * Boots the round's servers on the host, again while Nova's scheduler refuses it: right after the
 * previous round's restore, nova-scheduler logged "Got no allocation candidates from the Placement
 * API" for the host (a host enabled again while its nova-compute restarts keeps placement's
 * COMPUTE_STATUS_DISABLED trait until the compute syncs it), and the boots met "No valid host".
 */
async function bootWhenSchedulable(client: OpenStackClient, servers: number): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await bootServers(client, HOST, servers, { prefix: SERVER_PREFIX });
      return;
    } catch (error) {
      if (attempt >= 8 || !/No valid host/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 15_000));
    }
  }
}

async function round(client: OpenStackClient, servers: number, index: number): Promise<AlwaysOnRound> {
  await waitAllHealthy(client);
  await waitComputeSettled(HOST);
  const dir = await mkdtemp(join(tmpdir(), 'fd-bench-always-on-'));
  let frozen: number | undefined;
  let watcher: WatcherProcess | undefined;
  try {
    await bootWhenSchedulable(client, servers);
    watcher = new WatcherProcess(await writeWatchConfig(dir, testbedWatchConfig({ interval: '5s' })), cloudEnv());
    await watcher.waitForLog((l) => l.msg === 'watching', 'the watcher to start', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 6000)); // a quiet poll or two first
    frozen = freezeCompute(HOST);
    const { lastHeartbeat, decided } = await untilDecision(client, watcher);
    const w = watcher;
    const finished = await w.waitForLog(
      (l) => l.msg === 'recovery finished' && l.host === HOST,
      'the recovery',
      300_000,
    );
    const events = await journal(join(dir, 'state'), String(finished.runId));
    const fence = stepTimes(events, 'fence');
    const down = stepTimes(events, 'force-down');
    const evacuate = stepTimes(events, 'evacuate');
    const s = (t: number): number => Math.round((t - lastHeartbeat) / 100) / 10;
    const decisionToDownMs = down.finished - decided;
    const bmcPowerOffMs = fence.finished - fence.started;
    return {
      servers,
      round: index,
      lastHeartbeat: new Date(lastHeartbeat).toISOString(),
      detectedS: s(decided),
      fencedS: s(fence.finished),
      downS: s(down.finished),
      lastConfirmedS: s(evacuate.finished),
      decisionToDownMs,
      bmcPowerOffMs,
      overBmcMs: decisionToDownMs - bmcPowerOffMs,
      status: String(finished.status),
    };
  } finally {
    await watcher?.stop();
    if (frozen !== undefined) thaw(frozen);
    await restore(client, HOST);
    await rm(dir, { recursive: true, force: true });
  }
}

export async function alwaysOnBench(
  client: OpenStackClient,
  options: { readonly sizes: readonly number[]; readonly rounds: number },
  log: (line: string) => void,
): Promise<AlwaysOnFigures> {
  const rounds: AlwaysOnRound[] = [];
  for (let i = 1; i <= options.rounds; i += 1)
    for (const servers of options.sizes) {
      const r = await round(client, servers, i);
      log(
        `always-on N=${servers} round ${i}: detected ${r.detectedS} s, fenced ${r.fencedS} s, down ${r.downS} s, last confirmed ${r.lastConfirmedS} s after the last heartbeat (decision → down ${r.decisionToDownMs} ms, BMC ${r.bmcPowerOffMs} ms)`,
      );
      rounds.push(r);
    }
  const byN: Record<string, AlwaysOnFigures['byN'][string]> = {};
  for (const servers of options.sizes) {
    const of = rounds.filter((r) => r.servers === servers);
    byN[String(servers)] = {
      detectedS: stats(of.map((r) => r.detectedS)),
      fencedS: stats(of.map((r) => r.fencedS)),
      downS: stats(of.map((r) => r.downS)),
      lastConfirmedS: stats(of.map((r) => r.lastConfirmedS)),
      overBmcMs: stats(
        of.map((r) => r.overBmcMs),
        0,
      ),
    };
  }
  return {
    host: HOST,
    settings: { interval: '5s', staleAfter: '30s', confirmSamples: 2 },
    rounds,
    byN,
    references: REFERENCES,
  };
}

/**
 * Smoke (no testbed): the real `forcedown watch` process in mode observe against the API double
 * (its own process) with one dead compute: the watcher starts, confirms it over two polls and logs
 * "would recover". Seconds from "watching" to that line; acting on nothing.
 */
export async function alwaysOnOnDouble(): Promise<{ readonly decidedAfterS: number; readonly host: string }> {
  const { startDoubleProcess } = await import('./watch-scale.js');
  const double = await startDoubleProcess({ computes: 4, kill: 1 });
  const dir = await mkdtemp(join(tmpdir(), 'fd-bench-always-on-smoke-'));
  const watcher = new WatcherProcess(await writeWatchConfig(dir, { mode: 'observe', interval: '1s' }), {
    ...Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !k.startsWith('OS_'))),
    ...double.env,
  } as Record<string, string>);
  try {
    const watching = await watcher.waitForLog((l) => l.msg === 'watching', 'the watcher to start', 30_000);
    const would = await watcher.waitForLog((l) => l.msg.startsWith('would recover'), '"would recover"', 30_000);
    return { host: String(would.host), decidedAfterS: (Date.parse(would.ts) - Date.parse(watching.ts)) / 1000 };
  } finally {
    await watcher.stop();
    await double.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
