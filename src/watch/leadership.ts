/**
 * Leadership of a region's watchers (issue 14): with coordination configured, every replica
 * campaigns in the region's election (`<prefix>/<region>/election/`, on a lease of the
 * coordination TTL); only the leader polls and acts. A follower waits in the campaign (it serves
 * /healthz, and /readyz answers 503 "follower"). When the leader's lease ends (it died, or etcd
 * lost quorum), the next candidate is elected and takes over. A replica that cannot campaign
 * (etcd unreachable or without quorum) reports "cannot coordinate" and retries.
 */
import type { Candidate, Leadership } from '../coordination/index.js';
import type { LogRecord } from './watcher.js';

/** What leadership needs of the election (`RegionElection` in src/coordination). */
export interface ElectionPort {
  campaign(candidate: Candidate, options: { readonly signal?: AbortSignal }): Promise<Leadership>;
}

/** Leadership figures (metrics.ts implements it). */
export interface LeadershipObserver {
  leader(isLeader: boolean): void;
  /** A leader was elected after another one (a takeover); seconds from its election to its work resumed. */
  takeover(seconds: number): void;
  coordinating(ok: boolean): void;
}

export type LeaderState = 'campaigning' | 'leader' | 'cannot-coordinate' | 'stopped';

export interface LeadershipOptions {
  readonly election: ElectionPort;
  readonly candidate: Candidate;
  readonly log: (record: LogRecord) => void;
  readonly observer?: LeadershipObserver;
  /** Wait between failed campaigns. @defaultValue 1000 */
  readonly retryMs?: number;
  readonly now?: () => number;
}

/** What the leader does while it leads: resolves when `signal` aborts (stop or leadership lost). */
export type LeadWork = (
  leadership: Leadership,
  signal: AbortSignal,
  report: (resumed: number) => void,
) => Promise<void>;

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const code = (error: unknown): string | undefined => (error as { code?: string } | undefined)?.code;

export class WatchLeadership {
  readonly #o: LeadershipOptions;
  #state: LeaderState = 'campaigning';
  #why = '';

  constructor(options: LeadershipOptions) {
    this.#o = options;
  }

  get state(): LeaderState {
    return this.#state;
  }

  /** Undefined when this replica leads; else why it is not ready (/readyz). */
  notReady(): string | undefined {
    if (this.#state === 'leader') return undefined;
    if (this.#state === 'cannot-coordinate') return `cannot coordinate: ${this.#why}`;
    return this.#state === 'stopped' ? 'stopped' : 'follower: another watcher of this region leads';
  }

  /** Campaigns, leads, and campaigns again after a loss, until `signal` aborts. */
  async run(signal: AbortSignal, work: LeadWork): Promise<void> {
    while (!signal.aborted) {
      let leadership: Leadership;
      try {
        leadership = await this.#o.election.campaign(this.#o.candidate, { signal });
      } catch (error) {
        if (signal.aborted || code(error) === 'INTERRUPTED') break;
        this.#cannotCoordinate(error);
        await pause(this.#o.retryMs ?? 1000, signal);
        continue;
      }
      await this.#lead(leadership, signal, work);
    }
    this.#state = 'stopped';
  }

  async #lead(leadership: Leadership, signal: AbortSignal, work: LeadWork): Promise<void> {
    const now = this.#o.now ?? Date.now;
    const elected = now();
    if (this.#state === 'cannot-coordinate') this.#o.log({ msg: 'coordination restored: etcd answers again' });
    this.#state = 'leader';
    this.#o.observer?.coordinating(true);
    this.#o.observer?.leader(true);
    const { previous } = leadership;
    this.#o.log({
      msg: previous ? 'elected leader: taking over' : 'elected leader',
      leader: this.#o.candidate.id,
      waitedMs: leadership.waitedMs,
      ...(previous ? { previousLeader: previous.id } : {}),
    });
    const report = (resumed: number): void => {
      if (!previous) return;
      const seconds = (now() - elected) / 1000;
      this.#o.observer?.takeover(seconds);
      this.#o.log({ msg: 'takeover done', previousLeader: previous.id, resumedRuns: resumed, seconds });
    };
    try {
      await work(leadership, AbortSignal.any([signal, leadership.lost]), report);
    } finally {
      this.#o.observer?.leader(false);
    }
    if (signal.aborted && !leadership.lost.aborted) {
      await leadership.resign().catch(() => undefined);
      this.#o.log({ msg: 'resigned the leadership (stopping)' });
      return;
    }
    this.#lost(leadership.lost.reason);
  }

  #lost(reason: unknown): void {
    const leaseLost = code(reason) === 'COORDINATION_LEASE_LOST';
    this.#o.log({
      msg: leaseLost
        ? 'lost the leadership: cannot coordinate (no new fence or force-down; runs in flight follow the lease-loss rule)'
        : 'lost the leadership',
      level: 'warn',
      error: message(reason),
    });
    if (leaseLost) this.#cannotCoordinate(reason, false);
    else this.#state = 'campaigning';
  }

  #cannotCoordinate(error: unknown, log = true): void {
    const first = this.#state !== 'cannot-coordinate';
    this.#state = 'cannot-coordinate';
    this.#why = message(error);
    this.#o.observer?.coordinating(false);
    if (first && log)
      this.#o.log({
        msg: 'cannot coordinate: etcd unreachable or without quorum; acting on nothing until it answers',
        level: 'error',
        error: this.#why,
      });
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
