/**
 * The `forcedown` provider's configuration: the argument names terraform-provider-openstack users
 * know. Every argument is optional; what is unset comes from `OS_*` variables and clouds.yaml /
 * secure.yaml as openstacksdk reads them (forcedown's OpenStack client), and what is set wins.
 */
import type { BlockSpec } from './schema.js';

/** Provider type name (`provider "forcedown" {}`, resource prefix `forcedown_`). */
export const PROVIDER_NAME = 'forcedown';

/** Accepted `endpoint_type` values and the interface each selects. */
export const ENDPOINT_TYPES: Readonly<Record<string, 'public' | 'internal' | 'admin'>> = {
  public: 'public',
  publicURL: 'public',
  internal: 'internal',
  internalURL: 'internal',
  admin: 'admin',
  adminURL: 'admin',
};

export const providerAttributes = {
  /**
   * The clouds.yaml entry to use.
   * @default `OS_CLOUD`
   */
  cloud: {
    type: 'string',
    optional: true,
    description: 'Entry of clouds.yaml (and secure.yaml) to use. Defaults to `OS_CLOUD`.',
  },
  /**
   * Keystone v3 URL.
   * @default `OS_AUTH_URL` or the cloud entry's
   */
  authUrl: {
    type: 'string',
    optional: true,
    description: 'Keystone v3 URL. Defaults to `OS_AUTH_URL` or the cloud entry.',
  },
  /**
   * User name for password auth.
   * @default `OS_USERNAME` or the cloud entry's
   */
  userName: { type: 'string', optional: true, description: 'User name (password auth). Defaults to `OS_USERNAME`.' },
  /**
   * User id for password auth.
   * @default `OS_USER_ID` or the cloud entry's
   */
  userId: { type: 'string', optional: true, description: 'User id (password auth). Defaults to `OS_USER_ID`.' },
  /**
   * Password. Prefer `OS_PASSWORD` or secure.yaml: a value here ends up in your configuration.
   * @default `OS_PASSWORD` or the cloud entry's
   */
  password: {
    type: 'string',
    optional: true,
    sensitive: true,
    description: 'Password. Prefer `OS_PASSWORD` or secure.yaml over writing it in configuration.',
  },
  /**
   * Project name (Keystone v2 called projects tenants).
   * @default `OS_PROJECT_NAME`/`OS_TENANT_NAME` or the cloud entry's
   */
  tenantName: {
    type: 'string',
    optional: true,
    description: 'Project name. Defaults to `OS_PROJECT_NAME` / `OS_TENANT_NAME`.',
  },
  /**
   * Project id.
   * @default `OS_PROJECT_ID`/`OS_TENANT_ID` or the cloud entry's
   */
  tenantId: {
    type: 'string',
    optional: true,
    description: 'Project id. Defaults to `OS_PROJECT_ID` / `OS_TENANT_ID`.',
  },
  /**
   * Domain name of the user.
   * @default `OS_USER_DOMAIN_NAME` or the cloud entry's
   */
  userDomainName: {
    type: 'string',
    optional: true,
    description: 'Domain name of the user. Defaults to `OS_USER_DOMAIN_NAME`.',
  },
  /**
   * Domain id of the user.
   * @default `OS_USER_DOMAIN_ID` or the cloud entry's
   */
  userDomainId: {
    type: 'string',
    optional: true,
    description: 'Domain id of the user. Defaults to `OS_USER_DOMAIN_ID`.',
  },
  /**
   * Domain name of the project.
   * @default `OS_PROJECT_DOMAIN_NAME` or the cloud entry's
   */
  projectDomainName: {
    type: 'string',
    optional: true,
    description: 'Domain name of the project. Defaults to `OS_PROJECT_DOMAIN_NAME`.',
  },
  /**
   * Domain id of the project.
   * @default `OS_PROJECT_DOMAIN_ID` or the cloud entry's
   */
  projectDomainId: {
    type: 'string',
    optional: true,
    description: 'Domain id of the project. Defaults to `OS_PROJECT_DOMAIN_ID`.',
  },
  /**
   * Domain to scope to (instead of a project).
   * @default `OS_DOMAIN_NAME` or the cloud entry's
   */
  domainName: {
    type: 'string',
    optional: true,
    description: 'Domain to scope the token to. Defaults to `OS_DOMAIN_NAME`.',
  },
  /**
   * Region of the compute endpoint.
   * @default `OS_REGION_NAME`, else the only region of the catalog
   */
  region: {
    type: 'string',
    optional: true,
    description: 'Region of the compute endpoint. Defaults to `OS_REGION_NAME`, else the only region in the catalog.',
  },
  /**
   * Endpoint interface: `public`, `internal` or `admin` (the `…URL` forms are accepted).
   * @default `OS_INTERFACE`/`OS_ENDPOINT_TYPE`, else `public`
   */
  endpointType: {
    type: 'string',
    optional: true,
    description:
      'Endpoint interface: `public`, `internal` or `admin` (`publicURL`... accepted). Defaults to `OS_INTERFACE` / `OS_ENDPOINT_TYPE`, else `public`.',
  },
  /**
   * Application credential id.
   * @default `OS_APPLICATION_CREDENTIAL_ID` or the cloud entry's
   */
  applicationCredentialId: {
    type: 'string',
    optional: true,
    description: 'Application credential id. Defaults to `OS_APPLICATION_CREDENTIAL_ID`.',
  },
  /**
   * Application credential name (with `userName`/`userId`).
   * @default `OS_APPLICATION_CREDENTIAL_NAME` or the cloud entry's
   */
  applicationCredentialName: {
    type: 'string',
    optional: true,
    description:
      'Application credential name (with `user_name` or `user_id`). Defaults to `OS_APPLICATION_CREDENTIAL_NAME`.',
  },
  /**
   * Application credential secret. Prefer `OS_APPLICATION_CREDENTIAL_SECRET` or secure.yaml.
   * @default `OS_APPLICATION_CREDENTIAL_SECRET` or the cloud entry's
   */
  applicationCredentialSecret: {
    type: 'string',
    optional: true,
    sensitive: true,
    description: 'Application credential secret. Prefer `OS_APPLICATION_CREDENTIAL_SECRET` or secure.yaml.',
  },
  /**
   * A Keystone token to use instead of credentials.
   * @default `OS_TOKEN` or the cloud entry's
   */
  token: {
    type: 'string',
    optional: true,
    sensitive: true,
    description: 'A Keystone token to use instead of credentials. Defaults to `OS_TOKEN`.',
  },
  /**
   * Skip TLS verification of the OpenStack endpoints (testing only).
   * @default false (`OS_INSECURE`)
   */
  insecure: {
    type: 'bool',
    optional: true,
    description: 'Skip TLS verification (testing only). Defaults to `OS_INSECURE`, else false.',
  },
  /**
   * PEM CA bundle trusted for the OpenStack endpoints.
   * @default `OS_CACERT` or the cloud entry's
   */
  cacertFile: {
    type: 'string',
    optional: true,
    description: 'PEM CA bundle for the OpenStack endpoints. Defaults to `OS_CACERT`.',
  },
} as const;

