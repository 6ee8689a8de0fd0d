import { refused } from '../errors/index.js';
import type { ComputeService } from '../openstack/openstack.interface.js';

/**
 * The Nova-side half of the one-run-per-host lock: a marker in the service's disabled reason,
 * `[forcedown:<run-id>]` while a run holds the host and `[forcedown:<run-id> released]` after it.
 * Other operators see it in `openstack compute service list --long`; forcedown on any machine
 * (a run, the Terraform provider) refuses to act on a host whose marker names another run that
 * has not released it.
 */

const MARKER = /\s*\[forcedown:(\d{8}T\d{6}Z-[a-z0-9-]+-[0-9a-f]{6})( released)?\]/g;

/** Nova's limit on `disabled_reason`. */
export const DISABLED_REASON_MAX = 255;

/** The run id holding the host according to `reason`, if any. */
export function markerHolder(reason: string | null | undefined): string | undefined {
  if (!reason) return undefined;
  let holder: string | undefined;
  for (const match of reason.matchAll(MARKER)) holder = match[2] ? undefined : match[1];
  return holder;
}

/** Whether `service` is disabled with `runId`'s unreleased marker. */
export function isHeldBy(service: ComputeService, runId: string): boolean {
  return service.status === 'disabled' && markerHolder(service.disabledReason) === runId;
}

/** `reason` without forcedown markers. */
export function stripMarkers(reason: string | null | undefined): string {
  return (reason ?? '').replace(MARKER, '').trim();
}

/** `text` cut to leave `room` characters, ending in an ellipsis when cut. */
function cut(text: string, room: number): string {
  return text.length > room ? `${text.slice(0, room - 1)}…` : text;
}

/** A disabled reason carrying this run's marker, cut to Nova's 255 characters. */
export function reasonWithMarker(text: string, runId: string, state: 'held' | 'released' = 'held'): string {
  const marker = ` [forcedown:${runId}${state === 'released' ? ' released' : ''}]`;
  return `${cut(stripMarkers(text), DISABLED_REASON_MAX - marker.length)}${marker}`;
}

/**
 * A disabled reason written by someone who is not a run (the Terraform provider): the text, then
 * `[forcedown:lock broken: <why>]` when it overrode a run's marker. Never a run marker, so no
 * run mistakes it for its own; cut to Nova's 255 characters.
 */
export function reasonWithoutRun(text: string, brokeLock?: { holder: string; reason: string }): string {
  const base = stripMarkers(text);
  if (brokeLock === undefined) return cut(base === '' ? 'forcedown' : base, DISABLED_REASON_MAX);
  const note = ` [forcedown: lock of ${brokeLock.holder} broken: ${brokeLock.reason}]`.slice(0, 150);
  return `${cut(base, DISABLED_REASON_MAX - note.length)}${note}`;
}

/**
 * Refuses (exit 3) when another run holds `service`'s host; `breakLock` (the operator's recorded
 * reason) overrides it. `runId` is undefined for writers that are no run (the provider).
 */
export function assertNotHeldByOther(
  service: ComputeService,
  runId: string | undefined,
  breakLock: string | undefined,
): void {
  const holder = markerHolder(service.disabledReason);
  if (holder === undefined || holder === runId || breakLock !== undefined) return;
  throw refused(
    'HOST_LOCKED',
    `host ${service.host} is held by forcedown run ${holder} (Nova's disabled reason: "${service.disabledReason ?? ''}")`,
    `let that run finish (or resume it: \`forcedown resume ${holder}\` on the machine that ran it); if it is dead, re-run with --break-lock "<why it is safe>" (recorded)`,
    { host: service.host, holder },
  );
}
