import type { EnableStep } from '../generated/runbook.types.js';
import type { StepModule } from './step.interface.js';
import { describeService } from '../hostops/index.js';
import { heldService, holdOf } from './support/holds.js';

/** `enable`: enable the host's nova-compute again (Nova clears the disabled reason). */
export const step: StepModule<EnableStep> = {
  type: 'enable',
  defaultTimeoutMs: 60_000,
  needs: ['openstack'],
  title: (s) => `enable ${s.host}`,
  hosts: (s) => [s.host],
  async check(s, context) {
    const service = await heldService(context, s.host);
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
    const current = await heldService(context, s.host);
    const hold = await holdOf(context, current.host);
    const service = await client.compute.enableService((await hold.verify({ signal: context.signal })) ?? current, {
      signal: context.signal,
    });
    // Nova clears the reason on enable: the run's own write ends its hold
    hold.observe(service);
    return { summary: describeService(service), outputs: { serviceId: service.id, status: service.status } };
  },
};
