import type { EvacuateStep } from '../../generated/runbook.types.js';
import type { OpenStackClient, Server } from '../../openstack/openstack.interface.js';

/** The vm_states Nova evacuates (`check_instance_state` on evacuate). */
export const EVACUABLE_VM_STATES: ReadonlySet<string> = new Set(['active', 'stopped', 'error']);
/** task_states of a rebuild in progress (an evacuation Nova already accepted). */
export const REBUILD_TASK_STATES: ReadonlySet<string> = new Set([
  'rebuilding',
  'rebuild_block_device_mapping',
  'rebuild_spawning',
]);
/** The tag/metadata/extra-spec name that marks something evacuable (fence_evacuate, InstanceHA). */
export const EVACUABLE_TAG = 'evacuable';

/** A server to evacuate (or to follow). */
export interface ServerPlan {
  readonly server: Server;
  readonly action: 'evacuate' | 'reset-then-evacuate' | 'track';
  /** The state the server must be in after the evacuation. */
  readonly restoreTo: 'active' | 'stopped' | 'error';
  /** Why/how, for plans and logs. */
  readonly note: string;
}

/** A server left alone, with the reason. */
export interface ServerVerdict {
  readonly server: Server;
  readonly outcome: 'skipped' | 'failed';
  readonly reason: string;
}

/** Servers on a host, sorted by what happens to them. */
export interface Classified {
  readonly evacuate: ServerPlan[];
  readonly resetThenEvacuate: ServerPlan[];
  readonly track: ServerPlan[];
  readonly skipped: ServerVerdict[];
  readonly failed: ServerVerdict[];
}

function truthy(value: unknown): boolean {
  return typeof value === 'boolean' ? value : typeof value === 'string' && /^(true|yes|1)$/i.test(value.trim());
}

/** The state a server should be left in after its evacuation. */
export function restoreTarget(vmState: string): 'active' | 'stopped' | 'error' {
  return vmState === 'stopped' ? 'stopped' : vmState === 'error' ? 'error' : 'active';
}

async function taggedEvacuable(
  server: Server,
  client: OpenStackClient,
  images: Map<string, Promise<boolean>>,
  signal: AbortSignal,
): Promise<boolean> {
  if (
    server.tags.includes(EVACUABLE_TAG) ||
    truthy(server.metadata[EVACUABLE_TAG]) ||
    truthy(server.flavor.extraSpecs[EVACUABLE_TAG])
  )
    return true;
  if (server.imageId) {
    let tagged = images.get(server.imageId);
    if (!tagged) {
      tagged = client.image
        .getImage(server.imageId, { signal })
        .then((image) => image.tags.includes(EVACUABLE_TAG) || truthy(image.properties[EVACUABLE_TAG]))
        .catch(() => false);
      images.set(server.imageId, tagged);
    }
    return tagged;
  }
  return false;
}

/**
 * Decides, per server on the failed host, whether to evacuate it, reset it first, follow an
 * evacuation already in progress, skip it (selection options) or report it as not evacuable.
 */
export async function classifyServers(
  servers: readonly Server[],
  step: EvacuateStep,
  client: OpenStackClient,
  signal: AbortSignal,
): Promise<Classified> {
  const out: Classified = { evacuate: [], resetThenEvacuate: [], track: [], skipped: [], failed: [] };
  const skipPattern = step.skipNamePattern ? new RegExp(step.skipNamePattern, 'u') : undefined;
  const images = new Map<string, Promise<boolean>>();
  for (const server of [...servers].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))) {
    if (skipPattern?.test(server.name)) {
      out.skipped.push({ server, outcome: 'skipped', reason: `name matches skipNamePattern ${step.skipNamePattern}` });
      continue;
    }
    if (step.onlyTagged === true && !(await taggedEvacuable(server, client, images, signal))) {
      out.skipped.push({
        server,
        outcome: 'skipped',
        reason: `not marked "${EVACUABLE_TAG}" (server tag or metadata, flavor extra spec, image tag or property) and onlyTagged is set`,
      });
      continue;
    }
    if (server.vmState === 'error' && step.skipError === true) {
      out.skipped.push({ server, outcome: 'skipped', reason: 'in ERROR and skipError is set' });
      continue;
    }
    if (server.taskState !== null && REBUILD_TASK_STATES.has(server.taskState)) {
      out.track.push({
        server,
        action: 'track',
        restoreTo: restoreTarget(server.vmState),
        note: `already being rebuilt (task_state ${server.taskState}): follow it, do not re-send`,
      });
      continue;
    }
    if (EVACUABLE_VM_STATES.has(server.vmState)) {
      out.evacuate.push({
        server,
        action: 'evacuate',
        restoreTo: restoreTarget(server.vmState),
        note:
          server.vmState === 'stopped'
            ? 'evacuate; stays SHUTOFF'
            : server.vmState === 'error'
              ? 'evacuate; put back in ERROR after'
              : 'evacuate',
      });
      continue;
    }
    if (step.resetNonEvacuable === true) {
      out.resetThenEvacuate.push({
        server,
        action: 'reset-then-evacuate',
        restoreTo: 'error',
        note: `vm_state ${server.vmState}: reset to error, evacuate, leave in ERROR for its owner`,
      });
      continue;
    }
    out.failed.push({
      server,
      outcome: 'failed',
      reason: `vm_state ${server.vmState}: Nova will not evacuate it (set resetNonEvacuable to reset it to error and evacuate it)`,
    });
  }
  return out;
}
