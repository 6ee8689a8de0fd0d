import type { ForcedownError } from '../errors/index.js';
import type { Step } from '../generated/runbook.types.js';
import type { RunServices } from './services.interface.js';

/*
 * The step contract: what a step module declares and what it gets from the runner. Type-only,
 * so that steps never import the runner (cli -> runner -> steps -> hostops); the runner
 * implements these shapes (its journal events, safety ledger and catalog satisfy them).
 */

/** Proof that a host's power was read back as off. */
export interface FenceEvidence {
  readonly host: string;
  readonly driver: string;
  readonly target: string;
  readonly confirmedAt: string;
  readonly stepId: string;
  /** True when this is only a plan's expectation (plan/dry-run), not a real read-back. */
  readonly planned?: boolean;
}

/** How force-down/evacuate may proceed on a host. */
export type FenceBasis =
  | { readonly kind: 'confirmed'; readonly evidence: FenceEvidence }
  | { readonly kind: 'assumed'; readonly reason: string };

/** The run's safety memory as steps use it (the runner's SafetyLedger). */
export interface SafetyView {
  /** Why acting on `host` is safe, or throws a refusal that says how to proceed. */
  requireFenced(host: string, action: string): FenceBasis;
  /** Forgets a host's fence (it was powered on again). */
  forgetFence(host: string): void;
}

/** Per-server outcome, in the final summary. */
export interface ServerOutcome {
  readonly id: string;
  readonly name: string;
  readonly result: 'evacuated' | 'failed' | 'skipped' | 'reset';
  readonly reason?: string;
  readonly fromHost?: string;
  readonly toHost?: string | null;
  readonly stepId: string;
}

/** A fact a step recorded while working, as it reads it back from the journal on resume. */
export interface StepProgressEvent {
  readonly event: 'step.progress';
  readonly ts: string;
  readonly stepId: string;
  readonly kind: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** How the journal says a step finished (on resume). */
export interface JournaledStep {
  readonly status: string;
  readonly summary: string;
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly dryRun: boolean;
}

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
  readonly safety: SafetyView;
  /** This step's journal events from earlier attempts and from before a crash (resume). */
  readonly history: readonly { readonly event: string }[];
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
  /** The run's summary so far, as its JSON (for `notify`). */
  summarySoFar(): object;
  /** Sleeps, rejecting early when `signal` aborts. */
  sleep(ms: number): Promise<void>;
}

/**
 * A service of the run's services bag a step uses. Pre-flight checks each one for the step's
 * hosts before the run's first action: `openstack` loads the cloud configuration, signs in,
 * negotiates the microversion and looks up the nova-compute service of each host; `power` loads
 * each host's inventory entry and password source (the BMC itself is not contacted).
 */
export type StepNeed = 'openstack' | 'power';

/** What a step's per-server outcomes mean for the run (see {@link StepModule.outcomes}). */
export interface StepOutcomes {
  /** Lines of the summary's server table. */
  readonly servers: readonly Omit<ServerOutcome, 'stepId'>[];
  /**
   * Set when these outcomes fail the run although the step itself finished (servers that were
   * not evacuated). The run's first such failure ends it with this error, unless another error
   * ended it first. Ignored in dry runs.
   */
  readonly failure?: ForcedownError;
}

/**
 * One step type (`src/steps/<type>.ts`): its declaration (type, default timeout, title, hosts,
 * the services it needs, optional hooks) and its behaviour. The runner knows no step type: it
 * reads these declarations from the catalog the CLI hands it. Steps are idempotent: `check`
 * reads the real state and says whether anything needs doing; `apply` does it and confirms by
 * reading the state back.
 */
export interface StepModule<S extends Step = Step> {
  readonly type: S['type'];
  /** Time limit of one attempt when the runbook sets no `timeout`. */
  readonly defaultTimeoutMs: number;
  /** Services the step uses, checked by pre-flight for its {@link StepModule.hosts}. @defaultValue none */
  readonly needs?: readonly StepNeed[];
  /**
   * Whether `apply` changes anything outside the run (a host's power, Nova). False for steps
   * that only wait, ask or notify: a run whose other steps changed nothing still "changed
   * nothing" (exit 2 keeps its meaning). @defaultValue `true`
   */
  readonly sideEffects?: boolean;
  /** Title shown in progress output. */
  title(step: S): string;
  /** Hosts this step acts on (locked for the run; their services checked by pre-flight). */
  hosts?(step: S): readonly string[];
  /**
   * Called for the first step of a new run, when it has no `when`, once pre-flight has passed:
   * start reads the step will need now, so they run while the run sets up (the fence's power
   * read). Reads only; a failure must reach the step's own `check`, not be thrown here.
   */
  prime?(step: S, services: RunServices): void;
  /**
   * Pre-flight, for a step that will run (its `when` is absent or true): the refusal this step
   * will certainly meet with these run options (an approve gate without a terminal and without
   * `--approve`), so the run stops before its first action; undefined when it may pass.
   */
  certainRefusal?(step: S, run: { readonly stepId: string; readonly options: RunOptions }): ForcedownError | undefined;
  /** The per-server outcomes of a finished step, for the summary and the run's result. */
  outcomes?(step: S, outputs: Readonly<Record<string, unknown>>): StepOutcomes;
  check(step: S, context: StepContext): Promise<CheckResult>;
  apply(step: S, context: StepContext, check: CheckResult): Promise<ApplyResult>;
  /**
   * On resume, for a step the journal says finished: is that still true? The journaled outputs
   * are kept when it is. @defaultValue run `check`; confirmed when nothing is needed
   */
  confirmJournaled?(step: S, context: StepContext, journaled: JournaledStep): Promise<boolean>;
  /**
   * The error of an attempt that ran out of time, for steps whose timeout means more than slowness
   * (a fence that timed out has not confirmed the power-off: kind `refused`).
   * @defaultValue a `STEP_TIMEOUT` failure (kind `failed`)
   */
  timeoutError?(step: S, timeoutMs: number): ForcedownError;
}

/**
 * The step types a run may use, handed to the runner by the composition root (the CLI gives it
 * `src/steps/catalog.ts`; tests may give their own). The runner knows no step type but through
 * this.
 */
export interface StepCatalog {
  /** The step types this catalog implements. */
  readonly types: readonly string[];
  /**
   * The module of a step type (its declaration and behaviour), loaded on first use. Rejects with
   * an input error (`STEP_TYPE_UNAVAILABLE`) for a type the catalog does not have.
   */
  load(type: string): Promise<StepModule>;
  /**
   * Checks a step once its references are resolved (`${params.concurrency}` may have resolved
   * to "ten"); throws an input error naming each problem.
   */
  validateResolved(step: Step, file: string): void;
}
