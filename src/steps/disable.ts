import type { DisableStep } from '../generated/runbook.types.js';
import type { StepModule } from './step.interface.js';
import { releaseMarkerAtRunEnd } from './force-down.js';
import { assertNotHeldByOther, reasonWithMarker, stripMarkers } from './support/nova-lock.js';
import { computeService, describeService } from './support/services.js';

/** `disable`: disable the host's nova-compute (no new servers there) with a reason and the run marker. */
export const step: StepModule<DisableStep> = {
  type: 'disable',
  defaultTimeoutMs: 60_000,
  needs: ['openstack'],
  title: (s) => `disable ${s.host}`,
  hosts: (s) => [s.host],
  async check(s, context) {
    const service = await computeService(context, s.host);
    assertNotHeldByOther(service, context.runId, context.options.breakLock);
    const outputs = { serviceId: service.id, status: service.status, disabledReason: service.disabledReason };
    if (service.status === 'disabled' && stripMarkers(service.disabledReason) === stripMarkers(s.reason)) {
      return { needed: false, summary: `${describeService(service)}: already disabled with this reason`, outputs };
    }
    return {
      needed: true,
      summary: `${describeService(service)}; would disable it ("${s.reason}")`,
      outputs: { ...outputs, status: 'disabled', disabledReason: s.reason },
    };
  },
  async apply(s, context) {
    const client = await context.services.openstack();
    const service = await client.compute.disableService(
      await computeService(context, s.host),
      reasonWithMarker(s.reason, context.runId),
      { signal: context.signal },
    );
    releaseMarkerAtRunEnd(context, s.host);
    return {
      summary: describeService(service),
      outputs: { serviceId: service.id, status: service.status, disabledReason: service.disabledReason },
    };
  },
};
