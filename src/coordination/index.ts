/**
 * Coordination across machines on etcd (issue 14): host locks on a lease, the run journal
 * mirrored for resume from any machine, leader election of a region's watchers. Layer: beside
 * openstack/fencing; imports only errors, secrets, validation and generated types. Without a
 * configuration (`coordinationSettings` returns undefined) nothing here is used and the local
 * lock file stays the lock.
 */
export { connectEtcd, coordinationError, type EtcdConnection } from './client.js';
export {
  DEFAULT_LEASE_TTL_SECONDS,
  DEFAULT_PREFIX,
  DEFAULT_REGION,
  DEFAULT_TIMEOUT_SECONDS,
  ETCD_ENV,
  MAX_ENDPOINTS,
  coordinationSettings,
  parseEndpointList,
  type CoordinationSettings,
  type CoordinationSources,
} from './config.js';
export { loadCredentials, type EtcdCredentials } from './credentials.js';
export { RegionElection, type Candidate, type LeaderInfo, type Leadership } from './election.js';
export type {
  AcquireLocksOptions,
  BrokenLock,
  HeldLocks,
  HostLockProvider,
  LockHolder,
} from './host-lock.interface.js';
export { EtcdHostLocks, type EtcdLockValue } from './host-locks.js';
export {
  MIRROR_LIMITS,
  RunMirror,
  listMirroredRuns,
  readRunMirror,
  type MirroredEvent,
  type MirroredRun,
  type RunMirrorMeta,
} from './journal-mirror.js';
export { KeyLayout } from './keys.js';
export { GuardedLease, safetyMarginMs } from './lease.js';
export { openCoordination, type Coordinator } from './coordinator.js';
export { isProcessAlive } from './process-alive.js';
