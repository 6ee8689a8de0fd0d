import type { ErrorKind } from '../errors/index.js';
import type { ServerOutcome, StepProgressEvent as StepProgressFields } from '../steps/step.interface.js';

/**
 * Run events: what `--output json` prints (one per line) and what the journal stores
 * (`<state dir>/runs/<run-id>.jsonl`, fsync'd per event). The journal is the event stream; resume
 * reads it back. Every event is redacted before it leaves the process.
 */

/** Version of the event format. */
export const EVENT_VERSION = 1;

export { eventText } from '../steps/support/event-text.js';
export type { ServerOutcome } from '../steps/step.interface.js';

/** How a step ended. In a dry run, `changed` means "would change". */
export type StepFinishStatus = 'changed' | 'unchanged' | 'skipped' | 'failed';

/**
 * How a run ended. `invalid`, `refused`, `auth-failed` and `failed` mean the run changed nothing
 * (outside steps without side effects); a run that had changed something and then failed, was
 * refused or met invalid input is `failed-after-changes` (its summary lists what changed).
 */
export type RunStatus =
  'succeeded' | 'failed' | 'failed-after-changes' | 'refused' | 'invalid' | 'auth-failed' | 'interrupted';

/** Fields every event has. */
export interface EventBase {
  /** Event format version. */
  readonly v: number;
  /** 1-based sequence number within the run (continues across resumes). */
  readonly seq: number;
  /** ISO timestamp. */
  readonly ts: string;
  readonly runId: string;
}

/** A serialised error in events. */
export interface EventError {
  readonly code: string;
  /** What kind of failure (absent in journals of forcedown 0.1). */
  readonly kind?: ErrorKind;
  readonly message: string;
  readonly hint: string;
  /** The exit code this error alone would end the run with. */
  readonly exitCode: number;
  /** Structured facts (journals of forcedown 0.1 call them `details`). */
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface RunStartedEvent extends EventBase {
  readonly event: 'run.started';
  readonly runbook: { readonly name: string; readonly file: string; readonly sha256: string; readonly text: string };
  /** Parameter values (secret ones omitted: `resume` asks for them again). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly secretParams: readonly string[];
  readonly options: {
    readonly dryRun: boolean;
    readonly assumeFenced?: string;
    readonly inventory?: string;
    readonly cloud?: string;
    /** Who started the run when not a person (`watch`: a watcher, whose leader's successor takes it over). */
    readonly startedBy?: string;
  };
  /** Hosts this run acts on (locked for the run). */
  readonly hosts: readonly string[];
  readonly machine: string;
  readonly pid: number;
  readonly forcedownVersion: string;
}

export interface RunResumedEvent extends EventBase {
  readonly event: 'run.resumed';
  readonly machine: string;
  readonly pid: number;
  /** Steps found finished in the journal. */
  readonly finishedSteps: readonly string[];
  /** The step that was in progress when the run stopped, if any. */
  readonly interruptedStep?: string;
}

export interface StepStartedEvent extends EventBase {
  readonly event: 'step.started';
  readonly stepId: string;
  readonly type: string;
  readonly title: string;
  readonly attempt: number;
}

export interface StepOutputEvent extends EventBase {
  readonly event: 'step.output';
  readonly stepId: string;
  readonly message: string;
}

/** A fact a step records while working (per-server evacuation progress, a confirmed fence...). */
export interface StepProgressEvent extends EventBase, StepProgressFields {}

export interface StepRetryingEvent extends EventBase {
  readonly event: 'step.retrying';
  readonly stepId: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: EventError;
}

export interface StepFinishedEvent extends EventBase {
  readonly event: 'step.finished';
  readonly stepId: string;
  readonly type: string;
  readonly status: StepFinishStatus;
  readonly summary: string;
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly durationMs: number;
  readonly attempts: number;
  readonly dryRun: boolean;
  /** Confirmed from the journal on resume (not redone). */
  readonly fromJournal?: boolean;
  readonly error?: EventError;
}

export interface SafetyEvent extends EventBase {
  readonly event: 'safety.assumed-fenced' | 'safety.fence-confirmed' | 'safety.lock-broken';
  readonly host: string;
  readonly reason?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface RunSummary {
  readonly status: RunStatus;
  readonly exitCode: number;
  readonly steps: Readonly<Record<StepFinishStatus | 'not-run', number>>;
  readonly stepResults: readonly {
    readonly id: string;
    readonly type: string;
    readonly status: StepFinishStatus | 'not-run';
    readonly summary: string;
  }[];
  readonly servers: readonly ServerOutcome[];
  readonly durationMs: number;
  readonly dryRun: boolean;
  /**
   * Steps with side effects that finished `changed`, in this run and, on resume, before it (a
   * dry run changes nothing). Absent in journals of forcedown 0.1.
   */
  readonly changed?: readonly string[];
  /** The run stopped in pre-flight: nothing was done, no BMC was contacted. */
  readonly preflightFailed?: boolean;
  readonly error?: EventError;
}

export interface RunFinishedEvent extends EventBase {
  readonly event: 'run.finished';
  readonly summary: RunSummary;
}

export type RunEvent =
  | RunStartedEvent
  | RunResumedEvent
  | StepStartedEvent
  | StepOutputEvent
  | StepProgressEvent
  | StepRetryingEvent
  | StepFinishedEvent
  | SafetyEvent
  | RunFinishedEvent;

/** An event before the base fields are stamped on. */
export type RunEventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, keyof EventBase> : never) : never;
