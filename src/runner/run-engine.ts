import { hostname } from 'node:os';
import type { Writable } from 'node:stream';
import {
  Listr,
  ListrLogger,
  ProcessOutput,
  type DefaultRenderer,
  type ListrTask,
  type ListrTaskWrapper,
  type SimpleRenderer,
} from 'listr2';
import { ExitCode, isForcedownError, operationFailed, toForcedownError, type ForcedownError } from '../errors/index.js';
import type { Step } from '../generated/runbook.types.js';
import {
  evaluateCondition,
  formatDuration,
  parseDuration,
  resolveDeep,
  type LoadedRunbook,
  type Scope,
  type StepStatus,
} from '../runbook/index.js';
import { escapeForTerminal } from '../validation/index.js';
import { forcedownVersion } from '../version.js';
import type {
  EventError,
  RunEvent,
  RunStatus,
  RunSummary,
  ServerOutcome,
  StepFinishStatus,
  StepFinishedEvent,
} from './events.interface.js';
import { JournalWriter } from './journal.js';
import { validateResolvedStep } from './resolved-step.js';
import { newRunId } from './run-id.js';
import { SafetyLedger } from './safety-ledger.js';
import type { RunServices } from './services.interface.js';
import type { CheckResult, RunOptions, StepContext, StepModule } from './step.interface.js';
import { loadStepModule } from './step-registry.js';
import { ConfirmPromptAdapter } from './confirm-adapter.js';
import type { ResumeState } from './resume-state.js';
import { acquireRunLocks, type HeldLocks } from './locks.js';

type TaskWrapper = ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

/** How progress is shown. */
export type RendererChoice = 'default' | 'simple' | 'silent';

/** Everything a run needs. */
export interface RunRequest {
  readonly loaded: LoadedRunbook;
  readonly params: Readonly<Record<string, unknown>>;
  /** Names of params not to store in the journal. */
  readonly secretParams: readonly string[];
  readonly options: RunOptions;
  readonly stateDir: string;
  readonly services: RunServices;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  readonly renderer: RendererChoice;
  /** Where the renderer writes (stderr by default: stdout stays for results and JSON). */
  readonly progressStream: Writable;
  /** Called with every event after it is in the journal (`--output json`). */
  readonly onEvent?: (event: RunEvent) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Recorded in run.started. */
  readonly meta?: { readonly inventory?: string; readonly cloud?: string };
  /** Continue an earlier run from its journal. */
  readonly resume?: ResumeState;
  /** `--break-lock REASON`: take over a stale lock (recorded). */
  readonly breakLock?: string;
  /** Journal to disk (false only in tests of plan-like flows). @defaultValue `true` */
  readonly persist?: boolean;
}

/** What a run ended with. */
export interface RunOutcome {
  readonly runId: string;
  readonly exitCode: number;
  readonly summary: RunSummary;
  readonly journalPath: string;
}

const STATUS_BY_EXIT: Readonly<Record<number, RunStatus>> = {
  [ExitCode.Ok]: 'succeeded',
  [ExitCode.StepFailed]: 'failed',
  [ExitCode.InvalidInput]: 'invalid',
  [ExitCode.Refused]: 'refused',
  [ExitCode.Auth]: 'auth-failed',
  [ExitCode.Interrupted]: 'interrupted',
};

function eventError(error: ForcedownError): EventError {
  return { code: error.code, message: error.message, hint: error.hint, exitCode: error.exitCode, details: error.data };
}

/**
 * The error listr2 shows for a failed step: its message may quote runbook values (a host name,
 * a title) with control characters, so the shown copy has them escaped. The run's outcome keeps
 * the original (firstFatal / failedSoft are set before this is thrown).
 */
function forDisplay(error: ForcedownError): Error {
  const shown = escapeForTerminal(error.message);
  return shown === error.message ? error : Object.assign(new Error(shown), { name: error.name });
}

