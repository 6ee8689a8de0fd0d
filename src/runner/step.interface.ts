import type { ForcedownError } from '../errors/index.js';
import type { Step } from '../generated/runbook.types.js';
import type { RunEvent, RunSummary, StepFinishedEvent } from './events.interface.js';
import type { RunServices } from './services.interface.js';
import type { SafetyLedger } from './safety-ledger.js';

/** Options of a run that steps may consult. */
export interface RunOptions {
  /** `--dry-run`: check only, change nothing. */
  readonly dryRun: boolean;
  /** `--yes`: no confirmation prompt for the run (approve steps still need an answer or `--approve`). */
  readonly yes: boolean;
  /** `--approve STEP-ID`: those approve steps are approved; `all` approves every one. */
  readonly approve: ReadonlySet<string>;
  /** `--assume-fenced REASON`: the operator asserts the hosts are fenced (recorded). */
  readonly assumeFenced: string | undefined;
  /** `--break-lock REASON`: take over a host held by a dead run (recorded). */
  readonly breakLock?: string | undefined;
  /** stdin and stderr are a terminal: approve steps may ask. */
  readonly interactive: boolean;
}

/**
 * What a step's `check` found. `check` only reads state: it runs for `plan`, for `--dry-run`,
 * and before every `apply` (a step whose check says nothing is needed finishes `unchanged`).
 */
export interface CheckResult {
  /** Something needs doing. */
  readonly needed: boolean;
  /** One line: the current state and what would be done ("fake1 is on; would power it off"). */
  readonly summary: string;
  /** More lines for `plan` (servers that would move...). */
  readonly details?: readonly string[];
  /** Outputs when nothing is needed (an `unchanged` step still has outputs), or predicted ones for plan. */
  readonly outputs?: Readonly<Record<string, unknown>>;
  /** Data the step's `apply` may reuse (avoids reading the same state twice). */
  readonly state?: unknown;
}

/** What a step's `apply` did. */
export interface ApplyResult {
  /** `changed` unless apply found, after all, that nothing needed doing. @defaultValue `'changed'` */
  readonly status?: 'changed' | 'unchanged';
  readonly summary: string;
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** What a step gets while it checks or applies. */
export interface StepContext {
  readonly runId: string;
  readonly stepId: string;
  readonly stepType: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** Aborted on Ctrl+C/SIGTERM and when the attempt's timeout expires. */
  readonly signal: AbortSignal;
  /** The attempt's time limit in ms. */
  readonly timeoutMs: number;
  /** `plan` (read-only, nothing has run), `dry-run` (read-only, through the runner) or `run`. */
  readonly mode: 'plan' | 'dry-run' | 'run';
  readonly options: RunOptions;
  readonly services: RunServices;
  readonly safety: SafetyLedger;
  /** This step's events from earlier attempts and from before a crash (resume). */
  readonly history: readonly RunEvent[];
  /** Records a fact durably in the journal (resolves once fsync'd), e.g. an accepted evacuation. */
  progress(kind: string, data: Readonly<Record<string, unknown>>): Promise<void>;
  /**
   * Records a power-off read back from the host's BMC: journaled (`safety.fence-confirmed`) and
   * remembered so later force-down/evacuate steps may proceed. In plan/dry-run it records an
   * expectation only.
   */
  confirmFence(evidence: {
    readonly host: string;
    readonly driver: string;
    readonly target: string;
    readonly confirmedAt: string;
  }): Promise<void>;
  /**
   * Registers work to do when the run ends, whatever the outcome (releasing the Nova-side lock
   * marker...). Runs once per `key`, with its own 30 s budget, after the last step. Not in plans.
   */
  atRunEnd(key: string, work: (signal: AbortSignal) => Promise<void>): void;
  /** A line of progress for humans (renderer) and `step.output` events. */
  output(message: string): void;
  /** The run's summary so far (for `notify`). */
  summarySoFar(): RunSummary;
  /** Sleeps, rejecting early when `signal` aborts. */
  sleep(ms: number): Promise<void>;
}

/**
 * One step type (`src/steps/<type>.ts`). Steps are idempotent: `check` reads the real state and
 * says whether anything needs doing; `apply` does it and confirms by reading the state back.
 */
export interface StepModule<S extends Step = Step> {
  readonly type: S['type'];
  /** Time limit of one attempt when the runbook sets no `timeout`. */
  readonly defaultTimeoutMs: number;
  /** Title shown in progress output. */
  title(step: S): string;
  /** Hosts this step acts on (locked for the run). */
  hosts?(step: S): readonly string[];
  check(step: S, context: StepContext): Promise<CheckResult>;
  apply(step: S, context: StepContext, check: CheckResult): Promise<ApplyResult>;
  /**
   * On resume, for a step the journal says finished: is that still true? The journaled outputs
   * are kept when it is. @defaultValue run `check`; confirmed when nothing is needed
   */
  confirmJournaled?(step: S, context: StepContext, journaled: StepFinishedEvent): Promise<boolean>;
  /**
   * The error of an attempt that ran out of time, for steps whose timeout means more than slowness
   * (a fence that timed out has not confirmed the power-off: refused, exit 3).
   * @defaultValue a `STEP_TIMEOUT` step failure (exit 1)
   */
  timeoutError?(step: S, timeoutMs: number): ForcedownError;
}
