/**
 * Nova's vocabulary as forcedown reads it: migration statuses and what they mean for an
 * evacuation, Nova's timestamps, the texts of Nova's failures that are worth retrying, and the
 * server states a rebuild goes through. Facts from nova/compute/api.py, nova/conductor/manager.py,
 * nova/compute/manager.py and nova/scheduler/client/report.py (Zed, the testbed's Nova 26).
 */
import type { MigrationStatus } from '../openstack.interface.js';

/** An evacuation Nova has accepted and not finished (`accepted` by the API, `pre-migrating` once the destination claimed). */
export const EVACUATION_IN_FLIGHT: ReadonlySet<MigrationStatus> = new Set([
  'accepted',
  'pre-migrating',
  'queued',
  'preparing',
  'running',
  'migrating',
  'post-migrating',
]);
/** An evacuation that succeeded: `done`, and `completed` once the source compute restarted and cleaned up. */
export const EVACUATION_SUCCEEDED: ReadonlySet<MigrationStatus> = new Set(['done', 'completed']);
/** An evacuation that failed: `error` (conductor/scheduler), `failed` (destination compute), `cancelled`. */
export const EVACUATION_FAILED: ReadonlySet<MigrationStatus> = new Set(['error', 'failed', 'cancelled']);

/** Every `migration.status` Nova writes (evacuation, cold/live migration, resize). */
export const MIGRATION_STATUSES: readonly MigrationStatus[] = [
  ...EVACUATION_IN_FLIGHT,
  'finished',
  'confirming',
  'confirmed',
  'reverting',
  'reverted',
  ...EVACUATION_SUCCEEDED,
  ...EVACUATION_FAILED,
];

/** task_states of a rebuild in progress (an evacuation Nova already accepted): `task_states.rebuild_states`. */
export const REBUILD_TASK_STATES: ReadonlySet<string> = new Set([
  'rebuilding',
  'rebuild_block_device_mapping',
  'rebuild_spawning',
]);

/** The vm_states Nova evacuates (`check_instance_state` on evacuate). */
export const EVACUABLE_VM_STATES: ReadonlySet<string> = new Set(['active', 'stopped', 'error']);

/** A status text from Nova, typed; one this version of forcedown does not know reads `unknown`. */
export function toMigrationStatus(text: string): MigrationStatus {
  return (MIGRATION_STATUSES as readonly string[]).includes(text) ? (text as MigrationStatus) : 'unknown';
}

/**
 * Milliseconds since the epoch of a Nova timestamp. Nova writes UTC without a zone
 * (`2026-11-25T11:03:17.000000`; migrations in whole seconds); 0 for an empty or unreadable one.
 */
export function parseNovaTime(text: string | null | undefined): number {
  if (!text) return 0;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? 0 : ms;
}

/** Why an evacuation failed, as far as Nova's fault text tells. */
export type EvacuationFailureCause =
  /** Placement: "another process changed the consumer ... during the claim" (AllocationUpdateFailed). */
  | 'placement-conflict'
  /** The scheduler found no host ("No valid host was found."). */
  | 'no-valid-host'
  /** Something else (the destination compute failed the rebuild...). */
  | 'other';

const PLACEMENT_CONFLICT =
  /another process changed the (consumer|resource providers)|consumer generation conflict|placement\.concurrent_update/i;
const NO_VALID_HOST = /No valid host was found/i;

/** The cause of a failed evacuation from the server's fault message (Nova has no error codes here). */
export function evacuationFailureCause(fault: string | undefined): EvacuationFailureCause {
  if (fault === undefined) return 'other';
  if (PLACEMENT_CONFLICT.test(fault)) return 'placement-conflict';
  if (NO_VALID_HOST.test(fault)) return 'no-valid-host';
  return 'other';
}

/**
 * A 409 on evacuate because of a concurrent task: `Cannot 'evacuate' instance X while it is in
 * task_state Y` (a user's reboot, a stop still being carried out...), or Nova's
 * UnexpectedTaskStateError ("Conflict updating instance").
 */
export function concurrentTaskOf(message: string): string | undefined {
  const state = /while it is in task_state (\S+)/.exec(message);
  if (state) return state[1];
  return /Conflict updating instance/.test(message) ? 'unknown' : undefined;
}
