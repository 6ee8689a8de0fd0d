/* Generated from schemas/coordination.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * This interface was referenced by `Coordination`'s JSON-Schema
 * via the `definition` "endpoint".
 */
export type EtcdEndpoint = string;
/**
 * Region name in the keys (default: the cloud's region, OS_REGION_NAME or clouds.yaml region_name, else "default"). Runs and watchers of one region must use the same.
 */
export type CoordinationName = string;
/**
 * This interface was referenced by `Coordination`'s JSON-Schema
 * via the `definition` "secretSource".
 */
export type EtcdPasswordSource = EtcdPasswordFromEnv | EtcdPasswordFromFile;
/**
 * This interface was referenced by `Coordination`'s JSON-Schema
 * via the `definition` "name".
 */
export type CoordinationName1 = string;

/**
 * forcedown's coordination across machines on etcd (v3 API, etcd >= 3.4): host locks on a lease, the run journal mirrored for resume from any machine, leader election of watchers. One definition, used by a runbook's "coordination", watch.json's "coordination" and the Terraform provider's coordination block. Environment variables (FORCEDOWN_ETCD_*) and --etcd override its fields. Without it (and without FORCEDOWN_ETCD_ENDPOINTS / --etcd) nothing is coordinated: the local lock file is the lock.
 */
export interface Coordination {
  /**
   * etcd client URLs (http:// or https://, scheme, host and port only), e.g. ["https://etcd1:2379", "https://etcd2:2379", "https://etcd3:2379"]. All members of the cluster, so that losing one is ridden out.
   *
   * @minItems 1
   */
  endpoints: [EtcdEndpoint, ...EtcdEndpoint[]];
  /**
   * Key prefix of every forcedown key (default "/forcedown"). Keys are <prefix>/<region>/hosts/<host>, <prefix>/<region>/runs/<run-id>/..., <prefix>/<region>/election/...
   */
  prefix?: string;
  region?: CoordinationName;
  /**
   * TTL of the lease that holds a run's host locks and a watcher's leadership, in seconds (default 10). A holder that dies loses its locks after at most this long.
   */
  leaseTtl?: number;
  /**
   * Deadline of one etcd request, and of connecting, in seconds (default 5).
   */
  timeout?: number;
  tls?: EtcdTls;
  auth?: EtcdAuth;
}
/**
 * TLS for https:// endpoints: the CA that signed etcd's server certificates, and a client certificate + key when etcd requires them (--client-cert-auth). Paths are relative to the file that names them. The key file must not be readable by others.
 *
 * This interface was referenced by `Coordination`'s JSON-Schema
 * via the `definition` "tls".
 */
export interface EtcdTls {
  /**
   * PEM file of the CA bundle.
   */
  ca?: string;
  /**
   * PEM file of the client certificate (needs key).
   */
  cert?: string;
  /**
   * PEM file of the client key (mode 0600; needs cert).
   */
  key?: string;
}
/**
 * etcd user + password authentication. The password comes from an environment variable or a 0600 file, never from the file itself or a command line.
 *
 * This interface was referenced by `Coordination`'s JSON-Schema
 * via the `definition` "auth".
 */
export interface EtcdAuth {
  username: string;
  password: EtcdPasswordSource;
}
export interface EtcdPasswordFromEnv {
  /**
   * Environment variable holding the password.
   */
  env: string;
}
export interface EtcdPasswordFromFile {
  /**
   * File holding the password (first line; mode 0600, a regular file).
   */
  file: string;
}
