/**
 * `forcedown_compute_service`: validate, plan, apply, read, import and upgrade, against the
 * OpenStack client's {@link ComputeApi}. Values use Terraform's attribute names (snake_case).
 *
 * Lifecycle rules followed (Terraform's resource-instance-change-lifecycle): the generic plan
 * semantics (config kept, defaults, replace on `host`/`binary`, computed values) are applied from
 * the schema by ../plan.ts; this module adds the derived `disabled_reason` (`derive`) and the lock
 * check (`checkPlan`);
 * - the apply's new state is wholly known (the server keeps computed values known in the plan);
 * - read returns what Nova reports (so drift shows up as a diff), and null when the service is gone.
 *
 * Order of Nova calls: `forced_down` first, then enable/disable. Forcing down before disabling
 * avoids Nova's RPC to a dead compute (disable syncs a placement trait on an up service); clearing
 * before enabling stops an enable when Nova refuses the clear ("`done` evacuation records").
 */
import type { HostLockProvider } from '../../coordination/index.js';
import { isForcedownError } from '../../errors/index.js';
import { convergeService, isDoneEvacuationsRemain, isHostName, type BeforeWrite } from '../../hostops/index.js';
import type { ComputeApi, ComputeService } from '../../openstack/openstack.interface.js';
import { diagnosticFromError, errorDiagnostic, hasErrors, warningDiagnostic, type Diagnostic } from '../diagnostics.js';
import {
  DISABLED_REASON_MAX,
  NOVA_COMPUTE,
  REASON_PREFIX,
  attributesOf,
  computeServiceResource,
  terraformName,
} from '../schema/index.js';
import { UNKNOWN, isUnknown, type TfObject, type TfValue } from '../unknown.js';
import type { OperationContext, PlanDraft, PlanResult, ResourceType, StateResult } from '../resource-type.js';
import { lockVerdict, reasonBreakingLock } from './compute-service-lock.js';
import { etcdPlanVerdict, isLockLost, lockLostDiagnostic, withEtcdLock } from './compute-service-etcd.js';

export type { PlanResult, StateResult };

export const COMPUTE_SERVICE_TYPE = computeServiceResource.typeName;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ALL = attributesOf(computeServiceResource).map(([, name]) => name);

/** The attribute names, so callers can build objects (`forced_down`...). */
export const A = {
  id: terraformName('id'),
  host: terraformName('host'),
  binary: terraformName('binary'),
  forcedDown: terraformName('forcedDown'),
  fencedReason: terraformName('fencedReason'),
  disabled: terraformName('disabled'),
  disabledReason: terraformName('disabledReason'),
  breakLock: terraformName('breakLock'),
  state: terraformName('state'),
  zone: terraformName('zone'),
} as const;

function asObject(value: TfValue): TfObject | null {
  if (value === null || isUnknown(value) || typeof value !== 'object' || Array.isArray(value)) return null;
  return value as TfObject;
}

/** A complete object: every attribute present (null when missing). */
function complete(values: Readonly<Record<string, TfValue>>): TfObject {
  return Object.fromEntries(ALL.map((name) => [name, values[name] ?? null]));
}

