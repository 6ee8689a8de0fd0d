/**
 * The evacuation engine's contract: what it is given (settings, a compute API, a journal, a
 * clock to sleep on) and what it gives back (one result per server, the concurrency it used).
 * It knows nothing of runbooks' step contexts: `src/steps/evacuate.ts` adapts one to these.
 */
import type { ComputeApi, Server } from '../../openstack/openstack.interface.js';

/** The state a server must be left in after its evacuation (its state before, where Nova can restore it). */
export type RestoreTo = 'active' | 'stopped' | 'error' | 'paused' | 'suspended';

/** A server to evacuate (or to follow). */
export interface ServerPlan {
  readonly server: Server;
  readonly action: 'evacuate' | 'reset-then-evacuate' | 'track';
  readonly restoreTo: RestoreTo;
  /** Why/how, for plans and logs. */
  readonly note: string;
}

/** A server left alone, with the reason. */
export interface ServerVerdict {
  readonly server: Server;
  readonly outcome: 'skipped' | 'failed';
  readonly reason: string;
}

/** Servers on a host, sorted by what happens to them. */
export interface Classified {
  readonly evacuate: ServerPlan[];
  readonly resetThenEvacuate: ServerPlan[];
  readonly track: ServerPlan[];
  readonly skipped: ServerVerdict[];
  readonly failed: ServerVerdict[];
}

/** Per-server outcome (the step's `results` output and the run summary). */
export interface EvacuationResult {
  readonly id: string;
  readonly name: string;
  readonly result: 'evacuated' | 'failed' | 'skipped';
  readonly reason?: string;
  readonly fromHost: string;
  readonly toHost?: string | null;
  readonly migrationId?: number;
  readonly attempts?: number;
}

/** How many evacuations were in flight at once (`concurrency` output). */
export interface ConcurrencyReport {
  /** What the runbook allowed. */
  readonly configured: number;
  /** The lowest and highest the engine used, and the last. */
  readonly lowest: number;
  readonly highest: number;
  readonly final: number;
  /** The most that were in flight at once. */
  readonly peakInFlight: number;
  /** Evacuations Nova failed with a transient conflict (each lowered the number in flight at most once per wave). */
  readonly conflicts: number;
}

/** What the engine needs to know. */
export interface EvacuationSettings {
  /** The host as Nova names its nova-compute service (resolved, not as typed). */
  readonly host: string;
  /** The most evacuations in flight at once. */
  readonly concurrency: number;
  /** Time for one server, from its first request to its confirmation (transient retries included). */
  readonly serverTimeoutMs: number;
  readonly pollIntervalMs: number;
  /** Re-evacuations after a failure that is not transient. */
  readonly retries: number;
  readonly targetHost?: string;
  /** Lock servers while they are evacuated (never one its owner had locked). */
  readonly lockServers: boolean;
  /** Named in lock reasons and outputs. */
  readonly runId: string;
  /**
   * On resume, a journaled request Nova has no record of is sent again only once it is this old
   * (a killed runner's request can land late). @defaultValue 15 s (`LATE_REQUEST_GRACE_MS`)
   */
  readonly lateRequestGraceMs?: number;
}

/**
 * One recorded fact (a journal `step.progress` event: its kind, data and time). Kinds:
 * `evacuation.requested` (before each POST), `.accepted`, `.not-accepted`, `.refused`,
 * `.failed-attempt` (with the cause Nova gave), `.finished`, `.interrupted`, `.concurrency`,
 * `server.locking` (before a lock call), `server.unlocked`.
 */
export interface EvacuationFact {
  readonly kind: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** When it was recorded (ISO), if known. */
  readonly at?: string;
}

/** Where the engine reads what earlier attempts did (resume) and records what it does. */
export interface EvacuationJournal {
  /** Facts of earlier attempts of this evacuation (this run, before a crash or a retry), oldest first. */
  readonly facts: readonly EvacuationFact[];
  /** Records a fact durably; resolves once it is on disk. */
  record(kind: string, data: Readonly<Record<string, unknown>>): Promise<void>;
}

/** The engine's connections to the world. */
export interface EvacuationPorts {
  readonly compute: ComputeApi;
  readonly journal: EvacuationJournal;
  /** Aborted on Ctrl+C/SIGTERM or when the step's time is up. */
  readonly signal: AbortSignal;
  /** Sleeps, rejecting early when `signal` aborts. */
  sleep(ms: number): Promise<void>;
  /** A line of progress for humans. */
  output(line: string): void;
  /**
   * Called before each batch of Nova writes (locks, resets, evacuate POSTs, restores): the place
   * to verify the run still holds the host (e.g. `HostHold.verify`); throwing stops the engine.
   */
  beforeWrite?(signal: AbortSignal): Promise<void>;
  /** Random source for jitter. @defaultValue `Math.random` */
  random?(): number;
}

/** What the engine did. */
export interface EvacuationOutcome {
  readonly results: ReadonlyMap<string, EvacuationResult>;
  readonly concurrency: ConcurrencyReport;
  /** Servers that were in flight (to be confirmed) or queued at the start. */
  readonly totalWork: number;
}
