import { operationFailed, refused } from '../errors/index.js';
import type { ClearForceDownStep } from '../generated/runbook.types.js';
import { describeService, isDoneEvacuationsRemain } from '../hostops/index.js';
import type { ComputeService } from '../openstack/openstack.interface.js';
import { formatDuration } from '../runbook/index.js';
import type { StepContext, StepModule } from './step.interface.js';
import { heldService, holdOf } from './support/holds.js';
import { computeService, durationMs, waitForService } from './support/services.js';

async function requirePoweredOn(s: ClearForceDownStep, context: StepContext): Promise<string> {
  if (s.checkPower === false) return 'power not checked (checkPower: false)';
  const controller = await context.services.power(s.host);
  const state = await controller.status({ signal: context.signal });
  if (state !== 'on') {
    throw refused(
      'HOST_POWERED_OFF',
      `refusing to clear forced_down of ${s.host}: its BMC (${controller.target}) reads the power ${state}`,
      `power it on first (a power-on step, as in runbooks/host-recovery.json); clearing forced_down would tell Nova a dead host is healthy`,
      { host: s.host, power: state },
    );
  }
  return `powered on (read back from ${controller.target})`;
}

/** Waits until the service's `updated_at` moves: its nova-compute is heartbeating again. */
async function waitForHeartbeat(context: StepContext, host: string, pollIntervalMs: number): Promise<ComputeService> {
  const first = await computeService(context, host);
  const { service } = await waitForService(
    context,
    host,
    (svc) => svc.updatedAt !== null && svc.updatedAt !== first.updatedAt,
    'heartbeating (its updated_at must advance)',
    pollIntervalMs,
  );
  return service;
}

/**
 * `clear-force-down`: once the host is powered on and its nova-compute heartbeats, clear
 * forced_down and confirm Nova reports the service up; optionally enable it. Nova refuses the
 * clear (400) while `done` evacuation records remain: they turn `completed` only when the host's
 * nova-compute restarts, so the step waits for that within its timeout and then explains it.
 */
export const step: StepModule<ClearForceDownStep> = {
  type: 'clear-force-down',
  defaultTimeoutMs: 120_000,
  needs: ['openstack', 'power'],
  title: (s) => `clear forced_down of ${s.host}`,
  hosts: (s) => [s.host],
  async check(s, context) {
    const service = await heldService(context, s.host);
    const wantEnable = s.enable === true && service.status !== 'enabled';
    if (!service.forcedDown && service.state === 'up' && !wantEnable) {
      return {
        needed: false,
        summary: `${describeService(service)}: nothing to do`,
        outputs: { serviceId: service.id, state: service.state, status: service.status },
      };
    }
    const power = await requirePoweredOn(s, context);
    return {
      needed: true,
      summary: `${describeService(service)}; host ${power}; would ${service.forcedDown ? 'clear forced_down once its nova-compute heartbeats' : 'wait until it is up'}${wantEnable ? ' and enable it' : ''}`,
      outputs: { serviceId: service.id, state: 'up', status: s.enable === true ? 'enabled' : service.status },
    };
  },
  async apply(s, context) {
    const client = await context.services.openstack();
    const pollIntervalMs = await durationMs(s.pollInterval, 1000);
    await requirePoweredOn(s, context);
    const started = Date.now();
    let service = await heldService(context, s.host);
    const hold = await holdOf(context, service.host);
    if (service.forcedDown) {
      service = await waitForHeartbeat(context, s.host, pollIntervalMs);
      for (let attempt = 1; ; attempt += 1) {
        try {
          service = (await hold.verify({ signal: context.signal })) ?? service;
          // this run clears forced_down itself: its hold no longer expects it
          hold.expectForcedDown(false);
          service = await client.compute.setForcedDown(service, false, { signal: context.signal });
          break;
        } catch (error) {
          if (!isDoneEvacuationsRemain(error)) throw error;
          if (Date.now() - started + pollIntervalMs > context.timeoutMs) {
            throw operationFailed(
              'EVACUATION_RECORDS_REMAIN',
              `Nova still refuses to clear forced_down of ${s.host} after ${formatDuration(Date.now() - started)}: "done" evacuation migration records remain for servers evacuated from it`,
              `those records become "completed" when ${s.host}'s nova-compute restarts and cleans up the evacuated servers; restart nova-compute on ${s.host} (or power-cycle it), then run this step again`,
              { host: s.host, requestId: (error as { requestId?: string }).requestId ?? null },
            );
          }
          context.output(
            `Nova: "done" evacuation records remain for ${s.host}; waiting for its restarted nova-compute to complete them (attempt ${attempt})`,
          );
          await context.sleep(pollIntervalMs);
        }
      }
    }
    service = (
      await waitForService(context, s.host, (svc) => !svc.forcedDown && svc.state === 'up', 'up', pollIntervalMs)
    ).service;
    if (s.enable === true && service.status !== 'enabled') {
      service = (await hold.verify({ signal: context.signal })) ?? service;
      service = await client.compute.enableService(service, { signal: context.signal });
      hold.observe(service);
    }
    return {
      summary: `${describeService(service)} after ${formatDuration(Date.now() - started)}`,
      outputs: { serviceId: service.id, state: service.state, status: service.status },
    };
  },
};
