/**
 * Server actions of the Nova double besides evacuate: lock/unlock (with `locked_by` and the 2.73
 * reason, as nova/compute/api.py keeps them), pause/unpause and suspend/resume (casts to the
 * server's compute: they only complete while that compute is up), as Zed answers them.
 */
import { mvAtLeast, novaFault, policyForbidden, type DoubleResponse } from './http-kit.js';
import type { ServerRecord, TokenRecord } from './state.js';
import type { CloudState } from './state.js';

/** What a transition needs of Nova: its clock, its timers, and whether a compute is up. */
export interface TransitionContext {
  readonly state: CloudState;
  readonly now: () => number;
  readonly timers: Set<NodeJS.Timeout>;
  readonly isUp: (host: string) => boolean;
}

type Json = Record<string, unknown>;
const isAdmin = (token: TokenRecord): boolean => token.roles.includes('admin');

/** `{"lock": null}` or, from 2.73, `{"lock": {"locked_reason": "..."}}` (1 to 255 characters). */
export function lockServer(
  server: ServerRecord,
  body: unknown,
  version: string,
  token: TokenRecord,
  now: number,
): DoubleResponse {
  const isOwner = server.projectId === token.projectId;
  let reason: string | null = null;
  if (mvAtLeast(version, '2.73')) {
    if (body !== null && (typeof body !== 'object' || Array.isArray(body)))
      return novaFault(400, `Invalid input for field/attribute lock. Value: ${JSON.stringify(body)}.`);
    const given = body === null ? undefined : (body as Json).locked_reason;
    if (given !== undefined) {
      if (typeof given !== 'string' || given.length < 1 || given.length > 255)
        return novaFault(400, `Invalid input for field/attribute locked_reason. Value: ${JSON.stringify(given)}.`);
      reason = given;
    }
  }
  // compute/api.py lock(): an owner's lock of a locked server changes nothing; an admin's relocks it
  if (server.locked && isOwner) return { status: 202 };
  server.locked = true;
  server.lockedBy = isOwner ? 'owner' : 'admin';
  if (reason !== null) server.lockedReason = reason;
  server.updatedAt = now;
  return { status: 202 };
}

/** Unlock: anyone allowed to lock may unlock their own lock; someone else's needs unlock_override (admin). */
export function unlockServer(server: ServerRecord, token: TokenRecord, now: number): DoubleResponse {
  const expected = server.projectId === token.projectId ? 'owner' : 'admin';
  if (server.lockedBy !== null && server.lockedBy !== expected && !isAdmin(token))
    return policyForbidden('os_compute_api:os-lock-server:unlock:unlock_override');
  server.locked = false;
  server.lockedBy = null;
  server.lockedReason = null;
  server.updatedAt = now;
  return { status: 202 };
}

const TRANSITIONS: Readonly<Record<string, { from: string; task: string; to: string; action: string }>> = {
  pause: { from: 'active', task: 'pausing', to: 'paused', action: 'pause' },
  unpause: { from: 'paused', task: 'unpausing', to: 'active', action: 'unpause' },
  suspend: { from: 'active', task: 'suspending', to: 'suspended', action: 'suspend' },
  resume: { from: 'suspended', task: 'resuming', to: 'active', action: 'resume' },
};

/**
 * pause/unpause/suspend/resume: 409 unless in the right vm_state with no task; then task_state
 * `pausing`... until the server's compute carries it out (after `delayMs`, only while it is up).
 */
export function powerTransition(
  ctx: TransitionContext,
  server: ServerRecord,
  name: string,
  delayMs: number,
): DoubleResponse | undefined {
  const t = TRANSITIONS[name];
  if (t === undefined) return undefined;
  if (server.vmState !== t.from)
    return novaFault(409, `Cannot '${t.action}' instance ${server.id} while it is in vm_state ${server.vmState}`);
  if (server.taskState !== null)
    return novaFault(409, `Cannot '${t.action}' instance ${server.id} while it is in task_state ${server.taskState}`);
  server.taskState = t.task;
  server.updatedAt = ctx.now();
  const timer = setTimeout(() => {
    ctx.timers.delete(timer);
    // a cast to a dead compute is never carried out: the task_state stays
    if (server.host === null || !ctx.isUp(server.host) || server.taskState !== t.task) return;
    server.vmState = t.to;
    server.taskState = null;
    server.updatedAt = ctx.now();
  }, delayMs);
  timer.unref();
  ctx.timers.add(timer);
  return { status: 202 };
}
