import { toForcedownError, type ForcedownError } from '../errors/index.js';
import type { Step } from '../generated/runbook.types.js';
import { formatDuration, type Scope } from '../runbook/index.js';
import { escapeForTerminal } from '../validation/index.js';
import type { StepCatalog } from './catalog.interface.js';
import { sleep, untilAborted, withDeadline } from './deadline.js';
import { eventError, type RunRecord } from './run-record.js';
import type { StepFinishStatus, StepFinishedEvent } from './events.interface.js';
import type { LeaseGuard } from './coordination-hooks.js';
import type { JournalWriter } from './journal.js';
import type { ResumeState } from './resume-state.js';
import type { SafetyLedger } from './safety-ledger.js';
import type { Confirm, RunServices } from './services.interface.js';
import { prepareStep, type ReadyStep } from './step-pipeline.js';
import type { CheckResult, RunOptions, StepContext, StepModule } from './step.interface.js';

/** What the steps of one run share while they execute. */
export interface RunShared {
  readonly runId: string;
  readonly options: RunOptions;
  readonly services: RunServices;
  readonly safety: SafetyLedger;
  readonly journal: JournalWriter;
  readonly record: RunRecord;
  readonly modules: ReadonlyMap<string, StepModule>;
  readonly catalog: StepCatalog;
  /** The runbook file, for messages. */
  readonly file: string;
  readonly scope: Scope;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  readonly resume: ResumeState | undefined;
  /** Work registered by steps for the end of the run, by key. */
  readonly runEnd: Map<string, (signal: AbortSignal) => Promise<void>>;
  /** The lease-loss rule, when the run holds locks (not in dry runs). */
  readonly guard?: LeaseGuard;
  /** Where waiting notices go besides the step's output, when no renderer shows that (JSON mode). */
  readonly waitLine?: (message: string) => void;
}

/** How a step shows its progress (a listr2 task in the engine). */
export interface StepView {
  title(text: string): void;
  output(text: string): void;
  skip(text: string): void;
  /** Asks the operator through the renderer (a terminal only). */
  readonly prompt: Confirm;
}

/** What one attempt ended with. */
interface AttemptOutcome {
  readonly status: StepFinishStatus;
  readonly summary: string;
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly fromJournal?: boolean;
}

/**
 * The error listr2 shows for a failed step: its message may quote runbook values (a host name,
 * a title) with control characters, so the shown copy has them escaped. The run's record keeps
 * the original.
 */
function forDisplay(error: ForcedownError): Error {
  const shown = escapeForTerminal(error.message);
  return shown === error.message ? error : Object.assign(new Error(shown), { name: error.name });
}

function contextFor(
  step: Step,
  ready: ReadyStep,
  attempt: number,
  signal: AbortSignal,
  view: StepView,
  run: RunShared,
): StepContext {
  const { options, services, journal } = run;
  return {
    runId: run.runId,
    stepId: step.id,
    stepType: step.type,
    attempt,
    signal,
    timeoutMs: ready.timeoutMs,
    mode: options.dryRun ? 'dry-run' : 'run',
    options,
    services: {
      ...services,
      // the client is shared by the run's steps: a step out of time stops waiting for it
      openstack: () => untilAborted(services.openstack(), signal),
      // on a terminal, ask through listr2's prompt (or the services' own confirm, e.g. in tests)
      confirm: options.interactive ? (services.confirm ?? view.prompt) : undefined,
    },
    safety: run.safety,
    history: run.resume?.stepEvents.get(step.id) ?? [],
    progress: async (kind, data) => {
      await journal.append({ event: 'step.progress', stepId: step.id, kind, data });
    },
    confirmFence: async (evidence) => {
      const planned = options.dryRun;
      run.safety.recordFence({ ...evidence, stepId: step.id, ...(planned ? { planned: true } : {}) });
      if (!planned)
        await journal.append({
          event: 'safety.fence-confirmed',
          host: evidence.host,
          data: { ...evidence, stepId: step.id },
        });
    },
    atRunEnd: (key, work) => {
      if (!options.dryRun && !run.runEnd.has(key)) run.runEnd.set(key, work);
    },
    output: (message) => {
      view.output(escapeForTerminal(message));
      void journal.append({ event: 'step.output', stepId: step.id, message });
    },
    summarySoFar: () => run.record.summary(),
    sleep: (ms) => sleep(ms, signal),
  };
}

/**
 * One attempt: a step the journal says finished is confirmed against the live state instead of
 * redone; otherwise check, and (in a run) apply when the check says something is needed.
 */
