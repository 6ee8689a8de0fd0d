import { isFencingError, powerOn } from '../fencing/index.js';
import type { PowerOnStep } from '../generated/runbook.types.js';
import { formatDuration } from '../runbook/index.js';
import type { StepModule } from './step.interface.js';
import { durationMs } from './support/services.js';

/** `power-on`: power the host on through its BMC and read it back as on. */
export const step: StepModule<PowerOnStep> = {
  type: 'power-on',
  defaultTimeoutMs: 60_000,
  needs: ['power'],
  title: (s) => `power on ${s.host}`,
  hosts: (s) => [s.host],
  async check(s, context) {
    const controller = await context.services.power(s.host);
    const state = await controller.status({ signal: context.signal }).catch((error: unknown) => {
      throw isFencingError(error) ? error.during('power-on') : error;
    });
    if (state === 'on')
      return {
        needed: false,
        summary: `${s.host} is powered on (read back from ${controller.target})`,
        outputs: { powerState: 'on', alreadyOn: true },
      };
    return {
      needed: true,
      summary: `${s.host} is ${state}; would power it on through ${controller.target} and read it back until on`,
      outputs: { powerState: 'on', alreadyOn: false },
    };
  },
  async apply(s, context) {
    const controller = await context.services.power(s.host);
    const evidence = await powerOn(controller, {
      timeoutMs: context.timeoutMs,
      pollIntervalMs: await durationMs(s.pollInterval, 1000),
      signal: context.signal,
      onProgress: (progress) => context.output(progress.message),
    });
    // the host runs again: an earlier fence of it no longer protects anything
    context.safety.forgetFence(s.host);
    return {
      status: evidence.alreadyOn ? 'unchanged' : 'changed',
      summary: `${s.host} powered on and read back on via ${evidence.target} in ${formatDuration(evidence.durationMs)}`,
      outputs: { powerState: 'on', alreadyOn: evidence.alreadyOn },
    };
  },
};
