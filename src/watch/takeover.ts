/**
 * Takeover of a dead leader's work (issue 14): a new leader resumes the runs a watcher of its
 * region started (run.started `options.startedBy: "watch"`) that have no run.finished in their
 * etcd mirror (`<prefix>/<region>/runs/`), instead of starting new ones for those hosts. Each
 * mirrored journal is copied into this state dir and the run is resumed from it once the dead
 * holder's etcd lock is gone (it expires with its lease, or is taken over at once by the rule of
 * EtcdHostLocks: same run, same machine, dead pid).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { LockHolder, MirroredRun, RunMirrorMeta } from '../coordination/index.js';
import { isProcessAlive } from '../coordination/process-alive.js';
import { refused } from '../errors/index.js';
import { ensurePrivateDir, journalPath, stateLayout } from '../runner/index.js';
import type { RunOutcome } from '../runner/index.js';
import type { FailedRecovery, RecoveryHooks, RecoveryLauncher, RunnerRecoveries, WatchedRun } from './recoveries.js';
import type { LogRecord } from './watcher.js';

/** The marker of runs a watcher starts (run.started options.startedBy). */
export const STARTED_BY_WATCH = 'watch';

/** What takeover reads of etcd (a `Coordinator`). */
export interface TakeoverSource {
  listRuns(): Promise<RunMirrorMeta[]>;
  readRun(runId: string): Promise<MirroredRun>;
  readonly locks: { holder(host: string): Promise<LockHolder | undefined> };
}

export interface TakeoverOptions {
  readonly inner: RunnerRecoveries;
  readonly source: TakeoverSource;
  readonly stateDir: string;
  readonly log: (record: LogRecord) => void;
  /** How long to wait for a dead holder's lock to expire (the lease TTL plus a margin). */
  readonly lockWaitMs: number;
  readonly pollMs?: number;
}

/** Runs a watcher started and that did not finish, per their mirror. */
export function unfinishedInMirror(runs: readonly RunMirrorMeta[]): RunMirrorMeta[] {
  return runs.filter(
    (m) =>
      m.startedBy === STARTED_BY_WATCH &&
      !m.dryRun &&
      (m.status === 'running' || m.status === 'interrupted') &&
      m.hosts.length > 0,
  );
}

async function localEventCount(stateDir: string, runId: string): Promise<number> {
  try {
    return (await readFile(journalPath(stateDir, runId), 'utf8')).split('\n').filter((l) => l.trim()).length;
  } catch {
    return 0;
  }
}

/** The runner's recoveries, plus the runs of a dead leader found in etcd. */
export class CoordinatedRecoveries implements RecoveryLauncher {
  readonly #o: TakeoverOptions;

  constructor(options: TakeoverOptions) {
    this.#o = options;
  }

  start(host: string, hooks: RecoveryHooks): Promise<RunOutcome> {
    return this.#o.inner.start(host, hooks);
  }

  async resume(run: WatchedRun, hooks: RecoveryHooks): Promise<RunOutcome> {
    await this.#lockFree(run);
    return this.#o.inner.resume(run, hooks);
  }

  failures(): Promise<FailedRecovery[]> {
    return this.#o.inner.failures();
  }

  async unfinished(): Promise<WatchedRun[]> {
    const open = await this.#o.inner.unfinished();
    const record = await this.#o.inner.record.all();
    for (const meta of unfinishedInMirror(await this.#o.source.listRuns())) {
      const known = record.find((r) => r.runId === meta.runId);
      if (known?.finished === true) continue;
      if (!(await this.#import(meta))) continue;
      if (open.some((r) => r.runId === meta.runId)) continue;
      const run: WatchedRun = {
        runId: meta.runId,
        host: meta.hosts[0] ?? '',
        startedAt: meta.startedAt,
        finished: false,
      };
      if (!known) await this.#o.inner.record.add(run);
      this.#o.log({
        msg: 'taking over a run of another watcher',
        runId: meta.runId,
        host: run.host,
        machine: meta.machine,
        pid: meta.pid,
      });
      open.push(run);
    }
    return open;
  }

  /** Copies the mirrored journal here when it holds more than the local one; false when unusable. */
  async #import(meta: RunMirrorMeta): Promise<boolean> {
    const mirrored = await this.#o.source.readRun(meta.runId);
    if (!mirrored.complete || mirrored.events.length === 0) {
      this.#o.log({
        msg: 'cannot take over a run: its etcd mirror is incomplete; resume it on its machine',
        level: 'warn',
        runId: meta.runId,
        machine: meta.machine,
      });
      return false;
    }
    if (mirrored.events.length <= (await localEventCount(this.#o.stateDir, meta.runId))) return true;
    await ensurePrivateDir(stateLayout(this.#o.stateDir).runs);
    const text = mirrored.events.map((event) => `${JSON.stringify(event)}\n`).join('');
    await writeFile(journalPath(this.#o.stateDir, meta.runId), text, { mode: 0o600 });
    return true;
  }

  /** Waits until nobody alive holds the run's host in etcd (refused after `lockWaitMs`). */
  async #lockFree(run: WatchedRun): Promise<void> {
    const deadline = Date.now() + this.#o.lockWaitMs;
    for (;;) {
      const holder = await this.#o.source.locks.holder(run.host);
      const takeable =
        holder === undefined ||
        (holder.runId === run.runId && holder.machine === hostname() && !isProcessAlive(holder.pid));
      if (takeable) return;
      if (Date.now() >= deadline)
        throw refused(
          'HOST_LOCKED',
          `host ${run.host} is still locked in etcd by run ${holder.runId} (pid ${holder.pid} on ${holder.machine})`,
          'its holder is alive; this watcher resumes the run when it becomes leader again, or resume it by hand',
          { host: run.host, holder },
        );
      await new Promise((resolve) => setTimeout(resolve, this.#o.pollMs ?? 500));
    }
  }
}
