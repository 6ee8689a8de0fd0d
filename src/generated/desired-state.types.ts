/* Generated from schemas/desired-state.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * What is true of the host: `failed` (fenced; forced down), `maintenance` (disabled, not forced down) or `healthy` (up and enabled).
 *
 * This interface was referenced by `DesiredState`'s JSON-Schema
 * via the `definition` "host".
 */
export type DesiredHost = Host;
/**
 * A Nova service host name (RFC 1123 host name, 1-255 characters).
 *
 * This interface was referenced by `DesiredState`'s JSON-Schema
 * via the `definition` "hostName".
 */
export type HostName = string;
/**
 * This interface was referenced by `DesiredState`'s JSON-Schema
 * via the `definition` "text255".
 */
export type Text255 = string;

/**
 * The desired state of compute hosts, as infrastructure: which hosts are failed (fenced and forced down), in maintenance (disabled) or healthy (up and enabled). forcedown's cdktf app (cdktf.json, src/iac) synthesizes one Terraform stack from it; `cdktf deploy` applies it through the forcedown provider. Hosts not listed are left alone. Secrets never go here: credentials come from OS_* variables or clouds.yaml/secure.yaml.
 */
export interface DesiredState {
  /**
   * Path or URL of this schema, for editors.
   */
  $schema?: string;
  /**
   * Free text about this desired state.
   */
  description?: string;
  /**
   * Name of the CDKTF stack (`cdktf deploy <stack>`). Defaults to `forcedown`.
   */
  stack?: string;
  /**
   * Where Terraform keeps the state of this stack (local backend), relative to this file's directory or absolute. Defaults to cdktf's `terraform.<stack>.tfstate` in the directory cdktf runs in.
   */
  statePath?: string;
  provider?: DesiredStateProvider;
  /**
   * One entry per nova-compute service host (the `host` field of `forcedown services`).
   */
  hosts: {
    [k: string]: DesiredHost;
  };
}
/**
 * Arguments of the forcedown provider (terraform-provider-openstack's names, camelCased). All optional: unset ones come from OS_* variables and clouds.yaml. Secrets (password, token, applicationCredentialSecret) are not accepted here: use OS_PASSWORD / OS_TOKEN / OS_APPLICATION_CREDENTIAL_SECRET or secure.yaml.
 *
 * This interface was referenced by `DesiredState`'s JSON-Schema
 * via the `definition` "provider".
 */
export interface DesiredStateProvider {
  /**
   * Entry of clouds.yaml to use (else OS_CLOUD).
   */
  cloud?: string;
  /**
   * Keystone v3 URL.
   */
  authUrl?: string;
  userName?: string;
  userId?: string;
  /**
   * Project name.
   */
  tenantName?: string;
  /**
   * Project id.
   */
  tenantId?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  domainName?: string;
  region?: string;
  endpointType?: 'public' | 'publicURL' | 'internal' | 'internalURL' | 'admin' | 'adminURL';
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  /**
   * Skip TLS verification (testing only).
   */
  insecure?: boolean;
  /**
   * PEM CA bundle for the OpenStack endpoints.
   */
  cacertFile?: string;
}
export interface Host {
  /**
   * failed, maintenance or healthy.
   */
  state: 'failed' | 'maintenance' | 'healthy';
}
/**
 * The host is fenced (powered off and read back, or cut from the network): force its nova-compute service down so its servers can be evacuated.
 *
 * This interface was referenced by `DesiredState`'s JSON-Schema
 * via the `definition` "failedHost".
 */
export interface FailedHostState {
  state: 'failed';
  /**
   * How the host was fenced, e.g. `INC-4711: BMC power-off confirmed`. The recorded assertion that makes forcing it down safe.
   */
  fencedReason: string;
  /**
   * Also disable the service. Defaults to true.
   */
  disable?: boolean;
  /**
   * Disabled reason (1-255 characters). Defaults to `forcedown: fenced: <fencedReason>`.
   */
  disabledReason?: string;
}
/**
 * The host is in maintenance: disabled (no new servers), not forced down.
 *
 * This interface was referenced by `DesiredState`'s JSON-Schema
 * via the `definition` "maintenanceHost".
 */
export interface MaintenanceHostState {
  state: 'maintenance';
  /**
   * Why it is disabled (1-255 characters), e.g. `CHG-1234: firmware upgrade`.
   */
  reason: string;
}
/**
 * The host is healthy: forced_down cleared, enabled.
 *
 * This interface was referenced by `DesiredState`'s JSON-Schema
 * via the `definition` "healthyHost".
 */
export interface HealthyHostState {
  state: 'healthy';
}