async function attemptOnce(
  module: StepModule,
  step: Step,
  context: StepContext,
  journaled: StepFinishedEvent | undefined,
  guard: LeaseGuard | undefined,
): Promise<AttemptOutcome> {
  if (journaled && journaled.status !== 'failed' && journaled.status !== 'skipped' && !journaled.dryRun) {
    const confirmed = module.confirmJournaled
      ? await module.confirmJournaled(step, context, journaled)
      : !(await module.check(step, context)).needed;
    if (confirmed)
      return {
        status: journaled.status,
        summary: `${journaled.summary} (confirmed from the journal)`,
        outputs: journaled.outputs,
        fromJournal: true,
      };
    context.output('the journal says this step finished, but the live state differs: doing it again');
  }
  const check: CheckResult = await module.check(step, context);
  if (!check.needed) return { status: 'unchanged', summary: check.summary, outputs: check.outputs ?? {} };
  if (context.mode !== 'run') return { status: 'changed', summary: check.summary, outputs: check.outputs ?? {} };
  guard?.beforeApply(module);
  const applied = await module.apply(step, context, check);
  return { status: applied.status ?? 'changed', summary: applied.summary, outputs: applied.outputs };
}

/** Waits out a retry's delay; false when the run was interrupted meanwhile. */
async function waitToRetry(
  step: Step,
  ready: ReadyStep,
  attempt: number,
  error: ForcedownError,
  view: StepView,
  run: RunShared,
): Promise<boolean> {
  await run.journal.append({
    event: 'step.retrying',
    stepId: step.id,
    attempt,
    delayMs: ready.retryDelayMs,
    error: eventError(error, run.record.exitCodes),
  });
  view.output(
    escapeForTerminal(`attempt ${attempt} failed: ${error.message}; retrying in ${formatDuration(ready.retryDelayMs)}`),
  );
  try {
    await sleep(ready.retryDelayMs, run.signal);
  } catch {
    // interrupted while waiting: the failure is recorded by the caller
  }
  return !run.signal.aborted;
}

/** The attempts of a ready step, with its retries: records how it finished. */
async function attempts(
  step: Step,
  ready: ReadyStep,
  module: StepModule,
  view: StepView,
  run: RunShared,
): Promise<void> {
  const started = Date.now();
  const journaled = run.resume?.finished.get(step.id);
  for (let attempt = 1; ; attempt += 1) {
    await run.journal.append({ event: 'step.started', stepId: step.id, type: step.type, title: ready.title, attempt });
    try {
      const outcome = await withDeadline(
        {
          stepId: step.id,
          timeoutMs: ready.timeoutMs,
          runSignal: run.signal,
          timeoutError: () => module.timeoutError?.(ready.resolved, ready.timeoutMs),
        },
        (signal) => {
          const context = contextFor(step, ready, attempt, signal, view, run);
          // an OpenStack call that keeps waiting says so as this step's output (renderer, journal, JSON)
          run.services.routeWaits?.((notice) => {
            context.output(notice.message);
            run.waitLine?.(notice.message);
          });
          return attemptOnce(module, ready.resolved, context, journaled, run.guard);
        },
      );
      await run.record.finish(step, {
        ...outcome,
        durationMs: Date.now() - started,
        attempts: attempt,
        resolved: ready.resolved,
      });
      run.guard?.noteFinished(module, ready.resolved, outcome.status, outcome.outputs);
      const word = outcome.status === 'unchanged' ? 'unchanged' : run.options.dryRun ? 'would change' : 'changed';
      view.title(escapeForTerminal(`${ready.title} — ${word}`));
      view.output(escapeForTerminal(outcome.summary));
      return;
    } catch (thrown) {
      const error = toForcedownError(thrown);
      const retry = attempt <= ready.retries && error.kind === 'failed' && !run.signal.aborted;
      if (retry && (await waitToRetry(step, ready, attempt, error, view, run))) continue;
      const final =
        run.signal.aborted && !error.isInterrupted
          ? toForcedownError(Object.assign(new Error('interrupted'), { name: 'AbortError', cause: error }))
          : error;
      await run.record.finish(step, {
        status: 'failed',
        summary: final.message,
        outputs: {},
        durationMs: Date.now() - started,
        attempts: attempt,
        error: final,
        resolved: ready.resolved,
      });
      run.record.failed(final, ready.resolved.continueOnError === true && !final.isInterrupted);
      throw forDisplay(final);
    } finally {
      run.services.routeWaits?.(undefined);
    }
  }
}

/**
 * Runs one step of a run or dry run: through the pipeline (when, references, validation), then
 * its attempts. Records and journals how it finished; rejects (for listr2) when it failed.
 */
export async function executeStep(step: Step, view: StepView, run: RunShared): Promise<void> {
  const module = run.modules.get(step.type)!;
  const prepared = prepareStep({
    step,
    module,
    scope: run.scope,
    statuses: run.record.statuses,
    catalog: run.catalog,
    file: run.file,
  });
  if (prepared.kind === 'skip') {
    await run.record.finish(step, {
      status: 'skipped',
      summary: 'condition "when" is false',
      outputs: {},
      durationMs: 0,
      attempts: 0,
    });
    view.skip(escapeForTerminal(`${step.title ?? `${step.id} (${step.type})`} (when: false)`));
    return;
  }
  if (prepared.kind === 'failed') {
    await run.record.finishFailed(step, prepared.error);
    run.record.failed(prepared.error, step.continueOnError === true);
    throw forDisplay(prepared.error);
  }
  view.title(escapeForTerminal(prepared.title));
  await attempts(step, prepared, module, view, run);
}
