import { toForcedownError } from '../errors/index.js';
import type { HeldLocks, HostLockProvider, RunMirror } from '../coordination/index.js';
import type { Step } from '../generated/runbook.types.js';
import type { RunEvent, StepFinishStatus } from './events.interface.js';
import type { SafetyLedger } from './safety-ledger.js';
import type { StepModule } from './step.interface.js';

/**
 * What a run uses of coordination on etcd (built by the composition root from a
 * `Coordinator`): host locks on a lease and the mirror of the run's journal.
 */
export interface RunCoordination {
  readonly locks: HostLockProvider;
  mirror(runId: string): Promise<Pick<RunMirror, 'append'>>;
}

/**
 * The lease-loss rule (README "Coordination (etcd)"): once the run's etcd locks are lost, a run
 * that has not confirmed both the fence and the force-down of every host it locked stops before
 * its next write (a step with side effects about to apply): refused, exit 3. A run past that
 * point may finish (its evacuations): another run that takes the host finds it fenced and forced
 * down, and the evacuations it resumes are tracked through os-migrations, never sent twice.
 *
 * The runner knows no step type: a force-down is a finished step whose outputs say
 * `forcedDown: true`, for the hosts the step declares (`hosts()`); fences come from the safety ledger.
 */
export class LeaseGuard {
  readonly #hosts: readonly string[];
  readonly #lost: AbortSignal | undefined;
  readonly #safety: SafetyLedger;
  readonly #forcedDown = new Set<string>();

  constructor(locks: Pick<HeldLocks, 'hosts' | 'lost'>, safety: SafetyLedger) {
    this.#hosts = locks.hosts;
    this.#lost = locks.lost;
    this.#safety = safety;
  }

  /** The lost signal of the locks (undefined for the local lock file). */
  get lost(): AbortSignal | undefined {
    return this.#lost;
  }

  /** Notes a step that finished (also one confirmed from the journal on resume). */
  noteFinished(
    module: StepModule,
    step: Step,
    status: StepFinishStatus,
    outputs: Readonly<Record<string, unknown>>,
  ): void {
    if (status === 'failed' || status === 'skipped' || outputs.forcedDown !== true) return;
    for (const host of module.hosts?.(step) ?? []) this.#forcedDown.add(host);
  }

  /** Every locked host is fenced (confirmed, or asserted with --assume-fenced) and forced down. */
  pastForceDown(): boolean {
    const fenced = (host: string): boolean => {
      const evidence = this.#safety.fenceOf(host);
      return (evidence !== undefined && evidence.planned !== true) || this.#safety.assumeFencedReason !== undefined;
    };
    return this.#hosts.length > 0 && this.#hosts.every((host) => fenced(host) && this.#forcedDown.has(host));
  }

  /** Called before a step applies: throws the loss (refused) when the rule says stop. */
  beforeApply(module: StepModule): void {
    if (this.#lost?.aborted !== true || module.sideEffects === false || this.pastForceDown()) return;
    throw toForcedownError(this.#lost.reason);
  }
}

/**
 * Feeds the run's journal events to its etcd mirror, in order, without slowing the run: a failed
 * write keeps the event (and those after it) pending and is tried again with the next event and
 * once at the end of the run. What reached etcd is always a prefix of the journal, which a resume
 * on another machine may continue from (steps confirm the live state).
 *
 * Nothing is written before `start()` (called once the run holds its etcd locks): the events
 * before it wait and are written first, in order. A run that never held its locks (refused, or
 * stopped in pre-flight) never touches the mirror, so it can neither write under its id a run
 * that did nothing nor warn about an etcd it never needed.
 */
export class MirrorFeed {
  readonly #open: () => Promise<Pick<RunMirror, 'append'>>;
  readonly #warn: (message: string) => void;
  #mirror: Promise<Pick<RunMirror, 'append'>> | undefined;
  readonly #pending: RunEvent[] = [];
  #busy: Promise<void> | undefined;
  #warned = false;
  #started = false;

  constructor(open: () => Promise<Pick<RunMirror, 'append'>>, warn: (message: string) => void) {
    this.#open = open;
    this.#warn = warn;
  }

  /** Events not in etcd yet. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Whether `start()` was called (the run held its etcd locks). */
  get started(): boolean {
    return this.#started;
  }

  push(event: RunEvent): void {
    this.#pending.push(event);
    if (this.#started) this.#busy ??= this.#pump();
  }

  /** Starts writing: the events pushed so far first, in order, then each one as it comes. */
  start(): void {
    this.#started = true;
    if (this.#pending.length > 0) this.#busy ??= this.#pump();
  }

  /** Waits for the writes under way, then tries once more to write what is pending (once started). */
  async drain(): Promise<void> {
    if (!this.#started) return;
    await this.#busy;
    if (this.#pending.length > 0) await (this.#busy = this.#pump());
  }

  async #pump(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const mirror = await (this.#mirror ??= this.#open().catch((error: unknown) => {
          this.#mirror = undefined;
          throw error;
        }));
        await mirror.append(this.#pending[0]);
        this.#pending.shift();
      }
    } catch (error) {
      if (!this.#warned) {
        this.#warned = true;
        const problem = toForcedownError(error);
        this.#warn(
          `the etcd mirror of this run stops at event ${this.#pending[0]?.seq ?? '?'} for now (${problem.message}); the local journal has every event, and later events are mirrored when etcd answers again`,
        );
      }
    } finally {
      this.#busy = undefined;
    }
  }
}