function str(value: TfValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

/** The disabled reason forcedown writes when the configuration gives none. */
export function defaultDisabledReason(forcedDown: boolean, fencedReason: string | null): string {
  const reason =
    forcedDown && fencedReason !== null && fencedReason !== ''
      ? `${REASON_PREFIX} fenced: ${fencedReason}`
      : `${REASON_PREFIX} disabled by terraform`;
  return reason.length <= DISABLED_REASON_MAX ? reason : `${reason.slice(0, DISABLED_REASON_MAX - 3)}...`;
}

// ---- validate ---------------------------------------------------------------------------------

/** Checks a configuration; reports every problem at once. Unknown values are not judged. */
export function validateComputeServiceConfig(configValue: TfValue): Diagnostic[] {
  const config = asObject(configValue);
  if (config === null) return [];
  const diagnostics: Diagnostic[] = [];
  const host = config[A.host];
  const binary = config[A.binary];
  const forcedDown = config[A.forcedDown];
  const fencedReason = config[A.fencedReason];
  const disabled = config[A.disabled];
  const disabledReason = config[A.disabledReason];

  if (typeof host === 'string' && host.trim() === '') {
    diagnostics.push(
      errorDiagnostic(
        'Empty host',
        'host is an empty string. Give the compute service host as `openstack compute service list` shows it.',
        [A.host],
      ),
    );
  } else if (typeof host === 'string' && !isHostName(host)) {
    diagnostics.push(
      errorDiagnostic(
        'Invalid host',
        `host "${host}" is not a Nova service host name (1-255 letters, digits, '.', '_' or '-', starting and ending with a letter or digit). Use the host exactly as \`openstack compute service list\` shows it.`,
        [A.host],
      ),
    );
  }
  if (typeof binary === 'string' && binary !== NOVA_COMPUTE) {
    diagnostics.push(
      errorDiagnostic(
        'Unsupported binary',
        `binary is "${binary}"; Nova only lets clients update ${NOVA_COMPUTE} services. Remove binary (it defaults to ${NOVA_COMPUTE}) or set it to "${NOVA_COMPUTE}".`,
        [A.binary],
      ),
    );
  }
  if (
    forcedDown === true &&
    (fencedReason === null ||
      fencedReason === undefined ||
      (typeof fencedReason === 'string' && fencedReason.trim() === ''))
  ) {
    diagnostics.push(
      errorDiagnostic(
        'fenced_reason is required when forced_down = true',
        'forced_down tells Nova the host is down and its servers may be rebuilt elsewhere. If the host is still running, evacuation starts a second copy of each server and corrupts their disks (split brain). ' +
          'Fence the host first (power it off through its BMC and read the power state back, or cut it from the network), then record how in fenced_reason, e.g. fenced_reason = "INC-4711: BMC power-off confirmed".',
        [A.fencedReason],
      ),
    );
  }
  if (typeof fencedReason === 'string' && fencedReason.trim() !== '' && forcedDown === false) {
    diagnostics.push(
      warningDiagnostic(
        'fenced_reason has no effect',
        'fenced_reason is only used when forced_down = true. Remove it, or set forced_down = true once the host is fenced.',
        [A.fencedReason],
      ),
    );
  }
  if (typeof disabledReason === 'string') {
    if (disabled === false || disabled === null || disabled === undefined) {
      diagnostics.push(
        errorDiagnostic(
          'disabled_reason needs disabled = true',
          "Nova keeps a disabled reason only for a disabled service (\"Specifying 'disabled_reason' with status 'enabled' is invalid\"). Set disabled = true, or remove disabled_reason.",
          [A.disabledReason],
        ),
      );
    }
    if (disabledReason.trim() === '' || disabledReason.length > DISABLED_REASON_MAX) {
      diagnostics.push(
        errorDiagnostic(
          'Invalid disabled_reason length',
          `disabled_reason has ${disabledReason.length} characters; Nova accepts 1 to ${DISABLED_REASON_MAX}. Shorten it (or remove it to get the default reason).`,
          [A.disabledReason],
        ),
      );
    }
  }
  return diagnostics;
}

// ---- plan (the generic rules are in ../plan.ts; these are the hooks) ----------------------------

function differs(a: TfValue | undefined, b: TfValue | undefined): boolean {
  if (isUnknown(a) || isUnknown(b)) return true;
  return (a ?? null) !== (b ?? null);
}

/** The derived default of `disabled_reason` when the configuration gives none. */
export function deriveComputeService(
  planned: Readonly<Record<string, TfValue>>,
  config: TfObject,
): Readonly<Record<string, TfValue>> {
  if (config[A.disabledReason] !== null && config[A.disabledReason] !== undefined) return {};
  const disabled = planned[A.disabled];
  const forcedDown = planned[A.forcedDown];
  const fencedReason = planned[A.fencedReason];
  if (
    isUnknown(disabled) ||
    (disabled === true && (isUnknown(forcedDown) || (forcedDown === true && isUnknown(fencedReason))))
  )
    return { [A.disabledReason]: UNKNOWN };
  if (disabled === true) return { [A.disabledReason]: defaultDisabledReason(forcedDown === true, str(fencedReason)) };
  return { [A.disabledReason]: null };
}

/** Whether applying `planned` over `prior` writes Nova (a create, a replace, or a change of its values). */
function writesNova(
  prior: TfObject | null,
  planned: TfObject,
  requiresReplace: PlanResult['requiresReplace'],
): boolean {
  if (prior === null || requiresReplace.length > 0) return true;
  return [A.forcedDown, A.disabled, A.disabledReason].some((name) => differs(planned[name], prior[name]));
}

/**
 * The plan, checked against the lock in Nova: a plan that would change a host held by a forcedown
 * run fails (unless `break_lock`, then the override goes into the planned default reason). A
 * failed read only warns: apply checks the lock again.
 */
export async function checkComputeServicePlan(
  plan: PlanResult,
  draft: PlanDraft,
  context: OperationContext,
): Promise<PlanResult> {
  const planned = plan.planned;
  if (planned === null || hasErrors(plan.diagnostics)) return plan;
  const host = planned[A.host];
  if (typeof host !== 'string' || !writesNova(draft.prior, planned, plan.requiresReplace)) return plan;
  const binary = str(planned[A.binary]) ?? NOVA_COMPUTE;
  const breakLock = str(planned[A.breakLock]);
  const etcdDiagnostics = await etcdPlanCheck(context, host, breakLock);
  if (hasErrors(etcdDiagnostics)) return { planned: null, requiresReplace: [], diagnostics: etcdDiagnostics };
  let service: ComputeService | undefined;
  try {
    service = await findService(await context.api(), host, binary, null, context.signal);
  } catch (error) {
    return { ...plan, diagnostics: [...plan.diagnostics, ...etcdDiagnostics, warningLockUnread(host, error)] };
  }
  if (service === undefined) return { ...plan, diagnostics: [...plan.diagnostics, ...etcdDiagnostics] }; // apply reports the missing service
  const lock = lockVerdict(service, breakLock, 'plan');
  if (hasErrors(lock.diagnostics)) return { planned: null, requiresReplace: [], diagnostics: lock.diagnostics };
  const reason = planned[A.disabledReason];
  const reasonIsDefault = draft.config[A.disabledReason] === null || draft.config[A.disabledReason] === undefined;
  const next: Record<string, TfValue> = { ...planned };
  if (lock.holder !== undefined && breakLock !== null && reasonIsDefault && typeof reason === 'string')
    next[A.disabledReason] = reasonBreakingLock(reason, lock.holder, breakLock);
  return { ...plan, planned: next, diagnostics: [...plan.diagnostics, ...etcdDiagnostics, ...lock.diagnostics] };
}

/** The etcd lock's verdict at plan time (none without coordination; etcd unusable: a warning). */
async function etcdPlanCheck(context: OperationContext, host: string, breakLock: string | null): Promise<Diagnostic[]> {
  let locks: HostLockProvider | undefined;
  try {
    locks = await context.locks();
  } catch (error) {
    return [warningLockUnread(host, error)];
  }
  return locks === undefined ? [] : etcdPlanVerdict(locks, host, breakLock);
}

/** The etcd locks, or undefined; a failure to open them is reported where they are used. */
async function etcdLocksOf(context: OperationContext | undefined): Promise<HostLockProvider | undefined> {
  return context === undefined ? undefined : context.locks();
}

function warningLockUnread(host: string, error: unknown): Diagnostic {
  const message = error instanceof Error ? error.message : String(error);
  return warningDiagnostic(
    `Could not check the forcedown lock of ${host} at plan time`,
    `${message}\n\nApply checks it again before changing anything.`,
    [A.host],
  );
}

// ---- Nova access --------------------------------------------------------------------------------

/** The service of `host`/`binary` (by id when given), or undefined when Nova has none. */
async function findService(
  api: ComputeApi,
  host: string,
  binary: string,
  id: string | null,
  signal?: AbortSignal,
): Promise<ComputeService | undefined> {
  const services = await api.listServices({ host, binary }, signal === undefined ? undefined : { signal });
  const exact = services.filter((s) => s.host === host && s.binary === binary);
  // by id first; else the host's only service (a re-registered service gets a new UUID)
  return (id === null ? undefined : exact.find((s) => s.id === id)) ?? exact[0];
}

/** The resource state for a service as Nova reports it; `fenced_reason` is ours, not Nova's. */
export function stateFromService(
  service: ComputeService,
  fencedReason: string | null,
  breakLock: string | null = null,
): TfObject {
  const disabled = service.status === 'disabled';
  return complete({
    [A.id]: service.id,
    [A.host]: service.host,
    [A.binary]: service.binary,
    [A.forcedDown]: service.forcedDown,
    [A.fencedReason]: fencedReason,
    [A.breakLock]: breakLock,
    [A.disabled]: disabled,
    // a reason left on an enabled service means nothing (and Nova clears it on enable)
    [A.disabledReason]: disabled ? service.disabledReason : null,
    [A.state]: service.state,
    [A.zone]: service.zone,
  });
}

function doneEvacuationsDiagnostic(host: string, error: unknown): Diagnostic {
  const message = error instanceof Error ? error.message : String(error);
  return errorDiagnostic(
    `Nova refused to clear forced_down on ${host}: the compute must restart first`,
    `${message}\n\n` +
      `Servers were evacuated from ${host}, and Nova keeps those evacuation records in state "done" until nova-compute starts again on the host, ` +
      'cleans up the local copies of the evacuated servers and marks the records "completed". Clearing forced_down before that could let the old copies come back.\n\n' +
      `What to do: power ${host} on (forcedown can: the power-on step), make sure nova-compute has started and reports in (openstack compute service list shows it heartbeating), then run terraform apply again. ` +
      'The service stays forced down until then; nothing else was changed.',
    [A.forcedDown],
  );
}

/** Desired Nova state from a planned object. */
interface Desired {
  readonly forcedDown: boolean;
  readonly disabled: boolean;
  readonly disabledReason: string | null;
}

/**
 * Brings the service to `desired` (hostops' order); returns the service as Nova last reported it
 * and any problem. `beforeWrite` (the etcd lock's guard) runs before each PUT; a lost lock stops
 * the convergence there.
 */
async function converge(
  api: ComputeApi,
  start: ComputeService,
  desired: Desired,
  signal?: AbortSignal,
  beforeWrite?: BeforeWrite,
): Promise<{ service: ComputeService; diagnostics: Diagnostic[] }> {
  let service = start;
  const target = {
    forcedDown: desired.forcedDown,
    disabled: desired.disabled,
    disabledReason: desired.disabledReason ?? defaultDisabledReason(desired.forcedDown, null),
  };
  try {
    service = await convergeService(api, service, target, {
      ...(signal === undefined ? {} : { signal }),
      ...(beforeWrite === undefined ? {} : { beforeWrite }),
    });
    return { service, diagnostics: [] };
  } catch (error) {
    if (isLockLost(error)) return { service, diagnostics: [lockLostDiagnostic(service.host, error)] };
    if (!desired.forcedDown && isDoneEvacuationsRemain(error))
      return { service, diagnostics: [doneEvacuationsDiagnostic(service.host, error)] };
    return {
      service,
      diagnostics: [diagnosticFromError(`Updating the compute service of ${service.host} failed`, error)],
    };
  }
}

async function refetch(api: ComputeApi, service: ComputeService, signal?: AbortSignal): Promise<ComputeService> {
  try {
    return (await findService(api, service.host, service.binary, service.id, signal)) ?? service;
  } catch {
    return service;
  }
}

function notFoundDiagnostic(host: string, binary: string, error?: unknown): Diagnostic {
  if (error !== undefined && isForcedownError(error))
    return diagnosticFromError(`No ${binary} service on host ${host}`, error, [A.host]);
  return errorDiagnostic(
    `No ${binary} service on host ${host}`,
    `Nova lists no ${binary} service for host "${host}". Use the host name exactly as \`openstack compute service list --service ${binary}\` (or \`forcedown services\`) shows it; it is not always the hypervisor hostname.`,
    [A.host],
  );
}

// ---- apply ------------------------------------------------------------------------------------

/** Applies a planned create, update or (planned null) destroy. */
export async function applyComputeService(
  api: ComputeApi,
  priorValue: TfValue,
  plannedValue: TfValue,
  signal?: AbortSignal,
  context?: OperationContext,
): Promise<StateResult> {
  const prior = asObject(priorValue);
  const planned = asObject(plannedValue);
  const target = planned ?? prior;
  if (target === null) return { state: null, diagnostics: [] };
  let locks: HostLockProvider | undefined;
  try {
    locks = await etcdLocksOf(context);
  } catch (error) {
    return { state: priorValue, diagnostics: [diagnosticFromError('Connecting to etcd failed', error, ['host'])] };
  }
  const host = str(target[A.host]) ?? '';
  return withEtcdLock(locks, host, str(target[A.breakLock]), priorValue, (beforeWrite) =>
    planned === null && prior !== null
      ? destroyComputeService(api, prior, signal, beforeWrite)
      : applyPlanned(api, prior, planned as TfObject, signal, beforeWrite),
  );
}

/** Applies a planned create or update. */
async function applyPlanned(
  api: ComputeApi,
  prior: TfObject | null,
  planned: TfObject,
  signal?: AbortSignal,
  beforeWrite?: BeforeWrite,
): Promise<StateResult> {
  const host = str(planned[A.host]) ?? '';
  const binary = str(planned[A.binary]) ?? NOVA_COMPUTE;
  const fencedReason = str(planned[A.fencedReason]);
  const breakLock = str(planned[A.breakLock]);
  let service: ComputeService | undefined;
  try {
    service = await findService(api, host, binary, prior === null ? null : str(prior[A.id]), signal);
  } catch (error) {
    return {
      state: prior,
      diagnostics: [diagnosticFromError(`Reading the ${binary} service of ${host} failed`, error)],
    };
  }
  if (service === undefined) return { state: prior, diagnostics: [notFoundDiagnostic(host, binary)] };
  const lock = lockVerdict(service, breakLock, 'apply');
  if (hasErrors(lock.diagnostics)) return { state: prior, diagnostics: lock.diagnostics };

  const desired: Desired = {
    forcedDown: planned[A.forcedDown] === true,
    disabled: planned[A.disabled] === true,
    disabledReason: str(planned[A.disabledReason]),
  };
  const outcome = await converge(api, service, desired, signal, beforeWrite);
  if (hasErrors(outcome.diagnostics)) {
    if (prior === null) {
      // a failed create records nothing: the next apply finds the service again and converges
      // (a tainted record would mean destroy+create, i.e. un-forcing a fenced host in between)
      const now = await refetch(api, outcome.service, signal);
      return {
        state: null,
        diagnostics: [
          ...outcome.diagnostics,
          warningDiagnostic(
            `Nothing was recorded for ${host}`,
            `Nova now reports ${host}: forced_down=${String(now.forcedDown)}, status=${now.status}, disabled_reason=${JSON.stringify(now.disabledReason)}. Fix the cause above and run terraform apply again; it adopts the service as it is then.`,
          ),
        ],
      };
    }
    const now = await refetch(api, outcome.service, signal);
    return { state: stateFromService(now, fencedReason, breakLock), diagnostics: outcome.diagnostics };
  }
  // computed values known at plan time are kept by the server (../plan.ts keepPlannedComputed)
  return { state: stateFromService(outcome.service, fencedReason, breakLock), diagnostics: [...lock.diagnostics] };
}

/** Destroy: restores the service to up (forced_down cleared) and enabled. Never deletes it. */
async function destroyComputeService(
  api: ComputeApi,
  prior: TfObject,
  signal?: AbortSignal,
  beforeWrite?: BeforeWrite,
): Promise<StateResult> {
  const host = str(prior[A.host]) ?? '';
  const binary = str(prior[A.binary]) ?? NOVA_COMPUTE;
  let service: ComputeService | undefined;
  try {
    service = await findService(api, host, binary, str(prior[A.id]), signal);
  } catch (error) {
    return {
      state: prior,
      diagnostics: [diagnosticFromError(`Reading the ${binary} service of ${host} failed`, error)],
    };
  }
  if (service === undefined) return { state: null, diagnostics: [] }; // already gone: nothing to restore
  const lock = lockVerdict(service, str(prior[A.breakLock]), 'destroy');
  if (hasErrors(lock.diagnostics)) return { state: prior, diagnostics: lock.diagnostics };
  const outcome = await converge(
    api,
    service,
    { forcedDown: false, disabled: false, disabledReason: null },
    signal,
    beforeWrite,
  );
  if (hasErrors(outcome.diagnostics)) {
    const now = await refetch(api, outcome.service, signal);
    return {
      state: stateFromService(now, str(prior[A.fencedReason]), str(prior[A.breakLock])),
      diagnostics: outcome.diagnostics,
    };
  }
  return { state: null, diagnostics: [...lock.diagnostics] };
}

// ---- read / import / upgrade ------------------------------------------------------------------

/** Refresh: Nova's current values (drift), or null when the service no longer exists. */
export async function readComputeService(
  api: ComputeApi,
  currentValue: TfValue,
  signal?: AbortSignal,
): Promise<StateResult> {
  const current = asObject(currentValue);
  if (current === null) return { state: null, diagnostics: [] };
  const host = str(current[A.host]) ?? '';
  const binary = str(current[A.binary]) ?? NOVA_COMPUTE;
  try {
    const service = await findService(api, host, binary, str(current[A.id]), signal);
    if (service === undefined) return { state: null, diagnostics: [] };
    return {
      state: stateFromService(service, str(current[A.fencedReason]), str(current[A.breakLock])),
      diagnostics: [],
    };
  } catch (error) {
    return {
      state: current,
      diagnostics: [diagnosticFromError(`Reading the ${binary} service of ${host} failed`, error)],
    };
  }
}

/** Import by service UUID or by host (nova-compute). */
export async function importComputeService(api: ComputeApi, id: string, signal?: AbortSignal): Promise<StateResult> {
  const options = signal === undefined ? undefined : { signal };
  const wanted = id.trim();
  if (wanted === '') {
    return {
      state: null,
      diagnostics: [
        errorDiagnostic('Empty import id', 'Import a compute service by its host name (fake2) or by its service UUID.'),
      ],
    };
  }
  try {
    if (UUID.test(wanted)) {
      const service = (await api.listServices({ binary: NOVA_COMPUTE }, options)).find(
        (s) => s.id.toLowerCase() === wanted.toLowerCase(),
      );
      if (service === undefined) {
        return {
          state: null,
          diagnostics: [
            errorDiagnostic(
              `No nova-compute service with id ${wanted}`,
              'Nova lists no nova-compute service with this UUID. Check `openstack compute service list --long` (microversion 2.53+ shows UUIDs), or import by host name instead.',
            ),
          ],
        };
      }
      return { state: stateFromService(service, null), diagnostics: [] };
    }
    const service = await api.findComputeService(wanted, options);
    return { state: stateFromService(service, null), diagnostics: [] };
  } catch (error) {
    return {
      state: null,
      diagnostics: [
        UUID.test(wanted)
          ? diagnosticFromError(`Importing compute service ${wanted} failed`, error)
          : notFoundDiagnostic(wanted, NOVA_COMPUTE, error),
      ],
    };
  }
}

/** State stored by this or an older schema version → the current shape (unknown keys dropped). */
export function upgradeComputeServiceState(version: number, raw: Readonly<Record<string, unknown>>): StateResult {
  if (version > computeServiceResource.version) {
    return {
      state: null,
      diagnostics: [
        errorDiagnostic(
          'State written by a newer provider',
          `This state has schema version ${version}; this forcedown provider knows up to ${computeServiceResource.version}. Upgrade the provider (forcedown provider install).`,
        ),
      ],
    };
  }
  const values: Record<string, TfValue> = {};
  for (const name of ALL) {
    const value = raw[name];
    values[name] = typeof value === 'string' || typeof value === 'boolean' ? value : null;
  }
  return { state: complete(values), diagnostics: [] };
}

/** The resource as the server's table holds it. */
export const computeServiceType: ResourceType = {
  schema: computeServiceResource,
  validate: validateComputeServiceConfig,
  derive: deriveComputeService,
  checkPlan: checkComputeServicePlan,
  apply: applyComputeService,
  read: readComputeService,
  import: importComputeService,
  upgrade: upgradeComputeServiceState,
};
