/**
 * `forcedown_compute_service`: the desired state of one nova-compute service. The single
 * definition behind the provider's schema and the `ComputeService` construct's props.
 */
import { DISABLED_REASON_MAX } from '../../hostops/marker.js';
import type { BlockSpec } from './schema.js';

export { DISABLED_REASON_MAX };

/** The only service binary Nova lets clients update. */
export const NOVA_COMPUTE = 'nova-compute';

/** Prefix of the disabled reasons forcedown writes when none is configured. */
export const REASON_PREFIX = 'forcedown:';

export const computeServiceAttributes = {
  /**
   * The service's UUID in Nova (compute API microversion 2.53 and later).
   * Read-only.
   */
  id: {
    type: 'string',
    computed: true,
    useStateForUnknown: true,
    description: 'The service UUID Nova gives the compute service (microversion 2.53+).',
  },
  /**
   * The host name of the compute service, as `openstack compute service list` shows it (not the
   * hypervisor hostname). Changing it replaces the resource: the old host is restored (up,
   * enabled), the new one takes the declared state.
   */
  host: {
    type: 'string',
    required: true,
    forceNew: true,
    description:
      'Host of the compute service, as `openstack compute service list` shows it. Changing it replaces the resource.',
  },
  /**
   * The service binary. Nova only lets clients update `nova-compute` services.
   * @default 'nova-compute'
   */
  binary: {
    type: 'string',
    optional: true,
    computed: true,
    forceNew: true,
    default: 'nova-compute',
    description: 'Service binary; Nova only allows updating `nova-compute`.',
  },
  /**
   * Nova's `forced_down` flag: tells Nova the host is down now, without waiting for the heartbeat
   * timeout, so its servers can be evacuated. Only true when the host is fenced (powered off or
   * cut from the network): setting it on a live host risks corrupting its servers. Requires
   * `fencedReason`.
   * @default false
   */
  forcedDown: {
    type: 'bool',
    optional: true,
    computed: true,
    default: false,
    description:
      "Nova's `forced_down` flag. Only set it once the host is fenced (powered off or cut from the network); requires `fenced_reason`. Clearing it can fail until nova-compute has restarted on the host after evacuations.",
  },
  /**
   * How the host was fenced (e.g. `INC-4711: BMC power-off confirmed by ops`): the recorded
   * assertion that makes `forcedDown = true` safe. Required when `forcedDown` is true; written
   * into the default disabled reason.
   * @default none
   */
  fencedReason: {
    type: 'string',
    optional: true,
    description:
      'How the host was fenced: the recorded assertion that makes `forced_down = true` safe. Required when `forced_down` is true; becomes part of the default `disabled_reason`.',
  },
  /**
   * Whether the service is disabled (the scheduler places no new servers on it).
   * @default false
   */
  disabled: {
    type: 'bool',
    optional: true,
    computed: true,
    default: false,
    description: 'Whether the service is disabled (the scheduler places no new servers on the host).',
  },
  /**
   * Why the service is disabled (1 to 255 characters). Only valid with `disabled = true`.
   * @default `forcedown: fenced: <fencedReason>` when forced down, else `forcedown: disabled by terraform`
   */
  disabledReason: {
    type: 'string',
    optional: true,
    computed: true,
    description:
      'Why the service is disabled (1 to 255 characters); only valid with `disabled = true`. Defaults to `forcedown: fenced: <fenced_reason>` when forced down, else `forcedown: disabled by terraform`.',
  },
  /**
   * Overrides the one-run-per-host lock: the operator's reason why changing a host that a
   * forcedown run holds (its `[forcedown:<run-id>]` marker in Nova) is safe. Recorded in the
   * disabled reason and in a warning. Without it, plan and apply of a held host fail.
   * @default none
   */
  breakLock: {
    type: 'string',
    optional: true,
    description:
      'Why it is safe to change a host a forcedown run holds (its `[forcedown:<run-id>]` marker in the disabled reason); recorded in the disabled reason. Without it, plan and apply of a held host fail.',
  },
  /** `up` or `down` as Nova reports it (forced down services are `down`). Read-only. */
  state: {
    type: 'string',
    computed: true,
    description: '`up` or `down`, as Nova reports it (a forced-down service is `down`).',
  },
  /** The availability zone of the host. Read-only. */
  zone: {
    type: 'string',
    computed: true,
    useStateForUnknown: true,
    description: 'Availability zone of the host.',
  },
} as const;

export const computeServiceResource = {
  typeName: 'forcedown_compute_service',
  version: 0,
  description:
    'The state of one nova-compute service: forced down (the host is fenced), disabled, or up and enabled. Destroying it restores the service to up and enabled; it never deletes the service from Nova.',
  attributes: computeServiceAttributes,
} as const satisfies BlockSpec;
