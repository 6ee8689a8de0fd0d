/**
 * Recoveries: the configured runbook as an ordinary in-process run (journal, lock, events), one
 * per host, and the watcher's own record of the runs it started (`<state dir>/watch/runs.json`),
 * so that after a restart or kill -9 it resumes them instead of starting new ones.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { LoadedRunbook } from '../runbook/index.js';
import type {
  ExitCodes,
  ResumeState,
  RunCoordination,
  RunEvent,
  RunOutcome,
  RunServices,
  StepCatalog,
} from '../runner/index.js';

/** One run the watcher started. */
export interface WatchedRun {
  readonly runId: string;
  readonly host: string;
  readonly startedAt: string;
  finished: boolean;
  status?: string;
}

/** A recovery run of the watcher's that ended without success, per its journal's run.finished. */
export interface FailedRecovery {
  readonly host: string;
  readonly runId: string;
  readonly status: string;
  /** Local time (ms) of its run.finished event. */
  readonly finishedAt: number;
}

/**
 * Whether a run that ended with `status` holds its host back (recovery.failedCooldown): every end
 * but success and an interruption (a stop: the run is resumed, not retried).
 */
export function isFailedRecovery(status: string): boolean {
  return status !== 'succeeded' && status !== 'interrupted';
}

/** Where a run stands for a graceful stop: never abort between fence and force-down. */
export type RunPhase = 'before-fence' | 'fencing' | 'after-force-down';

/** What the watcher hands the runner for each recovery. */
export interface RecoveryEngine {
  readonly loaded: LoadedRunbook;
  /** Runbook vars besides `host` (bound to the runbook's params). */
  readonly vars: Readonly<Record<string, string>>;
  readonly catalog: StepCatalog;
  readonly exitCodes: ExitCodes;
  readonly services: RunServices;
  readonly stateDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly meta?: { readonly inventory?: string; readonly cloud?: string; readonly startedBy?: string };
  /** etcd host locks and the journal mirror for each run (watch.json `coordination`). */
  readonly coordination?: RunCoordination;
}

/** Callbacks of one recovery. */
export interface RecoveryHooks {
  readonly signal: AbortSignal;
  onEvent?(event: RunEvent): void;
  onPhase?(phase: RunPhase): void;
}

/** Starts and resumes recoveries; the watcher depends on this, not on the runner. */
export interface RecoveryLauncher {
  start(host: string, hooks: RecoveryHooks): Promise<RunOutcome>;
  resume(run: WatchedRun, hooks: RecoveryHooks): Promise<RunOutcome>;
  /** Runs started by an earlier watcher process and not finished. */
  unfinished(): Promise<WatchedRun[]>;
  /** Per host, its latest recorded run when that one failed (the cooldown after a restart). */
  failures?(): Promise<FailedRecovery[]>;
}

/** The watcher's record of its runs, written atomically. */
export class WatchedRuns {
  readonly #file: string;
  #runs: WatchedRun[] | undefined;

  constructor(stateDir: string) {
    this.#file = join(stateDir, 'watch', 'runs.json');
  }

