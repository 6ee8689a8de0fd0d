/** `forcedown_compute_services` data source: the compute services Nova reports. */
import type { BlockSpec } from './schema.js';

/** The attributes of each element of `services`. */
export const computeServiceElement = {
  id: 'string',
  host: 'string',
  binary: 'string',
  zone: 'string',
  status: 'string',
  state: 'string',
  forcedDown: 'bool',
  disabled: 'bool',
  disabledReason: 'string',
  updatedAt: 'string',
} as const;

export const computeServicesAttributes = {
  /** Identifies the query: `<binary>@<host>`, or `<binary>@*` for all hosts. Read-only. */
  id: { type: 'string', computed: true, description: 'Identifies the query: `<binary>@<host>` or `<binary>@*`.' },
  /**
   * Only the services of this host.
   * @default all hosts
   */
  host: { type: 'string', optional: true, description: 'Only the service(s) of this host.' },
  /**
   * Only services with this binary.
   * @default 'nova-compute'
   */
  binary: {
    type: 'string',
    optional: true,
    computed: true,
    default: 'nova-compute',
    description: 'Only services with this binary.',
  },
  /** The services, sorted by host. Read-only. */
  services: {
    type: { list: computeServiceElement },
    computed: true,
    description:
      'The services, sorted by host: `id`, `host`, `binary`, `zone`, `status` (enabled/disabled), `state` (up/down), `forced_down`, `disabled`, `disabled_reason`, `updated_at`.',
  },
} as const;

export const computeServicesDataSource = {
  typeName: 'forcedown_compute_services',
  version: 0,
  description: 'Lists Nova compute services with their forced_down, disabled and up/down state.',
  attributes: computeServicesAttributes,
} as const satisfies BlockSpec;
