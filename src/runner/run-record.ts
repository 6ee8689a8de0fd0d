import type { ErrorKind, ForcedownError } from '../errors/index.js';
import type { Step } from '../generated/runbook.types.js';
import type { StepStatus } from '../runbook/index.js';
import type { EventError, RunStatus, RunSummary, ServerOutcome, StepFinishStatus } from './events.interface.js';
import type { JournalWriter } from './journal.js';
import type { ResumeState } from './resume-state.js';
import type { StepModule } from './step.interface.js';

/**
 * How an outcome becomes the process's exit code: the CLI's one table (`src/cli/exit-codes.ts`),
 * handed to the runner. `afterChanges` is true when the run had changed something before it
 * stopped (exit 2 promises it had not).
 */
export type ExitCodes = (kind: ErrorKind | undefined, afterChanges: boolean) => number;

/** How a step finished, as the record is told. */
export interface StepFinish {
  readonly status: StepFinishStatus;
  readonly summary: string;
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly durationMs: number;
  readonly attempts: number;
  readonly error?: ForcedownError;
  readonly fromJournal?: boolean;
  /** The resolved step (for the outcomes hook); the runbook's step when it was not resolved. */
  readonly resolved?: Step;
}

const STATUS_OF_KIND: Readonly<Record<ErrorKind, RunStatus>> = {
  'invalid-input': 'invalid',
  refused: 'refused',
  auth: 'auth-failed',
  failed: 'failed',
  interrupted: 'interrupted',
};

/** The event form of an error. */
export function eventError(error: ForcedownError, exitCodes: ExitCodes): EventError {
  return {
    code: error.code,
    kind: error.kind,
    message: error.message,
    hint: error.hint,
    exitCode: exitCodes(error.kind, false),
    data: error.data,
  };
}

/**
 * What a run has done so far: each step's status, summary and outputs, the servers' outcomes,
 * what changed, and the error that ends it. Journals every step's finish; builds the summary.
 */
export class RunRecord {
  readonly outputs: Record<string, Readonly<Record<string, unknown>> | undefined> = {};
  readonly statuses = new Map<string, StepStatus>();
  readonly #summaries = new Map<string, string>();
  readonly #servers: ServerOutcome[] = [];
  /** Steps with side effects that finished `changed` (in a real run), in run order. */
  readonly #changed = new Set<string>();
  #fatal: ForcedownError | undefined;
  #outcomeFailure: ForcedownError | undefined;
  #failedSoft = false;
  #preflightFailed = false;
  readonly #started = Date.now();

  constructor(
    private readonly steps: readonly Step[],
    private readonly modules: ReadonlyMap<string, StepModule>,
    private readonly journal: JournalWriter,
    readonly exitCodes: ExitCodes,
    private readonly dryRun: boolean,
    private readonly resume: ResumeState | undefined,
  ) {
    if (resume) this.#seedChangesFrom(resume);
  }

  #hasSideEffects(type: string): boolean {
    return this.modules.get(type)?.sideEffects !== false;
  }

  /** What earlier segments of a resumed run changed. */
  #seedChangesFrom(resume: ResumeState): void {
    for (const step of this.steps) {
      const events = resume.stepEvents.get(step.id) ?? [];
      const changedBefore = events.some(
        (event) => event.event === 'step.finished' && !event.dryRun && event.status === 'changed',
      );
      if (changedBefore && this.#hasSideEffects(step.type)) this.#changed.add(step.id);
    }
  }

  /** Records and journals how a step finished. */
  async finish(step: Step, finish: StepFinish): Promise<void> {
    this.statuses.set(step.id, finish.status);
    this.#summaries.set(step.id, finish.summary);
    if (finish.status !== 'failed' && finish.status !== 'skipped') this.outputs[step.id] = finish.outputs;
    const module = this.modules.get(step.type);
    const outcomes = module?.outcomes?.(finish.resolved ?? step, finish.outputs);
    if (outcomes) {
      for (const server of outcomes.servers) this.#servers.push({ ...server, stepId: step.id });
      if (outcomes.failure && !this.dryRun) this.#outcomeFailure ??= outcomes.failure;
    }
    if (finish.status === 'changed' && !this.dryRun && this.#hasSideEffects(step.type)) this.#changed.add(step.id);
    await this.journal.append({
      event: 'step.finished',
      stepId: step.id,
      type: step.type,
      status: finish.status,
      summary: finish.summary,
      outputs: finish.outputs,
      durationMs: finish.durationMs,
      attempts: finish.attempts,
      dryRun: this.dryRun,
      ...(finish.fromJournal ? { fromJournal: true } : {}),
      ...(finish.error ? { error: eventError(finish.error, this.exitCodes) } : {}),
    });
  }

  /** Records a step that failed before any attempt (its values, or pre-flight). */
  async finishFailed(step: Step, error: ForcedownError): Promise<void> {
    await this.finish(step, {
      status: 'failed',
      summary: error.message,
      outputs: {},
      durationMs: 0,
      attempts: 0,
      error,
    });
  }

  /** A step failed: it ends the run unless it may fail (`continueOnError`). */
  failed(error: ForcedownError, soft: boolean): void {
    if (soft) this.#failedSoft = true;
    else this.#fatal ??= error;
  }

  /** Pre-flight found problems: the run ends with the first, having done nothing. */
  preflightFailed(error: ForcedownError): void {
    this.#preflightFailed = true;
    this.#fatal ??= error;
  }

  /** The error that ends the run, if any: a fatal one, else servers the steps could not handle. */
  get error(): ForcedownError | undefined {
    return this.#fatal ?? this.#outcomeFailure;
  }

  /** The run's result so far (`interrupted` once the run's signal aborted). */
  result(interrupted = false): { kind: ErrorKind | undefined; status: RunStatus; exitCode: number } {
    const error = this.error;
    const kind: ErrorKind | undefined = interrupted
      ? 'interrupted'
      : (error?.kind ?? (this.#failedSoft ? 'failed' : undefined));
    const afterChanges = this.#changed.size > 0;
    const status: RunStatus =
      kind === undefined
        ? 'succeeded'
        : kind !== 'interrupted' && afterChanges
          ? 'failed-after-changes'
          : STATUS_OF_KIND[kind];
    return { kind, status, exitCode: this.exitCodes(kind, afterChanges) };
  }

  /** The summary: per-step results, servers, what changed, the ending error. */
  summary(interrupted = false): RunSummary {
    const { status, exitCode } = this.result(interrupted);
    const counts: Record<StepFinishStatus | 'not-run', number> = {
      changed: 0,
      unchanged: 0,
      skipped: 0,
      failed: 0,
      'not-run': 0,
    };
    const stepResults = this.steps.map((step) => {
      const stepStatus: StepFinishStatus | 'not-run' = this.statuses.get(step.id) ?? 'not-run';
      counts[stepStatus] += 1;
      return { id: step.id, type: step.type, status: stepStatus, summary: this.#summaries.get(step.id) ?? '' };
    });
    const error = this.error;
    return {
      status,
      exitCode,
      steps: counts,
      stepResults,
      servers: [...this.#servers],
      durationMs: Date.now() - this.#started + (this.resume?.previousDurationMs ?? 0),
      dryRun: this.dryRun,
      changed: [...this.#changed],
      ...(this.#preflightFailed ? { preflightFailed: true } : {}),
      ...(error ? { error: eventError(error, this.exitCodes) } : {}),
    };
  }
}
