import { HostHold, assertNotHeldByOther, isHeldBy, reasonWithMarker } from '../../hostops/index.js';
import type { ComputeService } from '../../openstack/openstack.interface.js';
import type { StepContext } from '../step.interface.js';
import { computeService } from './services.js';

/** The holds of the latest runs of this process, by run id, then host (steps get per-step service views). */
const HOLDS = new Map<string, Map<string, HostHold>>();
/** Runs remembered at once (a long-lived process forgets the oldest). */
const RUNS_KEPT = 64;

/** This run's {@link HostHold} on `host` (Nova names the host; created on first use). */
export async function holdOf(context: StepContext, host: string): Promise<HostHold> {
  let holds = HOLDS.get(context.runId);
  if (holds === undefined) {
    HOLDS.set(context.runId, (holds = new Map<string, HostHold>()));
    if (HOLDS.size > RUNS_KEPT) HOLDS.delete(HOLDS.keys().next().value as string);
  }
  let hold = holds.get(host);
  if (hold === undefined) {
    const client = await context.services.openstack();
    holds.set(host, (hold = new HostHold(client.compute, host, context.runId)));
  }
  return hold;
}

/** Registers the release of this run's Nova marker at the end of the run (verifying the hold first). */
export function releaseMarkerAtRunEnd(context: StepContext, host: string): void {
  context.atRunEnd(`release the lock marker of ${host} in Nova`, async (signal) => {
    const client = await context.services.openstack();
    const hold = await holdOf(context, host);
    // the run's end: a hold lost since the last write fails the run (refused)
    const service = (await hold.verify({ signal })) ?? (await client.compute.findComputeService(host, { signal }));
    if (!isHeldBy(service, context.runId)) return;
    await client.compute.disableService(
      service,
      reasonWithMarker(service.disabledReason ?? '', context.runId, 'released'),
      {
        signal,
      },
    );
    hold.end();
  });
}

/**
 * The host's service for a step that may write Nova: refuses when another run holds it, fails
 * with `HOLD_LOST` when this run's hold is gone, and takes up a hold found in Nova (a resumed run).
 */
export async function heldService(context: StepContext, host: string): Promise<ComputeService> {
  const service = await computeService(context, host);
  const hold = await holdOf(context, service.host);
  hold.check(service);
  assertNotHeldByOther(service, context.runId, context.options.breakLock);
  if (!hold.held && isHeldBy(service, context.runId) && context.mode === 'run') {
    hold.observe(service);
    releaseMarkerAtRunEnd(context, service.host);
  }
  return service;
}
