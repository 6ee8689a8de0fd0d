/**
 * `forcedown_compute_service` and the etcd host locks (when the provider has a `coordination`
 * block or FORCEDOWN_ETCD_*): plan refuses a host a run holds in etcd, naming the run; apply and
 * destroy hold `<prefix>/<region>/hosts/<host>` for the duration of the change. `break_lock`
 * overrides both, with the reason recorded in a warning (and, by compute-service-lock.ts, in the
 * disabled reason when Nova also shows the run's marker). Before each Nova write of the change
 * the lock is checked again (`lockGuard`): an apply that lost it (lease lost, key taken over or
 * deleted, etcd unreadable) stops before its next PUT, as runs do on lease loss.
 */
import type { HeldLocks, HostLockProvider, LockHolder } from '../../coordination/index.js';
import { isForcedownError, refused } from '../../errors/index.js';
import type { BeforeWrite } from '../../hostops/index.js';
import { diagnosticFromError, errorDiagnostic, warningDiagnostic, type Diagnostic } from '../diagnostics.js';
import type { StateResult } from '../resource-type.js';

/** The run id the provider's locks are taken under (what `forcedown runs` would show). */
export function providerLockRunId(): string {
  return `terraform-provider-${process.pid}`;
}

function heldDiagnostic(host: string, holder: LockHolder): Diagnostic {
  return errorDiagnostic(
    `${host} is locked in etcd by forcedown run ${holder.runId}`,
    `Run ${holder.runId} (pid ${holder.pid} on ${holder.machine}, since ${holder.since}) holds the etcd lock of ${host}: it is fencing, forcing down or evacuating this host. Nothing was changed.\n\n` +
      `What to do: let that run finish (\`forcedown show ${holder.runId}\`, \`forcedown runs --all-machines\`), then run terraform again. If the run is dead its lock expires with its lease; if the change is safe now, set break_lock = "<why it is safe>" on this resource.`,
    ['host'],
  );
}

function breakingDiagnostic(host: string, holder: LockHolder, breakLock: string): Diagnostic {
  return warningDiagnostic(
    `Breaking the etcd lock of forcedown run ${holder.runId} on ${host}`,
    `break_lock is set ("${breakLock}"): the lock of run ${holder.runId} (pid ${holder.pid} on ${holder.machine}) is taken over; that run stops before its next write.`,
    ['break_lock'],
  );
}

/** Plan: the etcd lock's verdict (an unreadable etcd only warns: apply takes the lock). */
export async function etcdPlanVerdict(
  locks: HostLockProvider,
  host: string,
  breakLock: string | null,
): Promise<Diagnostic[]> {
  let holder: LockHolder | undefined;
  try {
    holder = await locks.holder(host);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [
      warningDiagnostic(
        `Could not read the etcd lock of ${host} at plan time`,
        `${message}\n\nApply takes the lock before changing anything.`,
        ['host'],
      ),
    ];
  }
  if (holder === undefined) return [];
  if (breakLock !== null && breakLock.trim() !== '') return [breakingDiagnostic(host, holder, breakLock)];
  return [heldDiagnostic(host, holder)];
}

const LOCK_LOST_CODES = new Set(['COORDINATION_LOCK_LOST', 'COORDINATION_LEASE_LOST']);

/** Whether `error` is the stop of a change whose etcd lock is lost (from {@link lockGuard}). */
export function isLockLost(error: unknown): boolean {
  return isForcedownError(error) && LOCK_LOST_CODES.has(error.code);
}

function lockLost(host: string, what: string, holder?: LockHolder): Error {
  return refused(
    'COORDINATION_LOCK_LOST',
    `the etcd lock of host ${host} ${what}`,
    'another run may act on the host now. Stop before the next write; see `forcedown runs --all-machines`',
    { host, ...(holder === undefined ? {} : { holder }) },
  );
}

/**
 * Before each Nova write: the lock is still this provider's. The lease's and the watch's verdict
 * (`held.lost`), then the key itself read back (a take-over the watch has not reported yet); an
 * etcd that cannot answer counts as lost, since the lock cannot be confirmed.
 */
export function lockGuard(locks: HostLockProvider, held: HeldLocks, host: string): BeforeWrite {
  return async () => {
    held.lost?.throwIfAborted();
    let holder: LockHolder | undefined;
    try {
      holder = await locks.holder(host);
    } catch (error) {
      throw lockLost(host, `cannot be confirmed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (holder === undefined) throw lockLost(host, 'is gone (deleted, or its lease expired)');
    if (holder.runId !== providerLockRunId() || holder.pid !== process.pid)
      throw lockLost(host, `was taken over by ${holder.runId} (pid ${holder.pid} on ${holder.machine})`, holder);
    held.lost?.throwIfAborted();
  };
}

/** What an apply that lost its etcd lock between two Nova writes reports. */
export function lockLostDiagnostic(host: string, error: unknown): Diagnostic {
  const message = error instanceof Error ? error.message : String(error);
  const code = isForcedownError(error) ? ` [${error.code}]` : '';
  return errorDiagnostic(
    `Stopped: the etcd lock of ${host} was lost during the change`,
    `${message}. The provider no longer holds ${host} in etcd, so a forcedown run (or another terraform) may be acting on it now; it made no further Nova write. What Nova shows now is recorded (it may be half the change: forced down but not yet disabled, or forced up but still disabled).\n\n` +
      `What to do: see who holds ${host} (\`forcedown runs --all-machines\`, \`forcedown show RUN-ID\`); if the lease was lost, check etcd (\`etcdctl endpoint health\`) and the network to it. When no run holds the host any more, run terraform apply again: it reads Nova and finishes the change from there.${code}`,
    ['host'],
  );
}

/**
 * Runs `change` holding the etcd lock of `host`; a held lock (without break_lock) changes nothing.
 * `change` gets the guard to call before each Nova write (undefined without coordination).
 */
export async function withEtcdLock(
  locks: HostLockProvider | undefined,
  host: string,
  breakLock: string | null,
  refusedState: StateResult['state'],
  change: (beforeWrite: BeforeWrite | undefined) => Promise<StateResult>,
): Promise<StateResult> {
  if (locks === undefined) return change(undefined);
  const override = breakLock !== null && breakLock.trim() !== '' ? breakLock : undefined;
  let held;
  try {
    held = await locks.acquire({
      runId: providerLockRunId(),
      hosts: [host],
      ...(override === undefined ? {} : { breakLock: override }),
    });
  } catch (error) {
    const holder = (error as { data?: { holder?: LockHolder } }).data?.holder;
    return {
      state: refusedState,
      diagnostics: [
        holder === undefined
          ? diagnosticFromError(`Taking the etcd lock of ${host} failed`, error, ['host'])
          : heldDiagnostic(host, holder),
      ],
    };
  }
  const warnings = held.broken.map((b) => breakingDiagnostic(host, b.previousHolder, override ?? ''));
  try {
    const result = await change(lockGuard(locks, held, host));
    return { ...result, diagnostics: [...warnings, ...result.diagnostics] };
  } finally {
    await held.release('finished').catch(() => undefined);
  }
}
