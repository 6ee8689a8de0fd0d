/**
 * The watcher: one `GET /os-services` per interval, candidates confirmed over polls, alert
 * candidates joined, the guards, the probe's veto, then one recovery run per host.
 */
import type { PowerController } from '../fencing/power.interface.js';
import type { ComputeApi } from '../openstack/openstack.interface.js';
import type { RunOutcome } from '../runner/index.js';
import {
  CandidateTracker,
  isAlertCandidate,
  isCandidate,
  readServices,
  type Confirmation,
  type PollReading,
} from './detect.js';
import { breakerTrips, decide, probeTrip, type GuardSettings, type GuardState, type Trip } from './guards.js';
import type { AlertSource, LivenessProbe } from './ports.js';
import type { RecoveryLauncher, RunPhase, WatchedRun } from './recoveries.js';

export interface WatchSettings {
  readonly intervalMs: number;
  readonly staleAfterMs: number;
  /** Nova's report_interval (nova.conf `report_interval`): heartbeats stop up to this far apart. */
  readonly heartbeatIntervalMs: number;
  readonly confirmSamples: number;
  readonly mode: 'act' | 'observe';
  readonly guards: GuardSettings;
  /** How long the probe may take before its answer counts as silent. @defaultValue 2000 */
  readonly probeTimeoutMs?: number;
}

/** A log record (JSON line on stdout); never holds a secret. */
export type LogRecord = { readonly msg: string; readonly level?: 'info' | 'warn' | 'error' } & Record<string, unknown>;

/** Counters the watcher reports (the /metrics implementation in metrics.ts). */
export interface WatchObserver {
  poll(ok: boolean): void;
  candidates(count: number): void;
  trip(reason: Trip['reason']): void;
  runFinished(status: string): void;
  /** Seconds from the first stale sample to the host forced down / to the last evacuation. */
  forcedDown(seconds: number): void;
  evacuated(seconds: number): void;
}

export interface WatcherOptions {
  readonly settings: WatchSettings;
  /** The compute API of the one warm client (signed in before the first poll). */
  readonly compute: () => Promise<ComputeApi>;
  readonly launcher: RecoveryLauncher;
  readonly alerts?: AlertSource;
  readonly probe?: LivenessProbe;
  /** The host's BMC, read for context before a recovery (never decides). */
  readonly power?: (host: string) => Promise<PowerController>;
  readonly log: (record: LogRecord) => void;
  readonly observer?: WatchObserver;
  /** Told of every guard trip (a webhook: trip-notifier.ts). */
  readonly notifier?: { trip(trip: Trip): void };
  /** Acts on nothing this process (`--dry-run`), whatever the mode. */
  readonly dryRun?: boolean;
  readonly now?: () => number;
}

/** What one cycle found and did. */
export interface CycleReport {
  readonly ok: boolean;
  readonly error?: string;
  readonly candidates: readonly Confirmation[];
  readonly trips: readonly Trip[];
  /** Hosts a recovery was started for (or would be, acting on nothing). */
  readonly recover: readonly string[];
  readonly acted: boolean;
}

/** A recovery run this watcher saw end. */
export interface FinishedRun {
  readonly host: string;
  readonly status: string;
  readonly runId?: string;
  /** The run's exit code (1 when it could not be run at all). */
  readonly exitCode: number;
}

interface InFlight {
  readonly host: string;
  phase: RunPhase;
  readonly abort: AbortController;
  readonly done: Promise<RunOutcome | undefined>;
  readonly firstStaleAt: number;
}

export class Watcher {
  readonly #o: WatcherOptions;
  readonly #tracker: CandidateTracker;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #startedAt: number[] = [];
  /** Alerted hosts already logged as still heartbeating (logged once per alert streak). */
  readonly #alertsWaiting = new Set<string>();
  readonly #finishedRuns: FinishedRun[] = [];
  readonly #now: () => number;
  #goodPolls = Number.POSITIVE_INFINITY;
  #lastBreakerTripAt: number | undefined;
  #stopping = false;
  lastPollOk = false;

  constructor(options: WatcherOptions) {
    this.#o = options;
    this.#tracker = new CandidateTracker(options.settings.confirmSamples);
    this.#now = options.now ?? Date.now;
  }

  get acting(): boolean {
    return this.#o.settings.mode === 'act' && this.#o.dryRun !== true;
  }

  /** The recovery runs that ended in this process, oldest first (the last 100). */
  get finishedRuns(): readonly FinishedRun[] {
    return this.#finishedRuns;
  }

