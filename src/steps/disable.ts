import type { DisableStep } from '../generated/runbook.types.js';
import type { StepModule } from './step.interface.js';
import { describeService, reasonWithMarker, stripMarkers } from '../hostops/index.js';
import { heldService, holdOf, releaseMarkerAtRunEnd } from './support/holds.js';

/** `disable`: disable the host's nova-compute (no new servers there) with a reason and the run marker. */
export const step: StepModule<DisableStep> = {
  type: 'disable',
  defaultTimeoutMs: 60_000,
  needs: ['openstack'],
  title: (s) => `disable ${s.host}`,
  hosts: (s) => [s.host],
  async check(s, context) {
    const service = await heldService(context, s.host);
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
    const current = await heldService(context, s.host);
    const hold = await holdOf(context, current.host);
    const service = await client.compute.disableService(
      (await hold.verify({ signal: context.signal })) ?? current,
      reasonWithMarker(s.reason, context.runId),
      { signal: context.signal },
    );
    hold.observe(service);
    releaseMarkerAtRunEnd(context, service.host);
    return {
      summary: describeService(service),
      outputs: { serviceId: service.id, status: service.status, disabledReason: service.disabledReason },
    };
  },
};
