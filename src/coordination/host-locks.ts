import { hostname } from 'node:os';
import type { IKeyValue, Watcher } from 'etcd3';
import { refused } from '../errors/index.js';
import { coordinationError, type EtcdConnection } from './client.js';
import type {
  AcquireLocksOptions,
  BrokenLock,
  HeldLocks,
  HostLockProvider,
  LockHolder,
} from './host-lock.interface.js';
import { GuardedLease } from './lease.js';
import { isProcessAlive } from './process-alive.js';

/** The value of a host's key: the holder, and the lease (hex) it lives on. */
export interface EtcdLockValue extends LockHolder {
  readonly lease: string;
}

function parseHolder(kv: IKeyValue | undefined): EtcdLockValue | undefined {
  if (!kv) return undefined;
  try {
    return JSON.parse(kv.value.toString('utf8')) as EtcdLockValue;
  } catch {
    return { runId: '?', pid: 0, machine: '?', since: '?', lease: BigInt(kv.lease).toString(16) };
  }
}

/** A held key we may replace: a dead run of ours on this machine, or --break-lock. */
type Verdict = { take: false } | { take: true; broken: boolean };

function verdict(holder: EtcdLockValue, options: AcquireLocksOptions): Verdict {
  const ownDeadRun =
    holder.runId === options.runId &&
    holder.machine === hostname() &&
    (holder.pid === process.pid || (options.resume === true && !isProcessAlive(holder.pid)));
  if (ownDeadRun) return { take: true, broken: false };
  if (options.breakLock !== undefined) return { take: true, broken: true };
  return { take: false };
}

function lockedError(host: string, holder: EtcdLockValue, options: AcquireLocksOptions, ttl: number) {
  const sameRun = holder.runId === options.runId;
  return refused(
    'HOST_LOCKED',
    `host ${host} is locked in etcd by run ${holder.runId} (pid ${holder.pid} on ${holder.machine}, since ${holder.since})`,
    sameRun
      ? `that run is still alive somewhere (its lease is kept alive); if its process died, the lock goes within ${ttl} s: run \`forcedown resume ${holder.runId}\` again then`
      : `wait for run ${holder.runId} to finish (see \`forcedown runs --all-machines\`); only one run may act on a host at a time. If that machine is gone its lock expires within ${ttl} s; --break-lock "<why it is safe>" takes it over (recorded)`,
    { host, holder },
  );
}

/**
 * Host locks in etcd: `<prefix>/<region>/hosts/<host>`, all of a run's hosts taken in one
 * create-only transaction (all or none) on one lease of `leaseTtlSeconds` (default 10) kept alive
 * while the run lives. A dead holder's keys vanish with its lease, within the TTL.
 */
export class EtcdHostLocks implements HostLockProvider {
  readonly kind = 'etcd';
  readonly #etcd: EtcdConnection;

  constructor(connection: EtcdConnection) {
    this.#etcd = connection;
  }

