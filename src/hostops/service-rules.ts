/**
 * What Nova service state means to forcedown, for every writer (runbook steps, the Terraform
 * provider, later the watch service):
 * - force-down before disable: disabling a service Nova still thinks is up makes an RPC to its
 *   (dead) compute; forced down, Nova skips it;
 * - clear force-down before enable: Nova refuses the clear while `done` evacuation records
 *   remain, and an enable before it would put a host in service that Nova may not trust yet;
 * - the lock marker of ./marker.ts in the disabled reason.
 */
import { isForcedownError } from '../errors/index.js';
import { OpenStackApiError } from '../openstack/errors.js';
import type { CallOptions, ComputeApi, ComputeService } from '../openstack/openstack.interface.js';

/** A Nova service host name: letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit. */
export const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;

/** Whether `host` can be a Nova service host name (1 to 255 characters of {@link HOST_NAME}). */
export function isHostName(host: unknown): boolean {
  return typeof host === 'string' && host.length > 0 && host.length <= 255 && HOST_NAME.test(host);
}

const DONE_EVACUATIONS = /Unable to force up host .* evacuation migration records remain/;

/**
 * Whether `error` is Nova's refusal to clear forced_down while `done` evacuation records of the
 * host remain (they turn `completed` only when the host's nova-compute restarts).
 */
export function isDoneEvacuationsRemain(error: unknown): boolean {
  if (error instanceof OpenStackApiError) return error.isDoneEvacuationRecordsRemain;
  if (isForcedownError(error) && error.code === 'NOVA_DONE_EVACUATIONS_REMAIN') return true;
  return DONE_EVACUATIONS.test(error instanceof Error ? error.message : String(error));
}

/** One line about a service's state. */
export function describeService(service: ComputeService): string {
  return `${service.host}: state ${service.state}, ${service.forcedDown ? 'forced down' : 'not forced down'}, ${service.status}${service.disabledReason ? ` ("${service.disabledReason}")` : ''}`;
}

/** A service state to converge to. */
export interface DesiredService {
  readonly forcedDown: boolean;
  readonly disabled: boolean;
  /** The disabled reason to write (when `disabled`). */
  readonly disabledReason: string;
}

/** Called before each Nova write (e.g. {@link HostHold.verify}); throwing stops the convergence. */
export type BeforeWrite = (signal: AbortSignal | undefined) => Promise<void>;

/**
 * Brings `start` to `desired` in the order Nova needs: forced_down first (set before a disable,
 * cleared before an enable), then the status and reason. Returns the service as Nova last
 * answered; Nova's errors propagate (check {@link isDoneEvacuationsRemain} on a failed clear).
 */
export async function convergeService(
  api: Pick<ComputeApi, 'setForcedDown' | 'disableService' | 'enableService'>,
  start: ComputeService,
  desired: DesiredService,
  options: CallOptions & { readonly beforeWrite?: BeforeWrite } = {},
): Promise<ComputeService> {
  const call = options.signal === undefined ? undefined : { signal: options.signal };
  let service = start;
  if (service.forcedDown !== desired.forcedDown) {
    await options.beforeWrite?.(options.signal);
    service = await api.setForcedDown(service, desired.forcedDown, call);
  }
  const isDisabled = service.status === 'disabled';
  if (desired.disabled && (!isDisabled || service.disabledReason !== desired.disabledReason)) {
    await options.beforeWrite?.(options.signal);
    service = await api.disableService(service, desired.disabledReason, call);
  } else if (!desired.disabled && isDisabled) {
    await options.beforeWrite?.(options.signal);
    service = await api.enableService(service, call);
  }
  return service;
}
