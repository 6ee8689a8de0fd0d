/**
 * `forcedown_compute_service` honours the one-run-per-host lock of src/hostops: a host whose
 * disabled reason names an unreleased forcedown run is not changed unless `break_lock` gives the
 * operator's reason, which is then recorded (in the disabled reason, and in a warning).
 */
import { markerHolder, reasonWithoutRun } from '../../hostops/index.js';
import type { ComputeService } from '../../openstack/openstack.interface.js';
import { errorDiagnostic, warningDiagnostic, type Diagnostic } from '../diagnostics.js';

/** What the lock says about changing `service`. */
export interface LockVerdict {
  /** The run holding the host, if any. */
  readonly holder: string | undefined;
  /** An error when held and not overridden; a warning recording the override. */
  readonly diagnostics: readonly Diagnostic[];
}

/** The lock's verdict on changing `service` with this `break_lock` value (null: not set). */
export function lockVerdict(service: ComputeService, breakLock: string | null, what: string): LockVerdict {
  const holder = markerHolder(service.disabledReason);
  if (holder === undefined) return { holder, diagnostics: [] };
  if (breakLock !== null && breakLock.trim() !== '') {
    return {
      holder,
      diagnostics: [
        warningDiagnostic(
          `Breaking the lock of forcedown run ${holder} on ${service.host}`,
          `break_lock is set ("${breakLock}"): this ${what} changes ${service.host} although forcedown run ${holder} holds it. The run will notice (it stops with "no longer holds ${service.host}"); the override is recorded in the disabled reason.`,
          ['break_lock'],
        ),
      ],
    };
  }
  return {
    holder,
    diagnostics: [
      errorDiagnostic(
        `${service.host} is held by forcedown run ${holder}`,
        `Nova's disabled reason of ${service.host} is "${service.disabledReason ?? ''}": forcedown run ${holder} is fencing, forcing down or evacuating this host, and changing it now could clear forced_down under an evacuation or put a powered-off host back in service. Nothing was changed.\n\n` +
          `What to do: let that run finish (\`forcedown show ${holder}\`; resume it with \`forcedown resume ${holder}\` on the machine that ran it if it stopped), then run terraform again. If the run is dead and the change is safe, set break_lock = "<why it is safe>" on this resource (recorded in the disabled reason).`,
        ['host'],
      ),
    ],
  };
}

/** The disabled reason to write when breaking `holder`'s lock: the same format runs read. */
export function reasonBreakingLock(reason: string, holder: string, breakLock: string): string {
  return reasonWithoutRun(reason, { holder, reason: breakLock });
}
