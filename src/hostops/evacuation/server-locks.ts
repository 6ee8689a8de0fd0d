/**
 * Servers locked during their evacuation (as Masakari and InstanceHA do), so that a user's
 * reboot, rebuild or delete cannot race the rebuild. A server already locked (by its owner or an
 * admin) is left as it is: Nova would let this run's admin lock replace the owner's, and the
 * unlock at the end would then lift the owner's lock. Each lock is journaled before it is taken;
 * `EvacuationState.unlock` lifts it once the server is confirmed (or given up).
 */
import type { Server } from '../../openstack/openstack.interface.js';
import type { EvacuationState, Pending } from './state.js';

/** A listing older than this is read again before locking (the owner may have locked meanwhile). */
export const FRESH_LISTING_MS = 10_000;

/** Whether the listing made at `listedAt` is too old to lock from (its servers are read again first). */
export const listingIsStale = (listedAt: number): boolean => Date.now() - listedAt > FRESH_LISTING_MS;

/**
 * Locks the server of `pending` before its first request, when the settings say so and it is
 * not locked. Its lock state comes from the listing while that is fresh, else from a read a poll
 * made ahead of this refill (`freshReads`, as fresh), else from a read now.
 */
export async function lockBeforeSend(run: EvacuationState, pending: Pending, listedAt: number): Promise<void> {
  const listed = pending.plan.server;
  const ahead = run.freshReads.get(listed.id);
  run.freshReads.delete(listed.id);
  if (!run.settings.lockServers || run.locks.has(listed.id)) return;
  const server: Server = !listingIsStale(listedAt)
    ? listed
    : ahead !== undefined && Date.now() - ahead.at <= FRESH_LISTING_MS
      ? ahead.server
      : await run.ports.compute.getServer(listed.id, { signal: run.ports.signal });
  if (server.locked === undefined) {
    run.ports.output(`${server.name}: this microversion does not show locks; not locking it`);
    return;
  }
  if (server.locked) {
    run.ports.output(
      `${server.name}: already locked${server.lockedReason ? ` ("${server.lockedReason}")` : ''}; left as it is (not locked or unlocked by this run)`,
    );
    return;
  }
  const reason = run.lockReason;
  await run.record('server.locking', { serverId: server.id, reason });
  run.locks.set(server.id, reason);
  await run.ports.compute.lockServer(server.id, { signal: run.ports.signal, reason });
}