  /** Hosts with a recovery in flight. */
  get inFlight(): string[] {
    return [...this.#inFlight.keys()];
  }

  /** Resumes the unfinished runs an earlier watcher process started (instead of new ones). */
  async resumeUnfinished(): Promise<WatchedRun[]> {
    if (!this.acting) return [];
    const open = (await this.#o.launcher.unfinished()).filter((run) => !this.#inFlight.has(run.host));
    for (const run of open) {
      this.#o.log({ msg: 'resuming a recovery an earlier watcher started', host: run.host, runId: run.runId });
      this.#launch(run.host, this.#now(), (hooks) => this.#o.launcher.resume(run, hooks));
    }
    return open;
  }

  async #poll(): Promise<PollReading> {
    const compute = await this.#o.compute();
    const services = await compute.listServices();
    // Nova's clock, not ours: the earliest Nova time of the moment the answer arrived
    const novaNow = compute.clock?.earliest(this.#now());
    return readServices(services, novaNow, this.#o.settings);
  }

  /** One poll, the decisions and (acting) the recoveries it starts. */
  async cycle(): Promise<CycleReport> {
    let poll: PollReading;
    try {
      poll = await this.#poll();
    } catch (error) {
      return this.#pollFailed(error);
    }
    this.#goodPolls += 1;
    this.lastPollOk = true;
    this.#o.observer?.poll(true);
    const now = this.#now();
    const known = new Set(poll.computes.map((c) => c.host));
    const state = this.#guardState(poll, now);
    const alerted = new Set((this.#o.alerts?.firing() ?? []).map((a) => a.host));
    const stale = poll.computes
      .filter((c) => isCandidate(c) || (alerted.has(c.host) && isAlertCandidate(c)))
      .map((c) => c.host);
    this.#noteAlertsWaiting(alerted, poll);
    const candidates = this.#tracker.observe(stale, now);
    const confirmed = candidates.filter((c) => c.confirmed).map((c) => c.host);
    this.#o.observer?.candidates(candidates.length);
    const decision = decide(poll, confirmed, this.#o.settings.guards, state);
    // a breaker holds unconfirmed candidates too (their streaks were just reset): say so
    const unconfirmedBreakers =
      confirmed.length === 0 && stale.length > 0 ? breakerTrips(poll, this.#o.settings.guards, state) : [];
    const trips = [...decision.trips, ...unconfirmedBreakers];
    const recover: string[] = [];
    for (const host of decision.act) {
      const veto = await this.#secondOpinion(host);
      if (veto) trips.push(veto);
      else recover.push(host);
    }
    for (const trip of trips) this.#report(trip);
    for (const host of recover)
      this.#recover(host, candidates.find((c) => c.host === host)?.firstStaleAt ?? now, known);
    return { ok: true, candidates, trips, recover, acted: this.acting && recover.length > 0 };
  }

  /**
   * The guards' view of this cycle. A breaker tripping now resets every candidate's streak and
   * starts the hold (settleAfterTrip): a host is confirmed only over polls no breaker tripped in.
   */
  #guardState(poll: PollReading, now: number): GuardState {
    const base = { inFlight: this.inFlight, startedAt: this.#startedAt, goodPollsSinceError: this.#goodPolls, now };
    if (breakerTrips(poll, this.#o.settings.guards, base).length > 0) {
      this.#lastBreakerTripAt = now;
      this.#tracker.reset();
    }
    return {
      ...base,
      ...(this.#lastBreakerTripAt === undefined ? {} : { lastBreakerTripAt: this.#lastBreakerTripAt }),
    };
  }

  /** Says once per alerted host that Nova still sees its heartbeat, so the alert waits. */
  #noteAlertsWaiting(alerted: ReadonlySet<string>, poll: PollReading): void {
    for (const host of [...this.#alertsWaiting]) if (!alerted.has(host)) this.#alertsWaiting.delete(host);
    for (const reading of poll.computes) {
      if (!alerted.has(reading.host) || isAlertCandidate(reading) || this.#alertsWaiting.has(reading.host)) continue;
      this.#alertsWaiting.add(reading.host);
      this.#o.log({
        msg: 'alert for a compute Nova still sees heartbeating: it becomes a candidate once it misses a heartbeat',
        level: 'info',
        host: reading.host,
        ...(reading.ageMs !== undefined ? { heartbeatAgeMs: reading.ageMs } : {}),
      });
    }
  }

  #pollFailed(error: unknown): CycleReport {
    this.#goodPolls = 0;
    this.lastPollOk = false;
    this.#o.observer?.poll(false);
    const message = error instanceof Error ? error.message : String(error);
    this.#o.log({ msg: 'poll failed: no action until enough good polls', level: 'warn', error: message });
    return { ok: false, error: message, candidates: [], trips: [], recover: [], acted: false };
  }

  #report(trip: Trip): void {
    this.#o.observer?.trip(trip.reason);
    this.#o.notifier?.trip(trip);
    this.#o.log({ msg: trip.message, level: 'warn', guard: trip.reason, ...(trip.host ? { host: trip.host } : {}) });
  }

  /** The BMC read (context) and the probe's veto. */
  async #secondOpinion(host: string): Promise<Trip | undefined> {
    if (this.#o.power) {
      try {
        const state = await (await this.#o.power(host)).status();
        this.#o.log({ msg: 'BMC power state before recovery', host, power: state });
      } catch (error) {
        this.#o.log({ msg: 'BMC power read failed', level: 'warn', host, error: (error as Error).message });
      }
    }
    if (!this.#o.probe) return undefined;
    const signal = AbortSignal.timeout(this.#o.settings.probeTimeoutMs ?? 2000);
    const verdict = await this.#o.probe.probe(host, signal).catch(() => 'silent' as const);
    return probeTrip(host, verdict);
  }

  #recover(host: string, firstStaleAt: number, known: ReadonlySet<string>): void {
    if (!this.acting) {
      this.#o.log({
        msg: `would recover ${host} (${this.#o.dryRun ? 'dry run' : 'mode observe'}): acting on nothing`,
        host,
      });
      return;
    }
    if (!known.has(host)) return;
    this.#tracker.forget(host);
    this.#startedAt.push(this.#now());
    this.#o.log({ msg: 'recovering host', host });
    this.#launch(host, firstStaleAt, (hooks) => this.#o.launcher.start(host, hooks));
  }

  #launch(
    host: string,
    firstStaleAt: number,
    run: (hooks: Parameters<RecoveryLauncher['start']>[1]) => Promise<RunOutcome>,
  ): void {
    const abort = new AbortController();
    const entry: InFlight = { host, phase: 'before-fence', abort, firstStaleAt, done: Promise.resolve(undefined) };
    const done = run({
      signal: abort.signal,
      onPhase: (phase) => this.#phase(entry, phase),
      onEvent: (event) => {
        if (event.event === 'step.finished' && event.type === 'evacuate' && event.status !== 'failed')
          this.#o.observer?.evacuated((this.#now() - firstStaleAt) / 1000);
      },
    }).then(
      (outcome) => this.#finished(entry, outcome.summary.status, outcome),
      (error: unknown) => {
        this.#o.log({ msg: 'recovery run failed to run', level: 'error', host, error: (error as Error).message });
        return this.#finished(entry, 'error', undefined);
      },
    );
    this.#inFlight.set(host, { ...entry, done });
  }

  #phase(entry: InFlight, phase: RunPhase): void {
    const current = this.#inFlight.get(entry.host);
    if (current) current.phase = phase;
    if (phase === 'after-force-down') {
      this.#o.observer?.forcedDown((this.#now() - entry.firstStaleAt) / 1000);
      if (this.#stopping) current?.abort.abort();
    }
  }

  #finished(entry: InFlight, status: string, outcome: RunOutcome | undefined): RunOutcome | undefined {
    this.#inFlight.delete(entry.host);
    this.#finishedRuns.push({
      host: entry.host,
      status,
      exitCode: outcome?.exitCode ?? 1,
      ...(outcome ? { runId: outcome.runId } : {}),
    });
    if (this.#finishedRuns.length > 100) this.#finishedRuns.shift();
    this.#o.observer?.runFinished(status);
    this.#o.log({ msg: 'recovery finished', host: entry.host, status, ...(outcome ? { runId: outcome.runId } : {}) });
    return outcome;
  }

  /** Waits for every recovery in flight to end. */
  async settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight.values()].map((r) => r.done));
  }

  /**
   * Stops: no more polls; runs before their fence or past force-down are interrupted (resumable),
   * a run between fence and force-down reaches force-down first.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const run of this.#inFlight.values()) if (run.phase !== 'fencing') run.abort.abort();
    await this.settle();
  }

  /** Polls every interval until `signal` aborts, then stops gracefully. */
  async run(signal: AbortSignal): Promise<void> {
    await this.resumeUnfinished();
    await this.pollUntil(signal);
    await this.stop();
  }

  /**
   * Polls every interval until `signal` aborts; runs in flight go on (a leader that lost its
   * leadership stops starting runs; the lease-loss rule governs the ones it has).
   */
  async pollUntil(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = this.#now();
      await this.cycle();
      const wait = Math.max(0, this.#o.settings.intervalMs - (this.#now() - started));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }
}