/** Errors worth another attempt: not refusals, input or auth errors, not interruptions. */
function isRetryable(error: ForcedownError): boolean {
  return !(error.isRefused || error.isInvalidInput || error.isAuth || error.isInterrupted);
}

function stepHosts(module: StepModule, step: Step, scope: Scope): string[] {
  if (!module.hosts) return [];
  try {
    return [...module.hosts(resolveDeep(step, scope))];
  } catch {
    return [];
  }
}

/**
 * A run that starts with a fence (host-failure) reads that host's power state first. That read is
 * started here, before the step modules load and the journal's first events are written, so the
 * BMC answers while the run sets up: ~60-100 ms off the time to down. Only an unconditional first
 * step of a new run is primed (a resumed run confirms its steps from the journal).
 */
function primeFirstFence(first: Step | undefined, scope: Scope, services: RunServices, skip: boolean): void {
  if (skip || !first || first.type !== 'fence' || first.when !== undefined || !services.primePowerStatus) return;
  try {
    const host = (resolveDeep(first, scope) as { host?: unknown }).host;
    if (typeof host === 'string' && host !== '') services.primePowerStatus(host);
  } catch {
    // an unresolvable host fails in the step itself, with its own message
  }
}

/**
 * Runs a runbook: one listr2 task per step, each evaluated (`when`), resolved (interpolation),
 * re-validated, checked and — unless a dry run — applied, with per-attempt timeouts, retries with
 * delay, `continueOnError` and cancellation. Every event goes to the journal first (fsync), then
 * to `onEvent`. Resolves with the documented exit code; never throws for step failures.
 */
