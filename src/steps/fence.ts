import { refused } from '../errors/index.js';
import { fence, isFencingError } from '../fencing/index.js';
import type { PowerState } from '../fencing/power.interface.js';
import type { FenceStep } from '../generated/runbook.types.js';
import { formatDuration } from '../runbook/index.js';
import type { StepModule } from './step.interface.js';
import { durationMs } from './support/services.js';

/**
 * `fence`: power the host off through its BMC and read the power state back until it is off.
 * Only a read-back counts; the confirmation is journaled and lets force-down/evacuate proceed.
 * A BMC that is unreachable, refuses the credentials or reports an unknown state stops the run
 * (exit 3) before anything changes in Nova.
 */
export const step: StepModule<FenceStep> = {
  type: 'fence',
  defaultTimeoutMs: 60_000,
  needs: ['power'],
  title: (s) => `fence ${s.host}`,
  // a run that starts with a fence reads the host's power state while it sets up (after
  // pre-flight): the check below takes that read instead of asking the BMC again
  prime: (s, services) => services.primePowerStatus?.(s.host),
  // out of time is not "slow": the power-off is not confirmed, and nothing may be forced down
  timeoutError: (s, timeoutMs) =>
    refused(
      'FENCE_TIMEOUT',
      `fence ${s.host}: the power-off was not confirmed by a read-back within ${formatDuration(timeoutMs)}`,
      'the host is NOT confirmed off, so nothing was forced down; check the BMC (or raise the step\'s "timeout"), power the host off by other means and re-run, or pass --assume-fenced "<reason>" only if you are certain it is off',
      { timeoutMs },
    ),
  hosts: (s) => [s.host],
  async check(s, context) {
    const controller = await context.services.power(s.host);
    // a failed read is a failed fence: the run must stop before Nova (exit 3)
    // the run may have started this read while it set up (primePowerStatus): the same single read
    const read = context.services.takePrimedPowerStatus?.(s.host) ?? controller.status({ signal: context.signal });
    const state = await read.catch((error: unknown) => {
      throw isFencingError(error) ? error.during('fence') : error;
    });
    if (state === 'off') {
      const confirmedAt = new Date().toISOString();
      await context.confirmFence({ host: s.host, driver: controller.driver, target: controller.target, confirmedAt });
      return {
        needed: false,
        summary: `${s.host} is powered off (read back from ${controller.target})`,
        outputs: { powerState: 'off', alreadyOff: true, confirmedAt, driver: controller.driver },
      };
    }
    if (context.mode !== 'run') {
      // a plan: later steps may count on this fence
      await context.confirmFence({
        host: s.host,
        driver: controller.driver,
        target: controller.target,
        confirmedAt: '(planned)',
      });
    }
    return {
      needed: true,
      summary: `${s.host} is ${state}; would power it off through ${controller.target} and read it back until off`,
      outputs: { powerState: 'off', alreadyOff: false, confirmedAt: '(planned)', driver: controller.driver },
      state: { powerState: state, readAt: Date.now() },
    };
  },
  async apply(s, context, check) {
    const controller = await context.services.power(s.host);
    // the check has just read the state (on): send the power-off at once, unless that read is stale
    const read = check.state as { powerState: PowerState; readAt: number } | undefined;
    const evidence = await fence(controller, {
      ...(read && Date.now() - read.readAt < 5000 ? { justRead: read.powerState } : {}),
      timeoutMs: context.timeoutMs,
      pollIntervalMs: await durationMs(s.pollInterval, 1000),
      signal: context.signal,
      onProgress: (progress) => context.output(progress.message),
    });
    await context.confirmFence({
      host: s.host,
      driver: evidence.driver,
      target: evidence.target,
      confirmedAt: evidence.confirmedAt,
    });
    return {
      status: evidence.alreadyOff ? 'unchanged' : 'changed',
      summary: `${s.host} powered off and read back off via ${evidence.target} in ${formatDuration(evidence.durationMs)}`,
      outputs: {
        powerState: 'off',
        alreadyOff: evidence.alreadyOff,
        confirmedAt: evidence.confirmedAt,
        driver: evidence.driver,
      },
    };
  },
};
