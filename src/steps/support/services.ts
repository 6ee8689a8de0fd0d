import { operationFailed } from '../../errors/index.js';
import type { ComputeService } from '../../openstack/openstack.interface.js';
import { formatDuration } from '../../runbook/index.js';
import type { StepContext } from '../step.interface.js';
import { describeService } from '../../hostops/index.js';

/** The nova-compute service of `host` (input error naming known hosts when absent). */
export async function computeService(context: StepContext, host: string): Promise<ComputeService> {
  const client = await context.services.openstack();
  return client.compute.findComputeService(host, { signal: context.signal });
}

export { describeService } from '../../hostops/index.js';

/**
 * Polls the service until `accept` holds, or fails when the step's time is up. `what` names the
 * awaited condition for messages.
 */
export async function waitForService(
  context: StepContext,
  host: string,
  accept: (service: ComputeService) => boolean,
  what: string,
  pollIntervalMs: number,
): Promise<{ service: ComputeService; waitedMs: number }> {
  const started = Date.now();
  let last: ComputeService | undefined;
  for (;;) {
    last = await computeService(context, host);
    if (accept(last)) return { service: last, waitedMs: Date.now() - started };
    if (Date.now() - started + pollIntervalMs > context.timeoutMs) {
      throw operationFailed(
        'SERVICE_WAIT_TIMEOUT',
        `${host} did not become ${what} within ${formatDuration(context.timeoutMs)} (last seen: ${describeService(last)})`,
        `check the host's nova-compute (its log, its clock, RabbitMQ); raise the step's timeout if it is only slow`,
        { host },
      );
    }
    context.output(
      `waiting for ${host} to be ${what} (now: state ${last.state}) — ${formatDuration(Date.now() - started)}`,
    );
    await context.sleep(pollIntervalMs);
  }
}

/** Milliseconds from a runbook duration field, with a default. */
export async function durationMs(value: string | undefined, fallbackMs: number): Promise<number> {
  if (value === undefined) return fallbackMs;
  const { parseDuration } = await import('../../runbook/index.js');
  return parseDuration(String(value));
}
