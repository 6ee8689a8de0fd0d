/**
 * The state of one evacuation while it runs: what is queued, what is in flight in Nova, what is
 * finished, which locks this run holds, and Nova's largest migration id seen so far. The engine's
 * parts (resume, send, poll, restore) share it; every change that matters after a crash is
 * journaled here, before it is acted on.
 */
import { OpenStackApiError } from '../../openstack/errors.js';
import type { MigrationStatus, Server } from '../../openstack/openstack.interface.js';
import { AdaptiveConcurrency } from './concurrency.js';
import type { RequestFloor } from './matching.js';
import type { EvacuationPorts, EvacuationResult, EvacuationSettings, ServerPlan } from './types.js';

/** A request to send: a first one, a retry, or one Nova did not accept. */
export interface Pending {
  readonly plan: ServerPlan;
  /** 1-based; every request Nova accepted (or may have) counts. */
  attempt: number;
  /** Failures so far that count against `retries`. */
  failures: number;
  /** Transient failures so far (their backoff grows). */
  transients: number;
  /** Local time of the first request of this server (serverTimeout runs from it). */
  firstSentAt: number | undefined;
  /** The failed attempt's record id: a retry's record is larger. */
  afterId: number | undefined;
  /** Not before this local time (backoff). */
  readyAt: number;
  /** POSTs that failed in transit and were not accepted. */
  sendFailures: number;
  /** The reset to error (reset-then-evacuate) was done. */
  resetDone: boolean;
  /**
   * A request of a stopped run that Nova had no record of: before sending again, look once more
   * for a record of it (it may have landed late), recognised by this floor.
   */
  recheck?: { readonly floor: RequestFloor; readonly requestedAt: number };
}

/** An evacuation Nova accepted (or may have), followed until it is confirmed. */
export interface Flight extends Pending {
  readonly sentAt: number;
  readonly floor: RequestFloor;
  /** Its record, once seen. */
  migrationId: number | undefined;
  lastStatus: MigrationStatus | 'sent' | 'rebuilding';
  /** A power-state restore sent (start, stop, pause, suspend). */
  restoring: 'start' | 'stop' | 'pause' | 'suspend' | undefined;
  /** A note for the result (a restore that could not be done). */
  note: string | undefined;
}

/** Evacuate POSTs that fail in transit, per server, before the engine gives up. */
export const MAX_SEND_FAILURES = 5;

/** Shared state of one evacuation. */
export class EvacuationState {
  readonly settings: EvacuationSettings;
  readonly ports: EvacuationPorts;
  readonly startedAt = Date.now();
  readonly queue: Pending[] = [];
  readonly flights = new Map<string, Flight>();
  readonly results = new Map<string, EvacuationResult>();
  /** Servers this run locked (journaled `server.locking`), with the reason. */
  readonly locks = new Map<string, string>();
  readonly concurrency: AdaptiveConcurrency;
  /** The largest migration id seen: a record of any later request is larger. */
  knownMaxId: number | undefined;
  /** The largest migration id when this attempt first looked at Nova's records. */
  firstLookMaxId: number | undefined;
  /** `changes-since` of the polls (Nova time, ISO). */
  pollSince = '';
  /**
   * Servers read ahead of their first request (a poll reads the ones its refill will lock
   * together with the ones it confirms), with the local time of the read: see `lockBeforeSend`.
   */
  readonly freshReads = new Map<string, { readonly server: Server; readonly at: number }>();
  /** The hold check of the current batch of writes, shared by every write of the batch. */
  #holdCheck: Promise<void> | undefined;

  constructor(settings: EvacuationSettings, ports: EvacuationPorts) {
    this.settings = settings;
    this.ports = ports;
    this.concurrency = new AdaptiveConcurrency(settings.concurrency);
  }

  get host(): string {
    return this.settings.host;
  }

  get lockReason(): string {
    return `forcedown run ${this.settings.runId}: evacuating from ${this.settings.host}`;
  }

  random(): number {
    return this.ports.random?.() ?? Math.random();
  }

  /** Notes migration ids seen. */
  saw(ids: Iterable<number>): void {
    for (const id of ids) if (this.knownMaxId === undefined || id > this.knownMaxId) this.knownMaxId = id;
  }

  record(kind: string, data: Readonly<Record<string, unknown>>): Promise<void> {
    return this.ports.journal.record(kind, data);
  }

