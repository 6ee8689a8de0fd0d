/**
 * Leader election of the watchers of one region: etcd's own algorithm (the Go client's
 * `concurrency/election.go`, which etcd3's `Election` follows too): each candidate puts
 * `<prefix>/<region>/election/<lease-id hex>` on its lease; the key with the lowest create
 * revision is the leader; a candidate waits for the deletion of the key created just before its
 * own. It runs here over forcedown's `GuardedLease` rather than etcd3's `Campaign`, whose lease is
 * private and reported lost only after twice its TTL: a leader must know it lost leadership before
 * a follower can be elected, not after.
 */
import { performance } from 'node:perf_hooks';
import { hostname } from 'node:os';
import type { IKeyValue, Watcher } from 'etcd3';
import { interrupted } from '../errors/index.js';
import { coordinationError, type EtcdConnection } from './client.js';
import { GuardedLease } from './lease.js';

/** What a candidate's key holds. */
export interface Candidate {
  /** The watcher's id (e.g. `<machine>:<pid>`, or its configured name). */
  readonly id: string;
  readonly machine: string;
  readonly pid: number;
  /** ISO time it started campaigning. */
  readonly since: string;
}

/** The current leader as read from etcd. */
export interface LeaderInfo extends Candidate {
  readonly key: string;
}

/** Held leadership. */
export interface Leadership {
  readonly candidate: Candidate;
  readonly key: string;
  /** Aborts when leadership is lost (lease lost or about to expire, or the key deleted); reason: refused error. */
  readonly lost: AbortSignal;
  /** Milliseconds from `campaign()` to elected (the takeover time when a leader died). */
  readonly waitedMs: number;
  /** The leader this candidate waited for last, if any (whose work a new leader takes over). */
  readonly previous?: LeaderInfo;
  /** Steps down: revokes the lease, so the next candidate is elected at once. */
  resign(): Promise<void>;
}

function parseCandidate(kv: IKeyValue): LeaderInfo {
  try {
    return { ...(JSON.parse(kv.value.toString('utf8')) as Candidate), key: kv.key.toString('utf8') };
  } catch {
    return { id: '?', machine: '?', pid: 0, since: '?', key: kv.key.toString('utf8') };
  }
}

/** Elections among the watchers of the connection's region. */
export class RegionElection {
  readonly #etcd: EtcdConnection;

  constructor(connection: EtcdConnection) {
    this.#etcd = connection;
  }

  /** A candidate description for this process. */
  static self(id = `${hostname()}:${process.pid}`): Candidate {
    return { id, machine: hostname(), pid: process.pid, since: new Date().toISOString() };
  }

