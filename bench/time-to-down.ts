/**
 * Figure 1, time to down, on the real testbed: from spawning `forcedown run
 * runbooks/host-failure.json --var host=fake1` to Nova reporting fake1's nova-compute `down`.
 * Two clocks: the run's own JSON events (split into start-up, fence, force-down call,
 * confirmation) and an independent poller of os-services (its own token, raw HTTP). In the same
 * round, after the run, the BMC's own power-off is timed directly (ipmitool power off + status
 * read, with the poller running as during the run), then the host is powered on again. The
 * target: down within the BMC's own time + 1 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenStackClient } from '../src/openstack/index.js';
import { eventText } from '../src/runner/events.interface.js';
import { pick, runCli, type CliRun } from './lib/processes.js';
import { stats, type Stats } from './lib/results.js';
import {
  adminToken,
  cliEnv,
  directPowerOffAsync,
  ipmi,
  waitComputeSettled,
  pollServiceState,
  restore,
  type ServicePoll,
  testbed,
  waitAllHealthy,
} from './lib/testbed.js';

export const HOST = 'fake1';

export interface TimeToDownRound {
  readonly bmcOwnMs: number;
  readonly bmcOffCallMs: number;
  readonly bmcReadMs: number;
  readonly startupMs: number;
  readonly fenceMs: number;
  readonly forceDownCallMs: number;
  readonly confirmationMs: number;
  /** Spawn → the force-down PUT answered (forced_down is what makes Nova report down). */
  readonly downByEventsMs: number;
  /** Spawn → the poller's first `down` answer; and the previous `up` answer (resolution). */
  readonly downByPollerMs: number | null;
  readonly lastUpByPollerMs: number | null;
  /** Spawn → force-down step finished (its read-back saw down). */
  readonly confirmedMs: number;
  readonly processWallMs: number;
  readonly exitCode: number | null;
  /** The run's events, milliseconds after spawn (where the time went). */
  readonly timeline?: readonly string[];
}

export interface TimeToDownFigures {
  readonly host: string;
  readonly rounds: readonly TimeToDownRound[];
  readonly summary: Readonly<Record<keyof Omit<TimeToDownRound, 'exitCode' | 'timeline'>, Stats>>;
  /** Median of (down by poller − BMC's own power-off), per round. */
  readonly overBmcMs: Stats;
}

function at(run: CliRun, event: string, filter: { stepId?: string; kind?: string; message?: RegExp } = {}): number {
  const found = pick(run, event, filter).find(
    (e) => filter.message === undefined || filter.message.test(eventText(e.event.message)),
  );
  if (!found)
    throw new Error(
      `no ${event} ${JSON.stringify({ ...filter, message: filter.message?.source })} in the run's events (exit ${run.code}): ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  return found.at;
}

async function round(
  client: OpenStackClient,
): Promise<Omit<TimeToDownRound, 'bmcOwnMs' | 'bmcOffCallMs' | 'bmcReadMs'>> {
  const tb = testbed();
  await waitAllHealthy(client);
  await waitComputeSettled(HOST);

  const stateDir = mkdtempSync(join(tmpdir(), 'fd-bench-ttd-'));
  const poller = pollServiceState(HOST, await adminToken());
  await new Promise((resolve) => setTimeout(resolve, 300));
  let run: CliRun;
  let samples: ServicePoll[];
  try {
    run = await runCli(
      [
        'run',
        'runbooks/host-failure.json',
        '--var',
        `host=${HOST}`,
        '--var',
        'reason=benchmark',
        '--inventory',
        tb.inventory,
        '--yes',
        '--output',
        'json',
        '--state-dir',
        stateDir,
      ],
      cliEnv(),
    );
  } finally {
    samples = await poller.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  try {
    if (run.code !== 0)
      throw new Error(`forcedown run exited ${run.code}: ${run.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    const t0 = run.spawnedAt;
    const started = at(run, 'run.started');
    const fenceStart = at(run, 'step.started', { stepId: 'fence' });
    const fenceEnd = at(run, 'step.finished', { stepId: 'fence' });
    const fdStart = at(run, 'step.started', { stepId: 'force-down' });
    const fdSet = at(run, 'step.output', { stepId: 'force-down', message: /forced_down set/ });
    const fdEnd = at(run, 'step.finished', { stepId: 'force-down' });
    const firstDown = samples.findIndex((s) => s.state === 'down');
    const lastUp = firstDown > 0 ? samples[firstDown - 1] : undefined;
    return {
      startupMs: started - t0,
      fenceMs: fenceEnd - fenceStart,
      forceDownCallMs: fdSet - fdStart,
      confirmationMs: fdEnd - fdSet,
      downByEventsMs: fdSet - t0,
      downByPollerMs: firstDown >= 0 ? samples[firstDown].receivedAt - t0 : null,
      lastUpByPollerMs: lastUp ? lastUp.receivedAt - t0 : null,
      confirmedMs: fdEnd - t0,
      processWallMs: run.exitedAt - t0,
      exitCode: run.code,
      timeline: run.events.map((e) =>
        `${String(e.at - t0).padStart(6)} ms ${e.event.event} ${eventText(e.event.stepId)} ${eventText(e.event.kind ?? e.event.message).slice(0, 80)}`.trimEnd(),
      ),
    };
  } finally {
    await restore(client, HOST);
  }
}

/**
 * The BMC's own power-off, directly (after the run, once the host is back and settled); then on
 * again. Under the same load as the run: the os-services poller runs meanwhile (on this 2-core
 * testbed its ~20 calls a second keep nova-api busy, which slows ipmi_sim and ipmitool too).
 */
async function bmcOwn(client: OpenStackClient): Promise<Awaited<ReturnType<typeof directPowerOffAsync>>> {
  await waitAllHealthy(client);
  await waitComputeSettled(HOST);
  const poller = pollServiceState(HOST, await adminToken());
  await new Promise((resolve) => setTimeout(resolve, 300));
  let bmc: Awaited<ReturnType<typeof directPowerOffAsync>>;
  try {
    bmc = await directPowerOffAsync(HOST);
  } finally {
    await poller.stop();
  }
  ipmi(HOST, 'on');
  await waitComputeSettled(HOST);
  return bmc;
}

export async function timeToDownBench(
  client: OpenStackClient,
  rounds: number,
  log: (line: string) => void,
): Promise<TimeToDownFigures> {
  const results: TimeToDownRound[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const r = {
      ...(await round(client)),
      ...(({ totalMs, offMs, readMs }) => ({ bmcOwnMs: totalMs, bmcOffCallMs: offMs, bmcReadMs: readMs }))(
        await bmcOwn(client),
      ),
    };
    log(
      `time-to-down round ${i + 1}/${rounds}: down ${r.downByPollerMs ?? '?'} ms after spawn (events ${Math.round(r.downByEventsMs)} ms; BMC's own power-off ${Math.round(r.bmcOwnMs)} ms)`,
    );
    results.push(r);
  }
  const keys = Object.keys(results[0]).filter((k) => k !== 'exitCode' && k !== 'timeline') as (keyof Omit<
    TimeToDownRound,
    'exitCode' | 'timeline'
  >)[];
  const summary = Object.fromEntries(
    keys.map((k) => [
      k,
      stats(
        results.map((r) => r[k] ?? NaN).filter((v) => !Number.isNaN(v)),
        0,
      ),
    ]),
  ) as TimeToDownFigures['summary'];
  return {
    host: HOST,
    rounds: results,
    summary,
    overBmcMs: stats(
      results.map((r) => (r.downByPollerMs ?? r.downByEventsMs) - r.bmcOwnMs),
      0,
    ),
  };
}