  /**
   * Before a batch of Nova writes: `beforeWrite` once per batch (see {@link startBatch}); every
   * write of the batch waits for that one check, also the writes that started while it ran.
   */
  beforeWrite(): Promise<void> {
    this.#holdCheck ??= Promise.resolve(this.ports.beforeWrite?.(this.ports.signal));
    return this.#holdCheck;
  }

  /** A new batch of writes begins (the next write calls `beforeWrite` again). */
  startBatch(): void {
    this.#holdCheck = undefined;
  }

  /** The first `count` queued requests that are due (not backing off), in queue order: what a refill sends. */
  due(count: number, now = Date.now()): Pending[] {
    return this.queue.filter((pending) => pending.readyAt <= now).slice(0, Math.max(0, count));
  }

  /** A pending request for `plan` (attempt 1, nothing known yet). */
  pending(plan: ServerPlan, overrides: Partial<Pending> = {}): Pending {
    return {
      plan,
      attempt: 1,
      failures: 0,
      transients: 0,
      firstSentAt: undefined,
      afterId: undefined,
      readyAt: 0,
      sendFailures: 0,
      resetDone: false,
      ...overrides,
    };
  }

  /** A flight for a request sent (or found in Nova) at `sentAt`. */
  fly(
    pending: Pending,
    sentAt: number,
    floor: RequestFloor,
    migrationId?: number,
    status?: Flight['lastStatus'],
  ): Flight {
    const flight: Flight = {
      ...pending,
      firstSentAt: pending.firstSentAt ?? sentAt,
      sentAt,
      floor,
      migrationId,
      lastStatus: status ?? 'sent',
      restoring: undefined,
      note: undefined,
    };
    this.flights.set(pending.plan.server.id, flight);
    this.concurrency.inFlight(this.flights.size);
    return flight;
  }

  /** Ends a server's evacuation: unlocks it when this run locked it, journals and keeps the result. */
  async finish(result: EvacuationResult, attempts: number | undefined, now?: Server): Promise<void> {
    this.flights.delete(result.id);
    if (this.locks.has(result.id)) await this.unlock(result.id, now);
    this.results.set(result.id, result);
    await this.record('evacuation.finished', {
      serverId: result.id,
      name: result.name,
      result: result.result,
      reason: result.reason ?? '',
      toHost: result.toHost ?? null,
      migrationId: result.migrationId ?? null,
      attempts: attempts ?? null,
    });
    if (result.result !== 'evacuated') return;
    const change = this.concurrency.success();
    if (change !== undefined)
      await this.record('evacuation.concurrency', { ...change, reason: 'evacuations confirmed' });
  }

  /** A transient conflict of a request sent at `sentAt`: fewer in flight (journaled). */
  async conflict(sentAt: number): Promise<void> {
    const change = this.concurrency.conflict(sentAt, Date.now());
    if (change === undefined) return;
    this.ports.output(`Nova reports conflicts: at most ${change.to} evacuations in flight now (was ${change.from})`);
    await this.record('evacuation.concurrency', { ...change, reason: 'transient conflicts in Nova' });
  }

  /**
   * Unlocks a server this run locked, unless someone else holds the lock now (another reason at
   * 2.73+). `now` is the server as last read, if fresh; else it is read.
   */
  async unlock(serverId: string, now?: Server): Promise<void> {
    const reason = this.locks.get(serverId);
    this.locks.delete(serverId);
    let server = now;
    try {
      server ??= await this.ports.compute.getServer(serverId, { signal: this.ports.signal });
    } catch (error) {
      if (error instanceof OpenStackApiError && error.isNotFound) return;
      throw error;
    }
    if (server.locked === false) {
      // lifted meanwhile, or the lock call never went out (a crash right after journaling it)
      await this.record('server.unlocked', { serverId, alreadyUnlocked: true });
      return;
    }
    // at 2.73+ Nova shows the reason: ours, or someone else's lock (never ours to lift)
    if (server.lockedReason !== undefined && server.lockedReason !== reason) {
      this.ports.output(`${server.name}: locked by someone else meanwhile ("${server.lockedReason}"); left locked`);
      return;
    }
    await this.beforeWrite();
    await this.ports.compute.unlockServer(serverId, { signal: this.ports.signal });
    await this.record('server.unlocked', { serverId });
  }
}