export async function executeRun(request: RunRequest): Promise<RunOutcome> {
  const { loaded, options, services } = request;
  const runbook = loaded.runbook;
  const resume = request.resume;
  const runId = resume?.runId ?? newRunId(runbook.name);
  const startedAt = resume?.startedAt ?? new Date().toISOString();
  const started = Date.now();
  const journal = await JournalWriter.open(request.stateDir, runId, {
    persist: request.persist !== false,
    nextSeq: resume?.nextSeq,
  });
  if (request.onEvent) journal.onEvent(request.onEvent);

  const outputs: Record<string, Readonly<Record<string, unknown>> | undefined> = {};
  const statuses = new Map<string, StepStatus>();
  const stepSummaries = new Map<string, string>();
  const servers: ServerOutcome[] = [];
  const pendingSafetyEvents: Promise<unknown>[] = [];
  const runEndWork = new Map<string, (signal: AbortSignal) => Promise<void>>();
  const safety = new SafetyLedger(options.assumeFenced, (host, reason) => {
    pendingSafetyEvents.push(journal.append({ event: 'safety.assumed-fenced', host, reason }));
  });
  const scope: Scope = {
    params: request.params,
    steps: outputs,
    run: { id: runId, startedAt, dryRun: options.dryRun, runbook: runbook.name },
    env: request.env,
    allowedEnv: new Set(runbook.env ?? []),
  };

  primeFirstFence(runbook.steps[0], scope, services, resume !== undefined);

  const modules = new Map<string, StepModule>();
  let setupError: ForcedownError | undefined;
  try {
    for (const step of runbook.steps)
      if (!modules.has(step.type)) modules.set(step.type, await loadStepModule(step.type));
  } catch (error) {
    setupError = toForcedownError(error);
  }
  const hosts = [
    ...new Set(
      runbook.steps.flatMap((step) => (modules.get(step.type) ? stepHosts(modules.get(step.type)!, step, scope) : [])),
    ),
  ];

  if (resume) {
    await journal.append({
      event: 'run.resumed',
      machine: hostname(),
      pid: process.pid,
      finishedSteps: [...resume.finished.keys()],
      interruptedStep: resume.interruptedStep,
    });
    for (const evidence of resume.fences) safety.recordFence(evidence);
  } else {
    const storedParams = Object.fromEntries(
      Object.entries(request.params).filter(([name]) => !request.secretParams.includes(name)),
    );
    await journal.append({
      event: 'run.started',
      runbook: { name: runbook.name, file: loaded.file, sha256: loaded.sha256, text: loaded.text },
      params: storedParams,
      secretParams: request.secretParams,
      options: {
        dryRun: options.dryRun,
        assumeFenced: options.assumeFenced,
        inventory: request.meta?.inventory,
        cloud: request.meta?.cloud,
      },
      hosts,
      machine: hostname(),
      pid: process.pid,
      forcedownVersion,
    });
  }

  let locks: HeldLocks | undefined;
  let firstFatal: ForcedownError | undefined = setupError;
  let failedSoft = false;
  const runController = new AbortController();
  const onAbort = (): void => runController.abort(request.signal.reason);
  if (request.signal.aborted) onAbort();
  else request.signal.addEventListener('abort', onAbort, { once: true });

  const finishStep = async (
    step: Step,
    status: StepFinishStatus,
    summary: string,
    stepOutputs: Readonly<Record<string, unknown>>,
    extra: { durationMs: number; attempts: number; error?: ForcedownError; fromJournal?: boolean },
  ): Promise<void> => {
    statuses.set(step.id, status);
    stepSummaries.set(step.id, summary);
    if (status !== 'failed' && status !== 'skipped') outputs[step.id] = stepOutputs;
    const results = (stepOutputs as { results?: unknown }).results;
    if (Array.isArray(results)) {
      for (const item of results as ServerOutcome[])
        if (item && typeof item.id === 'string') servers.push({ ...item, stepId: step.id });
    }
    await journal.append({
      event: 'step.finished',
      stepId: step.id,
      type: step.type,
      status,
      summary,
      outputs: stepOutputs,
      durationMs: extra.durationMs,
      attempts: extra.attempts,
      dryRun: options.dryRun,
      ...(extra.fromJournal ? { fromJournal: true } : {}),
      ...(extra.error ? { error: eventError(extra.error) } : {}),
    });
  };

  const summarySoFar = (exitCode: number, error?: ForcedownError): RunSummary => {
    const counts: Record<StepFinishStatus | 'not-run', number> = {
      changed: 0,
      unchanged: 0,
      skipped: 0,
      failed: 0,
      'not-run': 0,
    };
    const stepResults = runbook.steps.map((step) => {
      const status: StepFinishStatus | 'not-run' = statuses.get(step.id) ?? 'not-run';
      counts[status] += 1;
      return { id: step.id, type: step.type, status, summary: stepSummaries.get(step.id) ?? '' };
    });
    return {
      status: STATUS_BY_EXIT[exitCode] ?? 'failed',
      exitCode,
      steps: counts,
      stepResults,
      servers: [...servers],
      durationMs: Date.now() - started + (resume?.previousDurationMs ?? 0),
      dryRun: options.dryRun,
      ...(error ? { error: eventError(error) } : {}),
    };
  };

  const runStep = async (step: Step, task: TaskWrapper): Promise<void> => {
    const module = modules.get(step.type)!;
    const title = step.title ?? `${step.id} (${step.type})`;
    const stepStarted = Date.now();
    const history = resume?.stepEvents.get(step.id) ?? [];

    // when, references and the resolved values: a problem here fails the step like any other
    let resolved: Step;
    try {
      if (step.when !== undefined) {
        let run: boolean;
        try {
          run = evaluateCondition(step.when, scope, statuses);
        } catch (error) {
          throw operationFailed(
            'WHEN_FAILED',
            `step "${step.id}": ${(error as Error).message}`,
            'fix the step\'s "when" in the runbook',
          );
        }
        if (!run) {
          await finishStep(step, 'skipped', 'condition "when" is false', {}, { durationMs: 0, attempts: 0 });
          task.skip(escapeForTerminal(`${title} (when: false)`));
          return;
        }
      }
      try {
        resolved = resolveDeep(step, scope);
      } catch (error) {
        throw operationFailed(
          'REFERENCE_FAILED',
          `step "${step.id}": ${(error as Error).message}`,
          'check the references in this step and the outputs of the steps it uses',
        );
      }
      validateResolvedStep(resolved, loaded.file);
    } catch (thrown) {
      const error = toForcedownError(thrown);
      await finishStep(step, 'failed', error.message, {}, { durationMs: Date.now() - stepStarted, attempts: 0, error });
      if (step.continueOnError === true) failedSoft = true;
      else if (!firstFatal) firstFatal = error;
      throw forDisplay(error);
    }
    const retries = Number(resolved.retries ?? 0);
    const retryDelayMs = parseDuration(String(resolved.retryDelay ?? '5s'));
    const timeoutMs =
      resolved.timeout !== undefined ? parseDuration(String(resolved.timeout)) : module.defaultTimeoutMs;
    const resolvedTitle = resolved.title ?? `${step.id}: ${module.title(resolved)}`;
    task.title = escapeForTerminal(resolvedTitle);

    // a step the journal says finished: confirm it against live state instead of redoing it
    const journaled = resume?.finished.get(step.id);
    for (let attempt = 1; ; attempt += 1) {
      const attemptController = new AbortController();
      const timer = setTimeout(() => attemptController.abort(new Error('timeout')), timeoutMs);
      const relay = (): void => attemptController.abort(runController.signal.reason);
      if (runController.signal.aborted) relay();
      else runController.signal.addEventListener('abort', relay, { once: true });
      const context: StepContext = {
        runId,
        stepId: step.id,
        stepType: step.type,
        attempt,
        signal: attemptController.signal,
        timeoutMs,
        mode: options.dryRun ? 'dry-run' : 'run',
        options,
        services: {
          ...services,
          // the client is shared by the run's steps: a step out of time stops waiting for it
          openstack: () => untilAborted(services.openstack(), attemptController.signal),
          // a terminal: ask through listr2's prompt (or the services' own confirm, e.g. in tests)
          confirm: options.interactive
            ? (services.confirm ??
              ((question, signal) => task.prompt(ConfirmPromptAdapter).run<boolean>(question, signal)))
            : undefined,
        },
        safety,
        history,
        progress: async (kind, data) => {
          await journal.append({ event: 'step.progress', stepId: step.id, kind, data });
        },
        confirmFence: async (evidence) => {
          const planned = options.dryRun;
          safety.recordFence({ ...evidence, stepId: step.id, ...(planned ? { planned: true } : {}) });
          if (!planned)
            await journal.append({
              event: 'safety.fence-confirmed',
              host: evidence.host,
              data: { ...evidence, stepId: step.id },
            });
        },
        atRunEnd: (key, work) => {
          if (!options.dryRun && !runEndWork.has(key)) runEndWork.set(key, work);
        },
        output: (message) => {
          task.output = escapeForTerminal(message);
          void journal.append({ event: 'step.output', stepId: step.id, message });
        },
        summarySoFar: () =>
          summarySoFar(firstFatal ? firstFatal.exitCode : failedSoft ? ExitCode.StepFailed : ExitCode.Ok),
        sleep: (ms) => sleep(ms, attemptController.signal),
      };
      await journal.append({ event: 'step.started', stepId: step.id, type: step.type, title: resolvedTitle, attempt });
      // an OpenStack call that keeps waiting says so as this step's output (renderer, journal, JSON)
      services.routeWaits?.((notice) => context.output(notice.message));
      try {
        const outcome = await raceAbort(
          attemptOnce(module, resolved, context, journaled),
          attemptController.signal,
          () => {
            if (runController.signal.aborted)
              return toForcedownError(Object.assign(new Error('interrupted'), { name: 'AbortError' }));
            return (
              module.timeoutError?.(resolved, timeoutMs) ??
              operationFailed(
                'STEP_TIMEOUT',
                `step "${step.id}" did not finish within ${formatDuration(timeoutMs)}`,
                'raise the step\'s "timeout" in the runbook, or find out why it is slow (BMC, Nova)',
                { timeoutMs },
              )
            );
          },
        );
        await finishStep(step, outcome.status, outcome.summary, outcome.outputs, {
          durationMs: Date.now() - stepStarted,
          attempts: attempt,
          fromJournal: outcome.fromJournal,
        });
        task.title = escapeForTerminal(
          `${resolvedTitle} — ${outcome.status === 'unchanged' ? 'unchanged' : options.dryRun ? 'would change' : 'changed'}`,
        );
        task.output = escapeForTerminal(outcome.summary);
        return;
      } catch (thrown) {
        const error = toForcedownError(thrown);
        if (attempt <= retries && isRetryable(error) && !runController.signal.aborted) {
          await journal.append({
            event: 'step.retrying',
            stepId: step.id,
            attempt,
            delayMs: retryDelayMs,
            error: eventError(error),
          });
          task.output = escapeForTerminal(
            `attempt ${attempt} failed: ${error.message}; retrying in ${formatDuration(retryDelayMs)}`,
          );
          try {
            await sleep(retryDelayMs, runController.signal);
          } catch {
            // interrupted while waiting: fall through to record the failure below
          }
          if (!runController.signal.aborted) continue;
        }
        const finalError =
          runController.signal.aborted && !error.isInterrupted
            ? toForcedownError(Object.assign(new Error('interrupted'), { name: 'AbortError', cause: error }))
            : error;
        await finishStep(
          step,
          'failed',
          finalError.message,
          {},
          { durationMs: Date.now() - stepStarted, attempts: attempt, error: finalError },
        );
        const continueOnError = resolved.continueOnError === true && !finalError.isInterrupted;
        if (continueOnError) failedSoft = true;
        else if (!firstFatal) firstFatal = finalError;
        throw forDisplay(finalError);
      } finally {
        services.routeWaits?.(undefined);
        clearTimeout(timer);
        runController.signal.removeEventListener('abort', relay);
      }
    }
  };

  let exitCode: number;
  try {
    if (!setupError && !options.dryRun) {
      locks = await acquireRunLocks({
        stateDir: request.stateDir,
        runId,
        hosts,
        breakLock: request.breakLock,
        resume: resume !== undefined,
      });
      if (locks.broken.length > 0) {
        for (const broken of locks.broken)
          await journal.append({
            event: 'safety.lock-broken',
            host: broken.host,
            reason: request.breakLock,
            data: { previousHolder: broken.previousHolder },
          });
      }
    }
    if (!setupError) {
      const tasks: ListrTask<unknown, typeof DefaultRenderer, typeof SimpleRenderer>[] = runbook.steps.map((step) => {
        const continueOnError = step.continueOnError === true;
        return {
          title: escapeForTerminal(step.title ?? `${step.id} (${step.type})`),
          exitOnError: !continueOnError,
          task: (_ctx, task) => runStep(step, task),
        };
      });
      const logger = new ListrLogger({
        processOutput: new ProcessOutput(
          request.progressStream as NodeJS.WriteStream,
          request.progressStream as NodeJS.WriteStream,
        ),
      });
      const listr = new Listr<unknown, 'default', 'simple'>(tasks, {
        concurrent: false,
        exitOnError: true,
        registerSignalListeners: false,
        renderer: 'default',
        fallbackRenderer: 'simple',
        fallbackRendererCondition: request.renderer === 'simple',
        silentRendererCondition: request.renderer === 'silent',
        rendererOptions: {
          logger,
          collapseSubtasks: false,
          showErrorMessage: true,
          formatOutput: 'wrap',
          timer: {
            condition: true,
            field: (ms: number) => formatDuration(ms),
            format: () => (s: string) => s,
          } as never,
        },
        fallbackRendererOptions: {
          logger,
          timer: {
            condition: true,
            field: (ms: number) => formatDuration(ms),
            format: () => (s: string) => s,
          } as never,
        },
      });
      try {
        await listr.run();
      } catch (error) {
        if (!firstFatal) firstFatal = toForcedownError(error);
      }
    }
    await Promise.all(pendingSafetyEvents);
    // every step may have done its job and still some servers were not evacuated: say so
    const notEvacuated = [
      ...new Set(servers.filter((server) => server.result === 'failed').map((server) => server.id)),
    ];
    if (!firstFatal && notEvacuated.length > 0 && !options.dryRun) {
      firstFatal = operationFailed(
        'SERVERS_NOT_EVACUATED',
        `${notEvacuated.length} server(s) were not evacuated: ${servers
          .filter((server) => server.result === 'failed')
          .map((server) => `${server.name} (${server.reason ?? 'failed'})`)
          .join('; ')}`,
        'see the SERVER table of the summary: handle them by hand (they were reset to error where the runbook says so), or fix the cause and run the runbook again',
        { servers: notEvacuated },
      );
    }
    exitCode = firstFatal ? firstFatal.exitCode : failedSoft ? ExitCode.StepFailed : ExitCode.Ok;
    if (runController.signal.aborted) exitCode = ExitCode.Interrupted;
  } catch (error) {
    firstFatal = toForcedownError(error);
    exitCode = firstFatal.exitCode;
  } finally {
    request.signal.removeEventListener('abort', onAbort);
    for (const [key, work] of runEndWork) {
      try {
        await work(AbortSignal.timeout(30_000));
      } catch (error) {
        const problem = toForcedownError(error);
        await journal
          .append({
            event: 'step.output',
            stepId: '(run end)',
            message: `could not ${key}: ${problem.message}; ${problem.hint}`,
          })
          .catch(() => undefined);
        services.warn(`could not ${key}: ${problem.message}`);
      }
    }
    await locks
      ?.release(exitCode! === ExitCode.Ok || exitCode! === ExitCode.StepFailed ? 'finished' : 'stopped')
      .catch(() => undefined);
  }
  const summary = summarySoFar(exitCode, firstFatal);
  await journal.append({ event: 'run.finished', summary });
  await journal.close();
  return { runId, exitCode, summary, journalPath: journal.path };
}