  async holder(host: string): Promise<LockHolder | undefined> {
    try {
      const kv = (await this.#etcd.client.get(this.#etcd.keys.host(host)).exec()).kvs[0];
      return parseHolder(kv);
    } catch (error) {
      throw coordinationError(error, `reading the lock of ${host}`, this.#etcd.settings);
    }
  }

  async acquire(options: AcquireLocksOptions): Promise<HeldLocks> {
    const hosts = [...new Set(options.hosts)].sort();
    if (hosts.length === 0) return { hosts: [], broken: [], release: async () => undefined };
    const lease = await GuardedLease.grant(this.#etcd, this.#etcd.settings.leaseTtlSeconds, `run ${options.runId}`);
    try {
      const { broken, revision } = await this.#take(hosts, lease, options);
      const watch = await this.#watchKeys(hosts, lease, revision);
      return {
        hosts,
        broken,
        lost: AbortSignal.any([lease.signal, watch.signal]),
        release: async () => {
          await watch.cancel();
          await lease.revoke();
        },
      };
    } catch (error) {
      await lease.revoke();
      throw error;
    }
  }

  /**
   * Aborts when any of our keys is deleted or overwritten after `revision` (someone's
   * --break-lock, an operator's etcdctl del): then this run no longer holds the host.
   */
  async #watchKeys(hosts: readonly string[], lease: GuardedLease, revision: string) {
    const controller = new AbortController();
    const lostHost = (host: string, why: string): void => {
      if (controller.signal.aborted) return;
      controller.abort(
        refused(
          'COORDINATION_LOCK_LOST',
          `the etcd lock of host ${host} was ${why}`,
          'another run may act on it now. Stop before the next write; see `forcedown runs --all-machines`',
          { host },
        ),
      );
    };
    const watchers: Watcher[] = [];
    try {
      for (const host of hosts) {
        const watcher = await this.#etcd.client
          .watch()
          .key(this.#etcd.keys.host(host))
          .startRevision((BigInt(revision) + 1n).toString())
          .create();
        watcher.on('delete', () => lostHost(host, 'deleted'));
        watcher.on('put', (kv) => {
          if (kv.lease !== lease.id) lostHost(host, `taken over by ${parseHolder(kv)?.runId ?? 'another run'}`);
        });
        watchers.push(watcher);
      }
    } catch (error) {
      await Promise.all(watchers.map((watcher) => watcher.cancel().catch(() => undefined)));
      throw coordinationError(error, `watching the locks of ${hosts.join(', ')}`, this.#etcd.settings);
    }
    const cancel = async () => {
      await Promise.all(watchers.map((watcher) => watcher.cancel().catch(() => undefined)));
    };
    return { signal: controller.signal, cancel };
  }

  /** Up to a few rounds: create-only for free hosts, compare-and-swap over replaceable holders. */
  async #take(hosts: readonly string[], lease: GuardedLease, options: AcquireLocksOptions) {
    const broken: BrokenLock[] = [];
    for (let round = 0; round < 5; round += 1) {
      const current = await this.#tryCreate(hosts, lease, options);
      if (typeof current === 'string') return { broken, revision: current };
      const replace: { host: string; kv: IKeyValue }[] = [];
      for (const { host, kv } of current) {
        const holder = parseHolder(kv) as EtcdLockValue;
        const decision = verdict(holder, options);
        if (!decision.take) throw lockedError(host, holder, options, this.#etcd.settings.leaseTtlSeconds);
        if (decision.broken && !broken.some((b) => b.host === host)) broken.push({ host, previousHolder: holder });
        replace.push({ host, kv });
      }
      const revision = await this.#tryReplace(hosts, replace, lease, options);
      if (revision !== undefined) return { broken, revision };
    }
    throw coordinationError(
      new Error('the host keys kept changing under us'),
      `locking ${hosts.join(', ')}`,
      this.#etcd.settings,
    );
  }

  #value(lease: GuardedLease, options: AcquireLocksOptions): string {
    const value: EtcdLockValue = {
      runId: options.runId,
      pid: process.pid,
      machine: hostname(),
      since: new Date().toISOString(),
      lease: lease.hexId,
    };
    return JSON.stringify(value);
  }

  /** One transaction: if no host key exists, create them all on the lease (returns the revision); else read those that do. */
  async #tryCreate(hosts: readonly string[], lease: GuardedLease, options: AcquireLocksOptions) {
    const { client, keys } = this.#etcd;
    const value = this.#value(lease, options);
    const [first, ...rest] = hosts.map((host) => keys.host(host));
    let txn = client.if(first, 'Create', '==', 0);
    for (const key of rest) txn = txn.and(key, 'Create', '==', 0);
    try {
      const result = await txn
        .then(...hosts.map((host) => client.put(keys.host(host)).value(value).lease(lease.id)))
        .else(...hosts.map((host) => client.get(keys.host(host))))
        .commit();
      if (result.succeeded) return result.header.revision;
      return result.responses
        .map((response, index) => ({ host: hosts[index], kv: response.response_range?.kvs[0] }))
        .filter((entry): entry is { host: string; kv: IKeyValue } => entry.kv !== undefined);
    } catch (error) {
      throw coordinationError(error, `locking ${hosts.join(', ')}`, this.#etcd.settings);
    }
  }

  /** Replaces the held keys that are still exactly as read, and creates the free ones, atomically. */
  async #tryReplace(
    hosts: readonly string[],
    replace: readonly { host: string; kv: IKeyValue }[],
    lease: GuardedLease,
    options: AcquireLocksOptions,
  ): Promise<string | undefined> {
    const { client, keys } = this.#etcd;
    const revisions = new Map(replace.map(({ host, kv }) => [host, kv.mod_revision]));
    const [first, ...rest] = hosts;
    const compare = (host: string) =>
      [keys.host(host), revisions.has(host) ? 'Mod' : 'Create', '==', revisions.get(host) ?? 0] as const;
    let txn = client.if(...compare(first));
    for (const host of rest) txn = txn.and(...compare(host));
    const value = this.#value(lease, options);
    try {
      const result = await txn
        .then(...hosts.map((host) => client.put(keys.host(host)).value(value).lease(lease.id)))
        .commit();
      return result.succeeded ? result.header.revision : undefined;
    } catch (error) {
      throw coordinationError(error, `taking over the lock of ${hosts.join(', ')}`, this.#etcd.settings);
    }
  }

  /**
   * `--break-lock` without a run: deletes a host's key whatever holds it and returns the
   * previous holder (for the journal), or undefined when it was free.
   */
  async breakLock(host: string): Promise<LockHolder | undefined> {
    try {
      const previous = await this.#etcd.client.delete().key(this.#etcd.keys.host(host)).getPrevious();
      return parseHolder(previous[0]);
    } catch (error) {
      throw coordinationError(error, `breaking the lock of ${host}`, this.#etcd.settings);
    }
  }
}