  async all(): Promise<WatchedRun[]> {
    if (this.#runs) return this.#runs;
    try {
      const parsed = JSON.parse(await readFile(this.#file, 'utf8')) as { runs?: WatchedRun[] };
      this.#runs = Array.isArray(parsed.runs) ? parsed.runs : [];
    } catch {
      this.#runs = [];
    }
    return this.#runs;
  }

  async add(run: WatchedRun): Promise<void> {
    (await this.all()).push(run);
    await this.#save();
  }

  /** Records how a run ended; an interrupted run (a stop) stays open, to be resumed. */
  async finish(runId: string, status: string): Promise<void> {
    const run = (await this.all()).find((r) => r.runId === runId);
    if (!run || status === 'interrupted') return;
    run.finished = true;
    run.status = status;
    await this.#save();
  }

  async #save(): Promise<void> {
    await mkdir(join(this.#file, '..'), { recursive: true, mode: 0o700 });
    const temp = `${this.#file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify({ runs: this.#runs ?? [] }, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, this.#file);
  }
}

/** Follows a run's events to its phase. */
function phaseTracker(hooks: RecoveryHooks): (event: RunEvent) => void {
  return (event) => {
    if (event.event === 'step.started' && event.type === 'fence') hooks.onPhase?.('fencing');
    if (event.event === 'step.finished' && event.type === 'force-down' && event.status !== 'failed')
      hooks.onPhase?.('after-force-down');
    if (event.event === 'step.finished' && event.type === 'fence' && event.status === 'failed')
      hooks.onPhase?.('before-fence');
    hooks.onEvent?.(event);
  };
}

/** Recoveries through the runner's `executeRun`. */
export class RunnerRecoveries implements RecoveryLauncher {
  readonly #runs: WatchedRuns;

  constructor(private readonly engine: RecoveryEngine) {
    this.#runs = new WatchedRuns(engine.stateDir);
  }

  get record(): WatchedRuns {
    return this.#runs;
  }

  async start(host: string, hooks: RecoveryHooks): Promise<RunOutcome> {
    const { bindParams, secretParamNames } = await import('../runbook/index.js');
    const params = bindParams(this.engine.loaded.runbook, { ...this.engine.vars, host });
    let recorded: Promise<void> | undefined;
    const follow = phaseTracker(hooks);
    const outcome = await this.#execute(params, secretParamNames(this.engine.loaded.runbook), hooks, (event) => {
      // recorded before the first step starts: a kill -9 from here on finds the run to resume
      if (event.event === 'run.started' && !event.options.dryRun)
        recorded = this.#runs.add({ runId: event.runId, host, startedAt: event.ts, finished: false });
      follow(event);
    });
    await recorded;
    await this.#runs.finish(outcome.runId, outcome.summary.status);
    return outcome;
  }

  async resume(run: WatchedRun, hooks: RecoveryHooks): Promise<RunOutcome> {
    const [{ readJournal, resumeStateFrom }, { loadRunbookText, bindParams }] = await Promise.all([
      import('../runner/index.js'),
      import('../runbook/index.js'),
    ]);
    const state = resumeStateFrom((await readJournal(this.engine.stateDir, run.runId)).events);
    if (!state) {
      await this.#runs.finish(run.runId, 'no-journal');
      throw new Error(`run ${run.runId} has no run.started event`);
    }
    const file = state.started.runbook.file;
    const loaded = loadRunbookText(state.started.runbook.text, file, file);
    const stored = Object.fromEntries(Object.entries(state.started.params).map(([k, v]) => [k, String(v)]));
    const params = bindParams(loaded.runbook, { ...this.engine.vars, ...stored });
    const outcome = await this.#execute(params, state.started.secretParams, hooks, phaseTracker(hooks), {
      loaded,
      resume: state,
    });
    await this.#runs.finish(run.runId, outcome.summary.status);
    return outcome;
  }

  async unfinished(): Promise<WatchedRun[]> {
    const { readJournal } = await import('../runner/index.js');
    const open: WatchedRun[] = [];
    for (const run of await this.#runs.all()) {
      if (run.finished) continue;
      const journal = await readJournal(this.engine.stateDir, run.runId).catch(() => undefined);
      // a run that reached run.finished is not resumed, unless a stop (SIGTERM) interrupted it; nor is one a crash cut short
      const finished = journal?.events.find((e) => e.event === 'run.finished');
      if (finished?.event === 'run.finished' && finished.summary.status !== 'interrupted') {
        await this.#runs.finish(run.runId, finished.summary.status);
      } else if (journal) open.push(run);
      else await this.#runs.finish(run.runId, 'no-journal');
    }
    return open;
  }

  async failures(): Promise<FailedRecovery[]> {
    const { readJournal } = await import('../runner/index.js');
    const latest = new Map<string, WatchedRun>();
    for (const run of await this.#runs.all()) latest.set(run.host, run); // recorded in start order
    const failed: FailedRecovery[] = [];
    for (const run of latest.values()) {
      const journal = await readJournal(this.engine.stateDir, run.runId).catch(() => undefined);
      const finished = journal?.events.find((e) => e.event === 'run.finished');
      if (finished?.event !== 'run.finished' || !isFailedRecovery(finished.summary.status)) continue;
      const finishedAt = Date.parse(finished.ts);
      if (Number.isFinite(finishedAt))
        failed.push({ host: run.host, runId: run.runId, status: finished.summary.status, finishedAt });
    }
    return failed;
  }

  async #execute(
    params: Record<string, unknown>,
    secretParams: readonly string[],
    hooks: RecoveryHooks,
    onEvent: (event: RunEvent) => void,
    resume?: { loaded: LoadedRunbook; resume: ResumeState },
  ): Promise<RunOutcome> {
    const { executeRun } = await import('../runner/index.js');
    return executeRun({
      loaded: resume?.loaded ?? this.engine.loaded,
      params,
      secretParams,
      options: { dryRun: false, yes: true, approve: new Set(), assumeFenced: undefined, interactive: false },
      stateDir: this.engine.stateDir,
      catalog: this.engine.catalog,
      services: this.engine.services,
      exitCodes: this.engine.exitCodes,
      signal: hooks.signal,
      renderer: 'silent',
      progressStream: new PassThrough(),
      onEvent,
      env: this.engine.env,
      ...(this.engine.meta ? { meta: this.engine.meta } : {}),
      ...(this.engine.coordination ? { coordination: this.engine.coordination } : {}),
      ...(resume ? { resume: resume.resume } : {}),
    });
  }
}
