import { hostname } from 'node:os';
import type { Writable } from 'node:stream';
import { ForcedownError, toForcedownError } from '../errors/index.js';
import type { Step } from '../generated/runbook.types.js';
import type { LoadedRunbook, Scope } from '../runbook/index.js';
import { escapeForTerminal } from '../validation/index.js';
import { forcedownVersion } from '../version.js';
import type { StepCatalog } from './catalog.interface.js';
import type { RunEvent, RunSummary, StepFinishedEvent } from './events.interface.js';
import { JournalWriter } from './journal.js';
import { runWithListr, type RendererChoice } from './listr-view.js';
import { LeaseGuard, MirrorFeed, type RunCoordination } from './coordination-hooks.js';
import { acquireRunLocks, type HeldLocks } from './locks.js';
import { preflight, type PreflightProblem } from './preflight.js';
import type { ResumeState } from './resume-state.js';
import { newRunId } from './run-id.js';
import { RunRecord, type ExitCodes } from './run-record.js';
import { executeStep, type RunShared } from './run-step.js';
import { SafetyLedger } from './safety-ledger.js';
import type { RunServices } from './services.interface.js';
import { knownHosts, runScope, type PreparedStep } from './step-pipeline.js';
import type { RunOptions, StepModule } from './step.interface.js';

export type { RendererChoice } from './listr-view.js';

