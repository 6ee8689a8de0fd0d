import { refused } from '../../errors/index.js';
import type { ComputeService } from '../../openstack/openstack.interface.js';

/**
 * The Nova-side half of the one-run-per-host lock: a marker in the service's disabled reason,
 * `[forcedown:<run-id>]` while a run holds the host and `[forcedown:<run-id> released]` after it.
 * Other operators see it in `openstack compute service list --long`; forcedown on any machine
 * refuses to act on a host whose marker names another run that has not released it.
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

/** `reason` without forcedown markers. */
export function stripMarkers(reason: string | null | undefined): string {
  return (reason ?? '').replace(MARKER, '').trim();
}

/** A disabled reason carrying this run's marker, cut to Nova's 255 characters. */
export function reasonWithMarker(text: string, runId: string, state: 'held' | 'released' = 'held'): string {
  const marker = ` [forcedown:${runId}${state === 'released' ? ' released' : ''}]`;
  const room = DISABLED_REASON_MAX - marker.length;
  const base = stripMarkers(text);
  return `${base.length > room ? `${base.slice(0, room - 1)}…` : base}${marker}`;
}

/**
 * Refuses (exit 3) when another run holds `service`'s host; `breakLock` (the operator's recorded
 * reason) overrides it.
 */
export function assertNotHeldByOther(service: ComputeService, runId: string, breakLock: string | undefined): void {
  const holder = markerHolder(service.disabledReason);
  if (holder === undefined || holder === runId || breakLock !== undefined) return;
  throw refused(
    'HOST_LOCKED',
    `host ${service.host} is held by forcedown run ${holder} (Nova's disabled reason: "${service.disabledReason ?? ''}")`,
    `let that run finish (or resume it: \`forcedown resume ${holder}\` on the machine that ran it); if it is dead, re-run with --break-lock "<why it is safe>" (recorded)`,
    { host: service.host, holder },
  );
}
