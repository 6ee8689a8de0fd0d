import type { EnableStep } from '../generated/runbook.types.js';
import type { StepModule } from './step.interface.js';
import { assertNotHeldByOther } from './support/nova-lock.js';
import { computeService, describeService } from './support/services.js';

/** `enable`: enable the host's nova-compute again (Nova clears the disabled reason). */
export const step: StepModule<EnableStep> = {
  type: 'enable',
  defaultTimeoutMs: 60_000,
  needs: ['openstack'],
  title: (s) => `enable ${s.host}`,
  hosts: (s) => [s.host],
  async check(s, context) {
    const service = await computeService(context, s.host);
    assertNotHeldByOther(service, context.runId, context.options.breakLock);
    if (service.status === 'enabled')
      return {
        needed: false,
        summary: `${describeService(service)}: already enabled`,
        outputs: { serviceId: service.id, status: 'enabled' },
      };
    return {
      needed: true,
      summary: `${describeService(service)}; would enable it`,
      outputs: { serviceId: service.id, status: 'enabled' },
    };
  },
  async apply(s, context) {
    const client = await context.services.openstack();
    const service = await client.compute.enableService(await computeService(context, s.host), {
      signal: context.signal,
    });
    return { summary: describeService(service), outputs: { serviceId: service.id, status: service.status } };
  },
};