/** Everything a run needs. */
export interface RunRequest {
  readonly loaded: LoadedRunbook;
  readonly params: Readonly<Record<string, unknown>>;
  /** Names of params not to store in the journal. */
  readonly secretParams: readonly string[];
  readonly options: RunOptions;
  readonly stateDir: string;
  /** The step types (the CLI hands `src/steps/catalog.ts`). */
  readonly catalog: StepCatalog;
  readonly services: RunServices;
  /** How outcomes become exit codes (the CLI's table). */
  readonly exitCodes: ExitCodes;
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
  /**
   * Coordination on etcd (built by the CLI when configured): host locks in etcd besides the local
   * lock file, and the journal mirrored for resume from any machine. Not used in dry runs.
   */
  readonly coordination?: RunCoordination;
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

/** The modules of the runbook's step types; a type the catalog lacks is a problem of its first step. */
async function loadModules(
  steps: readonly Step[],
  catalog: StepCatalog,
): Promise<{ modules: Map<string, StepModule>; problems: PreflightProblem[] }> {
  const modules = new Map<string, StepModule>();
  const problems: PreflightProblem[] = [];
  const unavailable = new Set<string>();
  for (const step of steps) {
    if (modules.has(step.type) || unavailable.has(step.type)) continue;
    try {
      modules.set(step.type, await catalog.load(step.type));
    } catch (error) {
      unavailable.add(step.type);
      problems.push({ stepId: step.id, error: toForcedownError(error) });
    }
  }
  return { modules, problems };
}

/** One error for the run from pre-flight's problems: the problem itself when there is one. */
function preflightError(problems: readonly PreflightProblem[]): ForcedownError {
  if (problems.length === 1) return problems[0].error;
  return new ForcedownError(
    `pre-flight found ${problems.length} problems, so nothing was done:\n${problems
      .map(({ stepId, error }) => `  - step "${stepId}": ${error.message} (${error.code}); what to do: ${error.hint}`)
      .join('\n')}`,
    {
      code: 'PREFLIGHT_FAILED',
      kind: problems[0].error.kind,
      hint: 'fix each problem listed, then run again',
      data: { problems: problems.map(({ stepId, error }) => ({ stepId, code: error.code })) },
    },
  );
}

/** Starts the first step's reads now (a fence's power read), once pre-flight has passed. */
function primeFirstStep(
  steps: readonly Step[],
  modules: ReadonlyMap<string, StepModule>,
  prepared: ReadonlyMap<string, PreparedStep>,
  services: RunServices,
): void {
  const first = steps[0];
  const ready = first && prepared.get(first.id);
  if (!first || first.when !== undefined || ready?.kind !== 'ready' || !ready.complete) return;
  modules.get(first.type)?.prime?.(ready.resolved, services);
}

/** Journals the start (or resumption) of the run. */
async function journalStart(request: RunRequest, journal: JournalWriter, hosts: readonly string[]): Promise<void> {
  const { resume, loaded, options } = request;
  if (resume) {
    await journal.append({
      event: 'run.resumed',
      machine: hostname(),
      pid: process.pid,
      finishedSteps: [...resume.finished.keys()],
      interruptedStep: resume.interruptedStep,
    });
    return;
  }
  await journal.append({
    event: 'run.started',
    runbook: { name: loaded.runbook.name, file: loaded.file, sha256: loaded.sha256, text: loaded.text },
    params: Object.fromEntries(Object.entries(request.params).filter(([name]) => !request.secretParams.includes(name))),
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

/** The local lock files, then (when coordination is configured) the etcd locks: all or none. */
async function acquireAll(request: RunRequest, runId: string, hosts: readonly string[]) {
  const options = {
    runId,
    hosts,
    ...(request.breakLock !== undefined ? { breakLock: request.breakLock } : {}),
    resume: request.resume !== undefined,
  };
  const local = await acquireRunLocks({ ...options, stateDir: request.stateDir });
  const localBroken = local.broken.map((lock) => ({ ...lock, where: 'local lock file' }));
  if (!request.coordination) return { locks: local, broken: localBroken };
  let etcd: Awaited<ReturnType<RunCoordination['locks']['acquire']>>;
  try {
    etcd = await request.coordination.locks.acquire(options);
  } catch (error) {
    await local.release('stopped').catch(() => undefined);
    throw error;
  }
  const locks = {
    hosts: local.hosts,
    broken: [...local.broken, ...etcd.broken],
    ...(etcd.lost ? { lost: etcd.lost } : {}),
    release: async (why: 'finished' | 'stopped') => {
      await etcd.release(why).catch(() => undefined);
      await local.release(why);
    },
  };
  return { locks, broken: [...localBroken, ...etcd.broken.map((lock) => ({ ...lock, where: 'etcd' }))] };
}

/** Takes the hosts' locks (not in dry runs), journaling any lock broken with --break-lock. */
async function takeLocks(
  request: RunRequest,
  run: RunShared,
  hosts: readonly string[],
): Promise<(HeldLocks & { readonly lost?: AbortSignal }) | undefined> {
  if (request.options.dryRun) return undefined;
  const { locks, broken } = await acquireAll(request, run.runId, hosts);
  for (const lock of broken)
    await run.journal.append({
      event: 'safety.lock-broken',
      host: lock.host,
      reason: request.breakLock,
      data: { previousHolder: lock.previousHolder, where: lock.where },
    });
  return locks;
}

/** Journals the loss of the etcd locks when it happens (the guard stops the run before its next write). */
function journalLoss(run: RunShared, guard: LeaseGuard, pending: Promise<unknown>[]): void {
  const lost = guard.lost;
  if (!lost) return;
  const note = (): void => {
    const problem = toForcedownError(lost.reason);
    const rule = guard.pastForceDown()
      ? 'every host is fenced and forced down, so the run may finish'
      : 'the run stops before its next write';
    run.services.warn(`${problem.message}; ${rule}`);
    pending.push(
      run.journal
        .append({
          event: 'step.output',
          stepId: '(coordination)',
          message: `${problem.message} (${problem.code}); ${rule}`,
        })
        .catch(() => undefined),
    );
  };
  if (lost.aborted) note();
  else lost.addEventListener('abort', note, { once: true });
}

/** The work steps registered for the end of the run, each with its own 30 s budget. */
async function runEndWork(run: RunShared): Promise<void> {
  for (const [key, work] of run.runEnd) {
    try {
      await work(AbortSignal.timeout(30_000));
    } catch (error) {
      const problem = toForcedownError(error);
      await run.journal
        .append({
          event: 'step.output',
          stepId: '(run end)',
          message: `could not ${key}: ${problem.message}; ${problem.hint}`,
        })
        .catch(() => undefined);
      run.services.warn(`could not ${key}: ${problem.message}`);
      // a refusal at the end (a host hold found lost) fails the run: exit 3, not a warning
      if (problem.kind === 'refused') run.record.failed(problem, false);
    }
  }
}

/** The steps of a run that passed pre-flight: locks, then listr2, then the run-end work. */
async function runSteps(
  request: RunRequest,
  run: RunShared,
  hosts: readonly string[],
  pending: Promise<unknown>[],
): Promise<void> {
  const runController = new AbortController();
  const onAbort = (): void => runController.abort(request.signal.reason);
  if (request.signal.aborted) onAbort();
  else request.signal.addEventListener('abort', onAbort, { once: true });
  let locks: HeldLocks | undefined;
  try {
    locks = await takeLocks(request, run, hosts);
    const guard = locks ? new LeaseGuard(locks, run.safety) : undefined;
    if (guard) journalLoss(run, guard, pending);
    const shared: RunShared = { ...run, signal: runController.signal, ...(guard ? { guard } : {}) };
    await runWithListr(
      request.loaded.runbook.steps,
      (step, view) => executeStep(step, view, shared),
      request.renderer,
      request.progressStream,
    );
  } catch (error) {
    // a failed step is in the record already; a lock refused (or anything else) ends the run here
    run.record.failed(toForcedownError(error), false);
  } finally {
    request.signal.removeEventListener('abort', onAbort);
    await Promise.all(pending);
    await runEndWork(run);
    const { kind } = run.record.result(request.signal.aborted);
    await locks?.release(kind === undefined || kind === 'failed' ? 'finished' : 'stopped').catch(() => undefined);
  }
}

/** The journal's copy in etcd when coordination is configured (never for dry or unpersisted runs). */
function mirrorFeedFor(request: RunRequest, runId: string): MirrorFeed | undefined {
  const { coordination, options, services } = request;
  if (!coordination || options.dryRun || request.persist === false) return undefined;
  return new MirrorFeed(
    () => coordination.mirror(runId),
    (message) => services.warn(message),
  );
}

/** Waits for the mirror's last writes; says so when etcd still lacks some events. */
async function drainMirror(mirror: MirrorFeed | undefined, services: RunServices, runId: string): Promise<void> {
  if (!mirror) return;
  await mirror.drain();
  if (mirror.pending > 0)
    services.warn(
      `${mirror.pending} events of run ${runId} are not in etcd (it did not answer): resume this run on this machine, or from another once its mirror is complete`,
    );
}

/**
 * Runs a runbook. Pre-flight first: every step's values, and everything the steps need
 * (inventory entries and password sources, the cloud configuration, sign-in, the compute
 * services they name) is checked before the first action; a problem ends the run there, having
 * done nothing. Then one listr2 task per step, each through the step pipeline (when, references,
 * validation) and its attempts (timeouts, retries, `continueOnError`, cancellation); a dry run
 * checks only. Every event goes to the journal first (fsync), then to `onEvent`. Resolves with
 * the exit code; never throws for step failures.
 */
export async function executeRun(request: RunRequest): Promise<RunOutcome> {
  const { loaded, options, services, resume } = request;
  const steps = loaded.runbook.steps;
  const runId = resume?.runId ?? newRunId(loaded.runbook.name);
  const startedAt = resume?.startedAt ?? new Date().toISOString();
  const scopeOf = (outputs: Scope['steps']): Scope =>
    runScope(loaded, request.params, request.env, { id: runId, startedAt, dryRun: options.dryRun }, outputs);
  const scope = scopeOf({});

  const { modules, problems: missing } = await loadModules(steps, request.catalog);
  const hosts = [
    ...new Set(
      steps.flatMap((step) => (modules.has(step.type) ? knownHosts(modules.get(step.type)!, step, scope) : [])),
    ),
  ];
  // the journal opens after pre-flight (the first fence's read is primed before the first event),
  // or as soon as pre-flight waits for something: that is an event too
  let opened: Promise<JournalWriter> | undefined;
  const mirror = mirrorFeedFor(request, runId);
  const openJournal = (): Promise<JournalWriter> =>
    (opened ??= (async () => {
      const writer = await JournalWriter.open(request.stateDir, runId, {
        persist: request.persist !== false,
        nextSeq: resume?.nextSeq,
      });
      if (request.onEvent) writer.onEvent(request.onEvent);
      if (mirror) writer.onEvent((event) => mirror.push(event));
      await journalStart(request, writer, hosts);
      return writer;
    })());
  const waitLine = (message: string): void => {
    request.progressStream.write(`forcedown: ${escapeForTerminal(message)}\n`);
  };
  const checked =
    missing.length > 0
      ? { problems: missing, prepared: new Map<string, PreparedStep>() }
      : await preflight({
          steps,
          modules,
          scope,
          catalog: request.catalog,
          file: loaded.file,
          services,
          options,
          finished: new Set(
            [...(resume?.finished ?? new Map<string, StepFinishedEvent>())]
              .filter(([, event]) => event.status !== 'failed' && event.status !== 'skipped')
              .map(([id]) => id),
          ),
          signal: request.signal,
          onWait: (stepId, notice) => {
            waitLine(notice.message);
            void openJournal().then((writer) =>
              writer.append({ event: 'step.output', stepId, message: notice.message }),
            );
          },
        });
  if (checked.problems.length === 0 && !resume) primeFirstStep(steps, modules, checked.prepared, services);
  const journal = await openJournal();

  const record = new RunRecord(steps, modules, journal, request.exitCodes, options.dryRun, resume);
  const pending: Promise<unknown>[] = [];
  const safety = new SafetyLedger(options.assumeFenced, (host, reason) => {
    pending.push(journal.append({ event: 'safety.assumed-fenced', host, reason }));
  });
  for (const evidence of resume?.fences ?? []) safety.recordFence(evidence);
  const run: RunShared = {
    runId,
    options,
    services,
    safety,
    journal,
    record,
    modules,
    resume,
    file: loaded.file,
    catalog: request.catalog,
    scope: scopeOf(record.outputs),
    signal: request.signal,
    runEnd: new Map(),
    // no renderer shows a step's output (JSON mode): a call that keeps waiting still says so on stderr
    ...(request.renderer === 'silent' ? { waitLine } : {}),
  };

  if (checked.problems.length > 0) {
    for (const { stepId, error } of checked.problems)
      await record.finishFailed(
        steps.find((s) => s.id === stepId)!,
        error,
      );
    record.preflightFailed(preflightError(checked.problems));
  } else await runSteps(request, run, hosts, pending);

  const summary = record.summary(request.signal.aborted);
  await journal.append({ event: 'run.finished', summary });
  await journal.close();
  await drainMirror(mirror, services, runId);
  return { runId, exitCode: summary.exitCode, summary, journalPath: journal.path };
}
