/**
 * After Nova rebuilt a server on its new host: put it back in the state it had (SHUTOFF stays
 * SHUTOFF, ACTIVE stays ACTIVE whatever the microversion, PAUSED/SUSPENDED are paused/suspended
 * again, ERROR is put back in ERROR), then it is settled.
 */
import type { Server } from '../../openstack/openstack.interface.js';
import type { Flight } from './state.js';

/** What to do about a rebuilt server now. */
export type RestoreStep =
  | { readonly kind: 'wait' }
  | { readonly kind: 'call'; readonly action: 'start' | 'stop' | 'pause' | 'suspend'; readonly message: string }
  | { readonly kind: 'settled'; readonly evacuated: boolean; readonly reason: string; readonly resetToError?: true };

const CALLS = { active: 'start', stopped: 'stop', paused: 'pause', suspended: 'suspend' } as const;
const STATUS = { active: 'ACTIVE', stopped: 'SHUTOFF', paused: 'PAUSED', suspended: 'SUSPENDED' } as const;
const AGAIN = { start: 'started', stop: 'stopped', pause: 'paused', suspend: 'suspended' } as const;
const DOING = { active: 'starting', stopped: 'stopping', paused: 'pausing', suspended: 'suspending' } as const;

/** The next step for `flight`, whose server `now` is idle on a host other than the failed one. */
export function restoreStep(flight: Flight, now: Server): RestoreStep {
  const wanted = flight.plan.restoreTo;
  const actual = now.vmState;
  const on = now.host ?? '?';
  const note = flight.note ? `; ${flight.note}` : '';
  if (wanted === 'error') {
    const was =
      flight.plan.action === 'reset-then-evacuate' ? `was ${flight.plan.server.vmState}` : 'it was in ERROR before';
    return {
      kind: 'settled',
      evacuated: true,
      reason: `now ERROR on ${on}; put back in ERROR (${was})`,
      ...(actual === 'error' ? {} : { resetToError: true }),
    };
  }
  if (actual === 'error')
    return {
      kind: 'settled',
      evacuated: false,
      reason: `rebuilt on ${on} but in ERROR${now.fault ? `: ${now.fault}` : ''}`,
    };
  if (actual === wanted) {
    const again = flight.restoring === undefined ? '' : ` (${AGAIN[flight.restoring]} again after the rebuild)`;
    return { kind: 'settled', evacuated: true, reason: `now ${STATUS[wanted]} on ${on}${again}${note}` };
  }
  const action = CALLS[wanted];
  // only from ACTIVE (or, to start, from SHUTOFF), and only once
  const from = wanted === 'active' ? 'stopped' : 'active';
  if (actual === from && flight.restoring !== action && flight.note === undefined) {
    const message =
      wanted === 'active'
        ? `was ACTIVE before; starting it on ${on} (this microversion stops evacuated servers)`
        : `was ${STATUS[wanted]} before; ${DOING[wanted]} it again on ${on}`;
    return { kind: 'call', action, message };
  }
  if (flight.restoring === action && actual === from) return { kind: 'wait' };
  return {
    kind: 'settled',
    evacuated: true,
    reason: `now ${now.status} on ${on}; was ${STATUS[wanted]} before${note}`,
  };
}