  /** The leader now (the oldest candidate), if any. */
  async leader(): Promise<LeaderInfo | undefined> {
    const { client, keys } = this.#etcd;
    try {
      const result = await client.getAll().prefix(keys.electionPrefix).sort('Create', 'Ascend').limit(1).exec();
      return result.kvs[0] ? parseCandidate(result.kvs[0]) : undefined;
    } catch (error) {
      throw coordinationError(error, 'reading the leader', this.#etcd.settings);
    }
  }

  /**
   * Campaigns until elected; resolves with the leadership. Rejects when `signal` aborts
   * (interrupted, exit 130; the candidacy is withdrawn) or the lease is lost while waiting.
   */
  async campaign(candidate: Candidate, options: { readonly signal?: AbortSignal } = {}): Promise<Leadership> {
    const started = performance.now();
    const { settings } = this.#etcd;
    const lease = await GuardedLease.grant(this.#etcd, settings.leaseTtlSeconds, `the leadership of ${candidate.id}`);
    const key = `${this.#etcd.keys.electionPrefix}${lease.hexId}`;
    try {
      const revision = await this.#enter(key, candidate, lease);
      const previous = await this.#waitForTurn(revision, lease, options.signal);
      const own = await this.#deletion(key);
      return {
        candidate,
        key,
        lost: AbortSignal.any([lease.signal, own.signal]),
        waitedMs: Math.round(performance.now() - started),
        ...(previous ? { previous } : {}),
        resign: async () => {
          await own.cancel();
          await lease.revoke();
        },
      };
    } catch (error) {
      await lease.revoke();
      throw error;
    }
  }

  /** Puts the candidate's key on its lease; returns its create revision. */
  async #enter(key: string, candidate: Candidate, lease: GuardedLease): Promise<string> {
    const { client } = this.#etcd;
    try {
      const result = await client
        .if(key, 'Create', '==', 0)
        .then(client.put(key).value(JSON.stringify(candidate)).lease(lease.id))
        .else(client.get(key))
        .commit();
      return result.succeeded
        ? result.header.revision
        : (result.responses[0]?.response_range?.kvs[0]?.create_revision ?? result.header.revision);
    } catch (error) {
      throw coordinationError(error, `campaigning as ${candidate.id}`, this.#etcd.settings);
    }
  }

  /** Waits until no key created before ours is left; returns the last one waited for. */
  async #waitForTurn(revision: string, lease: GuardedLease, signal?: AbortSignal): Promise<LeaderInfo | undefined> {
    const { client, keys } = this.#etcd;
    let previous: LeaderInfo | undefined;
    for (;;) {
      let older;
      try {
        older = await client
          .getAll()
          .prefix(keys.electionPrefix)
          .maxCreateRevision((BigInt(revision) - 1n).toString())
          .sort('Create', 'Descend')
          .limit(1)
          .exec();
      } catch (error) {
        throw coordinationError(error, 'waiting for the leadership', this.#etcd.settings);
      }
      const kv = older.kvs[0];
      if (!kv) return previous;
      previous = parseCandidate(kv);
      await this.#untilDeleted(kv.key.toString('utf8'), older.header.revision, lease, signal);
    }
  }

  /** Resolves when `key` is deleted after `revision`; rejects when the lease is lost or `signal` aborts. */
  async #untilDeleted(key: string, revision: string, lease: GuardedLease, signal?: AbortSignal): Promise<void> {
    const deleted = await this.#deletion(key, revision);
    const stop = AbortSignal.any([deleted.signal, lease.signal, ...(signal ? [signal] : [])]);
    if (!stop.aborted) await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
    await deleted.cancel();
    if (lease.signal.aborted) throw lease.signal.reason as Error;
    if (signal?.aborted)
      throw interrupted('INTERRUPTED', 'the campaign for leadership was cancelled', 'start the watcher again', {});
  }

  /** A signal that aborts when `key` is deleted (watching from `revision`, else now), and how to stop watching. */
  async #deletion(key: string, revision?: string): Promise<{ signal: AbortSignal; cancel(): Promise<void> }> {
    const controller = new AbortController();
    let watcher: Watcher;
    try {
      let builder = this.#etcd.client.watch().key(key);
      if (revision !== undefined) builder = builder.startRevision((BigInt(revision) + 1n).toString());
      watcher = await builder.create();
      watcher.on('delete', () => {
        controller.abort(
          coordinationError(new Error(`${key} was deleted`), 'holding the leadership', this.#etcd.settings),
        );
        void watcher.cancel();
      });
      const exists = await this.#etcd.client.get(key).exists();
      if (!exists && !controller.signal.aborted) {
        controller.abort(coordinationError(new Error(`${key} is gone`), 'holding the leadership', this.#etcd.settings));
        void watcher.cancel();
      }
    } catch (error) {
      throw coordinationError(error, `watching ${key}`, this.#etcd.settings);
    }
    return { signal: controller.signal, cancel: () => watcher.cancel().catch(() => undefined) };
  }

  /**
   * Calls `onChange` with the leader now and after every change (undefined: no leader), until
   * `close()`. For followers, metrics and `/readyz`.
   */
  async observe(onChange: (leader: LeaderInfo | undefined) => void): Promise<{ close(): Promise<void> }> {
    let current: string | undefined = 'unset';
    const report = async (): Promise<void> => {
      const leader = await this.leader().catch(() => undefined);
      const id = leader ? `${leader.key}` : undefined;
      if (id !== current) {
        current = id;
        onChange(leader);
      }
    };
    let watcher;
    try {
      watcher = await this.#etcd.client.watch().prefix(this.#etcd.keys.electionPrefix).create();
    } catch (error) {
      throw coordinationError(error, 'observing the election', this.#etcd.settings);
    }
    watcher.on('data', () => void report());
    watcher.on('connected', () => void report());
    await report();
    return { close: () => watcher.cancel() };
  }
}
