import type { WaitServiceStep } from '../generated/runbook.types.js';
import { formatDuration } from '../runbook/index.js';
import type { StepModule } from './step.interface.js';
import { computeService, describeService, durationMs, waitForService } from './support/services.js';

/** `wait-service`: wait until Nova reports the host's nova-compute up (heartbeating) or down. */
export const step: StepModule<WaitServiceStep> = {
  type: 'wait-service',
  defaultTimeoutMs: 120_000,
  needs: ['openstack'],
  title: (s) => `wait until ${s.host} is ${s.state}`,
  hosts: (s) => [s.host],
  async check(s, context) {
    const service = await computeService(context, s.host);
    if (service.state === s.state)
      return { needed: false, summary: `${describeService(service)}`, outputs: { state: service.state, waitedMs: 0 } };
    return {
      needed: true,
      summary: `${describeService(service)}; would wait until it is ${s.state}`,
      outputs: { state: s.state, waitedMs: 0 },
    };
  },
  async apply(s, context) {
    const { service, waitedMs } = await waitForService(
      context,
      s.host,
      (svc) => svc.state === s.state,
      s.state,
      await durationMs(s.pollInterval, 1000),
    );
    return {
      summary: `${describeService(service)} after ${formatDuration(waitedMs)}`,
      outputs: { state: service.state, waitedMs },
    };
  },
};
