import { operationFailed } from '../errors/index.js';
import type { ForceDownStep } from '../generated/runbook.types.js';
import type { ComputeService } from '../openstack/openstack.interface.js';
import type { StepContext, StepModule } from './step.interface.js';
import { assertNotHeldByOther, describeService, markerHolder, reasonWithMarker } from '../hostops/index.js';
import { heldService, holdOf, releaseMarkerAtRunEnd } from './support/holds.js';
import { computeService } from './support/services.js';

function outputsOf(service: ComputeService): Record<string, unknown> {
  return {
    serviceId: service.id,
    state: service.state,
    forcedDown: service.forcedDown,
    status: service.status,
    disabledReason: service.disabledReason,
  };
}

/** The disabled reason this run writes: the runbook's text, how the fence is known, the run marker. */
function reasonFor(s: ForceDownStep, context: StepContext, basis: string): string {
  return reasonWithMarker(`${s.disabledReason ?? 'host fenced and forced down'} (${basis})`, context.runId);
}

export { releaseMarkerAtRunEnd } from './support/holds.js';

/**
 * `force-down`: mark the host's nova-compute forced down in Nova so evacuation can start now,
 * then disable it with a reason carrying the run marker (force-down first: disabling a service
 * Nova still thinks is up makes an RPC to the dead compute). Refuses (exit 3) unless the run
 * confirmed a fence of the host or the operator asserted one with --assume-fenced.
 */
export const step: StepModule<ForceDownStep> = {
  type: 'force-down',
  defaultTimeoutMs: 60_000,
  needs: ['openstack'],
  title: (s) => `force down ${s.host}`,
  hosts: (s) => [s.host],
  async check(s, context) {
    // this run may hold the host already (resumed after a crash): then its marker is released at the end
    const service = await heldService(context, s.host);
    const disable = s.disable !== false;
    const done = service.forcedDown && service.state === 'down' && (!disable || service.status === 'disabled');
    if (done)
      return { needed: false, summary: `${describeService(service)}: nothing to do`, outputs: outputsOf(service) };
    const basis = context.safety.requireFenced(s.host, 'force down');
    const how =
      basis.kind === 'confirmed'
        ? `fence ${basis.evidence.planned ? 'expected from' : 'confirmed by'} step "${basis.evidence.stepId}" via ${basis.evidence.target}`
        : `--assume-fenced: ${basis.reason}`;
    return {
      needed: true,
      summary: `${describeService(service)}; would ${service.forcedDown ? '' : 'force it down'}${!service.forcedDown && disable && service.status !== 'disabled' ? ' and ' : ''}${disable && service.status !== 'disabled' ? 'disable it' : ''} (${how})`,
      outputs: {
        ...outputsOf(service),
        forcedDown: true,
        state: 'down',
        status: disable ? 'disabled' : service.status,
      },
      state: { service, basis, readAt: Date.now() },
    };
  },
  async apply(s, context, check) {
    const {
      basis,
      service: checked,
      readAt,
    } = check.state as {
      service: ComputeService;
      basis: ReturnType<StepContext['safety']['requireFenced']>;
      readAt: number;
    };
    const client = await context.services.openstack();
    // the check has just read the service (and checked the lock marker): act on that read unless
    // it is stale, so that forcing the host down costs one API call; the result is read back below
    let service = Date.now() - readAt < 2000 ? checked : await heldService(context, s.host);
    const hold = await holdOf(context, service.host);
    service = (await hold.verify({ signal: context.signal })) ?? service;
    const basisText =
      basis.kind === 'confirmed'
        ? `power-off read back ${basis.evidence.confirmedAt}`
        : `assumed fenced: ${basis.reason}`;
    if (!service.forcedDown) {
      service = await client.compute.setForcedDown(service, true, { signal: context.signal });
      // Nova's answer is the service as it is now: the lock marker is checked again on it
      assertNotHeldByOther(service, context.runId, context.options.breakLock);
      context.output(`forced_down set on ${s.host} (microversion ${client.compute.servicesMicroversion})`);
    }
    if (
      s.disable !== false &&
      (service.status !== 'disabled' || !service.disabledReason?.includes(`[forcedown:${context.runId}]`))
    ) {
      const previousHolder = markerHolder(service.disabledReason);
      if (previousHolder && previousHolder !== context.runId) {
        await context.progress('lock.broken', {
          host: s.host,
          previousHolder,
          reason: context.options.breakLock ?? '',
        });
      }
      await hold.verify({ signal: context.signal });
      await client.compute.disableService(service, reasonFor(s, context, basisText), { signal: context.signal });
      releaseMarkerAtRunEnd(context, service.host);
    }
    // confirm by reading back
    service = await computeService(context, s.host);
    hold.observe(service);
    if (!service.forcedDown || service.state !== 'down') {
      throw operationFailed(
        'FORCE_DOWN_NOT_CONFIRMED',
        `Nova does not report ${s.host} down after forcing it down (${describeService(service)})`,
        "check nova-api's log for the request; retry the run",
      );
    }
    return { summary: `${describeService(service)}`, outputs: outputsOf(service) };
  },
};
