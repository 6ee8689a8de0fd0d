import { connectEtcd, type EtcdConnection } from './client.js';
import type { CoordinationSettings } from './config.js';
import { loadCredentials } from './credentials.js';
import { RegionElection } from './election.js';
import { EtcdHostLocks } from './host-locks.js';
import { RunMirror, listMirroredRuns, readRunMirror, type MirroredRun, type RunMirrorMeta } from './journal-mirror.js';

/** Everything coordination offers, on one etcd connection: what the composition root builds and hands down. */
export interface Coordinator {
  readonly settings: CoordinationSettings;
  readonly connection: EtcdConnection;
  /** Host locks (a HostLockProvider). */
  readonly locks: EtcdHostLocks;
  /** The region's watcher election. */
  readonly election: RegionElection;
  /** Opens (or reopens, on resume) the mirror of a run's journal. */
  mirror(runId: string): Promise<RunMirror>;
  readRun(runId: string): Promise<MirroredRun>;
  listRuns(): Promise<RunMirrorMeta[]>;
  /** Closes the client (leases not revoked expire after their TTL). */
  close(): void;
}

/**
 * Reads the credentials the settings name (TLS files, password; registered as secrets) and
 * opens the client. Connecting is lazy: the first request reports an unreachable cluster.
 */
export async function openCoordination(
  settings: CoordinationSettings,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Coordinator> {
  const connection = connectEtcd(settings, await loadCredentials(settings, env));
  return {
    settings,
    connection,
    locks: new EtcdHostLocks(connection),
    election: new RegionElection(connection),
    mirror: (runId) => RunMirror.open(connection, runId),
    readRun: (runId) => readRunMirror(connection, runId),
    listRuns: () => listMirroredRuns(connection),
    close: () => connection.close(),
  };
}
