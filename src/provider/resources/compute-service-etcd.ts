/**
 * `forcedown_compute_service` and the etcd host locks (when the provider has a `coordination`
 * block or FORCEDOWN_ETCD_*): plan refuses a host a run holds in etcd, naming the run; apply and
 * destroy hold `<prefix>/<region>/hosts/<host>` for the duration of the change. `break_lock`
 * overrides both, with the reason recorded in a warning (and, by compute-service-lock.ts, in the
 * disabled reason when Nova also shows the run's marker).
 */
import type { HostLockProvider, LockHolder } from '../../coordination/index.js';
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

/** Runs `change` holding the etcd lock of `host`; a held lock (without break_lock) changes nothing. */
export async function withEtcdLock(
  locks: HostLockProvider | undefined,
  host: string,
  breakLock: string | null,
  refusedState: StateResult['state'],
  change: () => Promise<StateResult>,
): Promise<StateResult> {
  if (locks === undefined) return change();
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
    const result = await change();
    return { ...result, diagnostics: [...warnings, ...result.diagnostics] };
  } finally {
    await held.release('finished').catch(() => undefined);
  }
}