async function attemptOnce(
  module: StepModule,
  step: Step,
  context: StepContext,
  journaled: StepFinishedEvent | undefined,
): Promise<{
  status: StepFinishStatus;
  summary: string;
  outputs: Readonly<Record<string, unknown>>;
  fromJournal?: boolean;
}> {
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
  const applied = await module.apply(step, context, check);
  return { status: applied.status ?? 'changed', summary: applied.summary, outputs: applied.outputs };
}

/** Sleeps `ms`, rejecting when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `work`, or an AbortError as soon as `signal` aborts (`work` goes on; its outcome is dropped). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

/** How long a step may take to wind down after its signal aborts (report what was in flight). */
const ABORT_GRACE_MS = 3000;

/**
 * Settles with `work`; when `signal` aborts, gives the step {@link ABORT_GRACE_MS} to stop and
 * report (e.g. the evacuations still in flight), then rejects with `onAbort()` even if the step
 * ignores its signal.
 */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => ForcedownError): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let graceTimer: NodeJS.Timeout | undefined;
    const abort = (): void => {
      graceTimer = setTimeout(() => reject(onAbort()), ABORT_GRACE_MS);
    };
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        clearTimeout(graceTimer);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        clearTimeout(graceTimer);
        // the step's own account of an interruption is the better one; anything else caused by
        // the abort is reported as the abort
        if (signal.aborted) {
          const fallback = onAbort();
          reject(fallback.isInterrupted && isForcedownError(error) && error.isInterrupted ? error : fallback);
        } else reject(isForcedownError(error) ? error : toForcedownError(error));
      },
    );
  });
}
