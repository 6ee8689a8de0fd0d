/**
 * One run per host: the lock interface both lock providers satisfy, the embedded default (the
 * local lock file, `src/runner/locks.ts`: `acquireRunLocks` + `readLock`) and etcd
 * (`EtcdHostLocks`). The runner picks one by configuration and treats them alike; only etcd's
 * locks can be *lost* (their lease), which `lost` reports.
 */

/** Who holds a host's lock (the value of the lock file / etcd key). */
export interface LockHolder {
  readonly runId: string;
  readonly pid: number;
  readonly machine: string;
  /** ISO time the lock was taken. */
  readonly since: string;
}

/** A lock taken over with --break-lock, for the journal. */
export interface BrokenLock {
  readonly host: string;
  readonly previousHolder: LockHolder;
}

/** The locks a run holds. */
export interface HeldLocks {
  readonly hosts: readonly string[];
  /** Locks taken over with --break-lock (to be recorded in the journal). */
  readonly broken: readonly BrokenLock[];
  release(why: 'finished' | 'stopped'): Promise<void>;
  /**
   * Aborts when the locks may no longer be held (etcd: the lease is lost, or about to expire).
   * `lost.reason` is a refused ForcedownError (exit 3, `COORDINATION_LEASE_LOST`). Absent for the
   * local lock file, which is never lost while its process lives. The rule (README): a run that
   * has not confirmed fence + force-down stops before its next BMC or Nova write once this
   * aborted (`locks.lost?.throwIfAborted()`); a run past force-down may finish its evacuations.
   */
  readonly lost?: AbortSignal;
}

/** What a run asks for. */
export interface AcquireLocksOptions {
  readonly runId: string;
  readonly hosts: readonly string[];
  /** --break-lock REASON: take over locks held by other runs (recorded as `broken`). */
  readonly breakLock?: string;
  /** `forcedown resume`: the run may take over its own lock. */
  readonly resume?: boolean;
}

/** A source of host locks. */
export interface HostLockProvider {
  /** `local` (lock files in the state dir) or `etcd`. */
  readonly kind: 'local' | 'etcd';
  /**
   * Takes the lock of every host, all or none. A host held by another run is refused (exit 3,
   * `HOST_LOCKED`, naming the holder in message and details) unless `breakLock` is given.
   */
  acquire(options: AcquireLocksOptions): Promise<HeldLocks>;
  /** Who holds a host's lock now, if anyone. */
  holder(host: string): Promise<LockHolder | undefined>;
}
