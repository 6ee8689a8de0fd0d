/**
 * Intent-level constructs: say what is true of a host, get the right `forcedown_compute_service`.
 *
 * - {@link FailedHost}: fenced and forced down (and by default disabled), with the recorded
 *   statement of how it was fenced.
 * - {@link MaintenanceHost}: disabled (no new servers), not forced down.
 * - {@link HealthyHost}: up and enabled (the state a repaired host returns to).
 *
 * All three make their resource under the same child id, so changing a host from `FailedHost` to
 * `HealthyHost` (same construct id) is an in-place update of one resource — clear forced_down,
 * then enable — not a destroy and create.
 *
 * Props are checked at synth and every problem is reported at once, each with the construct path,
 * the value received, what is allowed and how to fix it.
 */
import type { TerraformProvider } from 'cdktf';
import { cdk } from './cdk.js';
import { Construct } from 'constructs';
import { DISABLED_REASON_MAX } from '../provider/schema/index.js';
import { ComputeService, markValidatedByParent } from './compute-service.js';

/** Nova service host names (as the inventory schema allows them). */
import { HOST_NAME } from '../hostops/index.js';
const FENCED_REASON_MAX = 1024;

/** Props every host construct takes. */
export interface HostProps {
  /** The nova-compute service host, as `forcedown services` lists it (not the hypervisor hostname). */
  readonly host: string;
  /** The provider to use. @default the stack's default `forcedown` provider */
  readonly provider?: TerraformProvider;
}

/** Props of {@link FailedHost}. */
export interface FailedHostProps extends HostProps {
  /**
   * How the host was fenced (powered off through its BMC and read back, or cut from the network),
   * e.g. `INC-4711: BMC power-off confirmed`. Recorded as `fenced_reason` and in the default
   * disabled reason.
   */
  readonly reason: string;
  /**
   * Also disable the service, so the scheduler places nothing on it once it is back.
   * @default true
   */
  readonly disable?: boolean;
  /**
   * The disabled reason (1-255 characters). Only with `disable: true`.
   * @default `forcedown: fenced: <reason>`
   */
  readonly disabledReason?: string;
}

/** Props of {@link MaintenanceHost}. */
export interface MaintenanceHostProps extends HostProps {
  /** Why the host is disabled (1-255 characters), e.g. `CHG-1234: firmware upgrade`. */
  readonly reason: string;
}

/** Props of {@link HealthyHost}. */
export type HealthyHostProps = HostProps;

function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function literal(value: unknown): value is string {
  return typeof value === 'string' && !cdk.Token.isUnresolved(value);
}

/** The host problems of any host construct. */
function hostProblems(where: string, host: unknown): string[] {
  if (cdk.Token.isUnresolved(host)) return [];
  if (typeof host !== 'string' || host.length === 0 || host.length > 255 || !HOST_NAME.test(host)) {
    return [
      `${where}: host must be a Nova service host name (1-255 letters, digits, '.', '_' or '-', starting and ending with a letter or digit); received ${quote(host)}. ` +
        'Fix: use the host exactly as `forcedown services` (or `openstack compute service list`) lists it.',
    ];
  }
  return [];
}

function reasonProblems(where: string, name: string, value: unknown, max: number, example: string): string[] {
  if (cdk.Token.isUnresolved(value)) return [];
  if (typeof value !== 'string' || value.trim().length === 0) {
    return [
      `${where}: ${name} must be a non-empty text (1-${max} characters); received ${quote(value)}. Fix: say why, e.g. ${quote(example)}.`,
    ];
  }
  if (value.length > max)
    return [
      `${where}: ${name} may have at most ${max} characters; received ${value.length}. Fix: shorten it (link to the incident instead of quoting it).`,
    ];
  return [];
}

abstract class HostConstruct extends Construct {
  /** The underlying L1 resource. */
  public readonly service: ComputeService;

  protected constructor(
    scope: Construct,
    id: string,
    kind: string,
    props: HostProps,
    service: Omit<ConstructorParameters<typeof ComputeService>[2], 'host' | 'provider'>,
    problems: (where: string) => string[],
  ) {
    super(scope, id);
    const where = `${kind} '${this.node.path}'`;
    this.service = new ComputeService(this, 'service', { ...service, host: props.host, provider: props.provider });
    markValidatedByParent(this.service);
    // the L1 is not validated on its own: this construct reports in its own words, once
    this.node.addValidation({
      validate: () => {
        const list = [...hostProblems(where, props.host), ...problems(where)];
        const duplicate = duplicateHost(this);
        if (duplicate !== undefined) {
          list.push(
            `${where}: host ${quote(props.host)} is also declared by '${duplicate.node.path}'. Fix: declare each host once (one of FailedHost, MaintenanceHost, HealthyHost).`,
          );
        }
        return list;
      },
    });
  }

  /** The service UUID (known after apply). */
  public get serviceId(): string {
    return this.service.id;
  }
  /** `up` / `down` as Nova reports it after apply. */
  public get state(): string {
    return this.service.state;
  }
}

function duplicateHost(construct: HostConstruct): HostConstruct | undefined {
  const host = construct.service.config.host;
  if (!literal(host)) return undefined;
  const root = construct.node.root;
  const all = root.node.findAll().filter((c): c is HostConstruct => c instanceof HostConstruct);
  return all
    .slice(0, all.indexOf(construct))
    .find(
      (other) =>
        other.service.config.host === host && other.service.config.provider === construct.service.config.provider,
    );
}

/**
 * A failed host, fenced: its nova-compute service forced down (Nova stops waiting for the
 * heartbeat timeout, so its servers can be evacuated) and, by default, disabled.
 *
 * ```ts
 * new FailedHost(stack, 'cmp07', { host: 'cmp-07', reason: 'INC-4711: BMC power-off confirmed' });
 * ```
 */
export class FailedHost extends HostConstruct {
  constructor(scope: Construct, id: string, props: FailedHostProps) {
    const disable = props.disable ?? true;
    super(
      scope,
      id,
      'FailedHost',
      props,
      {
        forcedDown: true,
        fencedReason: props.reason,
        disabled: disable,
        ...(props.disabledReason === undefined ? {} : { disabledReason: props.disabledReason }),
      },
      (where) => [
        ...reasonProblems(where, 'reason', props.reason, FENCED_REASON_MAX, 'INC-4711: BMC power-off confirmed'),
        ...(props.disabledReason === undefined
          ? []
          : reasonProblems(where, 'disabledReason', props.disabledReason, DISABLED_REASON_MAX, 'INC-4711')),
        ...(props.disabledReason !== undefined && !disable
          ? [
              `${where}: disabledReason is set but disable is false; received disabledReason ${quote(props.disabledReason)}. Fix: remove disabledReason, or set disable: true (Nova keeps a reason only for disabled services).`,
            ]
          : []),
      ],
    );
  }
}

/** A host in maintenance: disabled (the scheduler places nothing on it), not forced down. */
export class MaintenanceHost extends HostConstruct {
  constructor(scope: Construct, id: string, props: MaintenanceHostProps) {
    super(
      scope,
      id,
      'MaintenanceHost',
      props,
      { forcedDown: false, disabled: true, disabledReason: props.reason },
      (where) => reasonProblems(where, 'reason', props.reason, DISABLED_REASON_MAX, 'CHG-1234: firmware upgrade'),
    );
  }
}

/** A healthy host: forced_down cleared and enabled (where a repaired host returns). */
export class HealthyHost extends HostConstruct {
  constructor(scope: Construct, id: string, props: HealthyHostProps) {
    super(scope, id, 'HealthyHost', props, { forcedDown: false, disabled: false }, () => []);
  }
}
