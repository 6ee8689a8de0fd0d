/**
 * The plan of an evacuation: per server on the failed host, evacuate it, reset it first, follow an
 * evacuation already in progress, skip it (selection options) or report it as not evacuable.
 */
import type { EvacuateStep } from '../../generated/runbook.types.js';
import { EVACUABLE_VM_STATES, REBUILD_TASK_STATES } from '../../openstack/compute/vocabulary.js';
import type { OpenStackClient, Server } from '../../openstack/openstack.interface.js';
import type { Classified, RestoreTo } from './types.js';

/** The tag/metadata/extra-spec name that marks something evacuable (fence_evacuate, InstanceHA). */
export const EVACUABLE_TAG = 'evacuable';

function truthy(value: unknown): boolean {
  return typeof value === 'boolean' ? value : typeof value === 'string' && /^(true|yes|1)$/i.test(value.trim());
}

/**
 * The state a server should be left in after its evacuation: its state before, where Nova can
 * put it back (paused and suspended ones are paused/suspended again once ACTIVE on the new host).
 * Others Nova will not evacuate (rescued, resized, building...) are left in ERROR for their owner.
 */
export function restoreTarget(vmState: string): RestoreTo {
  switch (vmState) {
    case 'stopped':
    case 'error':
    case 'paused':
    case 'suspended':
      return vmState;
    case 'active':
      return 'active';
    default:
      return EVACUABLE_VM_STATES.has(vmState) ? 'active' : 'error';
  }
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

/** Sorts the servers on the failed host by what happens to them (names, then ids: a stable order). */
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
      const restoreTo = restoreTarget(server.vmState);
      out.resetThenEvacuate.push({
        server,
        action: 'reset-then-evacuate',
        restoreTo,
        note:
          restoreTo === 'error'
            ? `vm_state ${server.vmState}: reset to error, evacuate, leave in ERROR for its owner`
            : `vm_state ${server.vmState}: reset to error, evacuate, ${restoreTo === 'paused' ? 'pause' : 'suspend'} it again once ACTIVE`,
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

/** One line: what the plan does ("evacuate 12, skip 1"). */
export function describePlan(classified: Classified): string {
  const parts = [
    classified.evacuate.length ? `evacuate ${classified.evacuate.length}` : '',
    classified.resetThenEvacuate.length ? `reset to error and evacuate ${classified.resetThenEvacuate.length}` : '',
    classified.track.length ? `track ${classified.track.length} already being evacuated` : '',
    classified.skipped.length ? `skip ${classified.skipped.length}` : '',
    classified.failed.length ? `report ${classified.failed.length} Nova will not evacuate` : '',
  ].filter(Boolean);
  return parts.join(', ') || 'nothing to do';
}