/**
 * The `coordination { ... }` block: forcedown's etcd coordination (schemas/coordination.schema.json;
 * FORCEDOWN_ETCD_* variables override it field by field). With it, plan refuses a host a run holds
 * in etcd, and apply holds `<prefix>/<region>/hosts/<host>` while it changes the host.
 */
export const coordinationBlockAttributes = {
  endpoints: {
    type: { listOf: 'string' },
    required: true,
    description: 'etcd client URLs (`https://etcd1:2379`...), all members of the cluster.',
  },
  prefix: { type: 'string', optional: true, description: 'Key prefix. Defaults to `/forcedown`.' },
  region: {
    type: 'string',
    optional: true,
    description:
      "Region name in the keys; set it to the runs' region. Defaults to the provider's `region` argument, else `default`.",
  },
  leaseTtl: {
    type: 'number',
    optional: true,
    description: 'TTL in seconds of the lease holding the lock during an apply. Defaults to 10.',
  },
  timeout: { type: 'number', optional: true, description: 'Deadline of one etcd request, in seconds. Defaults to 5.' },
  caFile: { type: 'string', optional: true, description: "PEM CA bundle of etcd's server certificates." },
  certFile: { type: 'string', optional: true, description: 'PEM client certificate (needs `key_file`).' },
  keyFile: { type: 'string', optional: true, description: 'PEM client key, mode 0600 (needs `cert_file`).' },
  username: { type: 'string', optional: true, description: 'etcd user (needs `password_env` or `password_file`).' },
  passwordEnv: { type: 'string', optional: true, description: 'Environment variable holding the etcd password.' },
  passwordFile: { type: 'string', optional: true, description: 'File (mode 0600) holding the etcd password.' },
} as const;

export const providerSchema = {
  typeName: PROVIDER_NAME,
  version: 0,
  description:
    'forcedown: Nova compute service state (forced_down, disabled) as infrastructure. Credentials as terraform-provider-openstack: arguments, else `OS_*` variables and clouds.yaml.',
  attributes: providerAttributes,
  blocks: {
    coordination: {
      description:
        'Coordination on etcd, as runs use it (README "Coordination (etcd)"): a host locked by a run fails plan and apply.',
      attributes: coordinationBlockAttributes,
    },
  },
} as const satisfies BlockSpec;
