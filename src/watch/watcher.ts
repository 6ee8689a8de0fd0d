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
import { toForcedownError, type ErrorKind } from '../errors/index.js';
import { isFailedRecovery, type RecoveryLauncher, type RunPhase, type WatchedRun } from './recoveries.js';

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
  /** After a failed recovery run, no new run for its host for this long (recovery.failedCooldown). @defaultValue 600000 */
  readonly failedCooldownMs?: number;
}

/** A log record (JSON line on stdout); never holds a secret. */
export type LogRecord = { readonly msg: string; readonly level?: 'info' | 'warn' | 'error' } & Record<string, unknown>;

/** Counters the watcher reports (the /metrics implementation in metrics.ts). */
export interface WatchObserver {
  poll(ok: boolean): void;
  candidates(count: number): void;
  /** Candidates held back at the last poll because their last recovery run failed (the cooldown). */
  coolingDown(count: number): void;
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
  /** The runs' state directory, named in what-to-do hints (`forcedown show --state-dir`). */
  readonly stateDir?: string;
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
  /** Candidates held back because their last recovery run failed, until the cooldown passes. */
  readonly coolingDown: readonly CoolingDown[];
  /** When the poll failed: the error's kind and code, and what to do (a user's mistake or an outage). */
  readonly failure?: { readonly kind: ErrorKind; readonly code: string; readonly hint: string };
}

/** A host whose last recovery run failed: no new run for it before `until`. */
export interface CoolingDown {
  readonly host: string;
  /** The failed run (absent when the run could not be started at all). */
  readonly runId?: string;
  readonly status: string;
  /** ISO time the cooldown ends. */
  readonly until: string;
}

/** A failed recovery run of a host, remembered for the cooldown. */
interface Failure {
  readonly runId?: string;
  readonly status: string;
  /** Local time (ms) it ended. */
  readonly at: number;
  /** The hold was logged (once per failed run). */
  logged: boolean;
}

/** The cooldown after a failed recovery when the configuration does not say (10 minutes). */
export const DEFAULT_FAILED_COOLDOWN_MS = 600_000;

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
  /** Per host, its last recovery run when that one failed (the cooldown). */
  readonly #failures = new Map<string, Failure>();
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
    await this.loadFailures();
    if (!this.acting) return [];
    const open = (await this.#o.launcher.unfinished()).filter((run) => !this.#inFlight.has(run.host));
    for (const run of open) {
      this.#o.log({ msg: 'resuming a recovery an earlier watcher started', host: run.host, runId: run.runId });
      this.#launch(run.host, this.#now(), (hooks) => this.#o.launcher.resume(run, hooks));
    }
    return open;
  }

  /**
   * Reads the failed recovery runs of the state dir (their journals' run.finished), so that the
   * cooldown after a failed run holds across a restart. A failure seen in this process wins.
   */
  async loadFailures(): Promise<void> {
    const failures = (await this.#o.launcher.failures?.()) ?? [];
    for (const f of failures) {
      const known = this.#failures.get(f.host);
      if (known && known.at >= f.finishedAt) continue;
      this.#failures.set(f.host, { runId: f.runId, status: f.status, at: f.finishedAt, logged: false });
    }
  }

  /** Candidates whose last recovery failed less than failedCooldownMs ago; logs each hold once. */
  #coolingDown(candidates: readonly string[], now: number): CoolingDown[] {
    const cooldown = this.#o.settings.failedCooldownMs ?? DEFAULT_FAILED_COOLDOWN_MS;
    const held: CoolingDown[] = [];
    for (const host of candidates) {
      const failure = this.#failures.get(host);
      if (!failure || this.#inFlight.has(host)) continue;
      if (now - failure.at >= cooldown) {
        this.#failures.delete(host);
        continue;
      }
      const until = new Date(failure.at + cooldown).toISOString();
      held.push({ host, status: failure.status, until, ...(failure.runId ? { runId: failure.runId } : {}) });
      if (failure.logged) continue;
      failure.logged = true;
      this.#o.log({
        msg: `recovery of ${host} did not succeed (${failure.status}): no new run for it until ${until} (recovery.failedCooldown)`,
        level: 'warn',
        host,
        status: failure.status,
        until,
        ...(failure.runId ? { runId: failure.runId } : {}),
        whatToDo: this.#whatToDo(failure.runId, until),
      });
    }
    return held;
  }

  async #poll(): Promise<PollReading> {
    const compute = await this.#o.compute();
    const services = await compute.listServices();
    // Nova's clock, not ours: the earliest Nova time of the moment the answer arrived
    const novaNow = compute.clock?.earliest(this.#now());
    return readServices(services, novaNow, this.#o.settings);
  }

  #whatToDo(runId: string | undefined, until: string): string {
    if (!runId) return `see the watcher's log for why the run could not start; it tries again after ${until}`;
    const dir = this.#o.stateDir === undefined ? '' : ` --state-dir ${this.#o.stateDir}`;
    return `see why with \`forcedown show ${runId}${dir}\`; fix that (BMC, credentials, Nova), then \`forcedown resume ${runId}${dir} --yes\`, or let the watcher try again after ${until}`;
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
    const coolingDown = this.#coolingDown(
      candidates.map((c) => c.host),
      now,
    );
    const held = new Set(coolingDown.map((c) => c.host));
    const confirmed = candidates.filter((c) => c.confirmed && !held.has(c.host)).map((c) => c.host);
    this.#o.observer?.candidates(candidates.length);
    this.#o.observer?.coolingDown(coolingDown.length);
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
    return { ok: true, candidates, trips, recover, acted: this.acting && recover.length > 0, coolingDown };
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
    const { kind, code, hint } = toForcedownError(error);
    this.#o.log({ msg: 'poll failed: no action until enough good polls', level: 'warn', error: message, code });
    return {
      ok: false,
      error: message,
      failure: { kind, code, hint },
      candidates: [],
      trips: [],
      recover: [],
      acted: false,
      coolingDown: [],
    };
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
    if (isFailedRecovery(status))
      this.#failures.set(entry.host, {
        status,
        at: this.#now(),
        logged: false,
        ...(outcome ? { runId: outcome.runId } : {}),
      });
    else if (status === 'succeeded') this.#failures.delete(entry.host);
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
