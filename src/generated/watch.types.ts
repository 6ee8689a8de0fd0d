/* Generated from schemas/watch.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * Cloud from clouds.yaml (default: OS_CLOUD, else OS_* variables). Credentials never go here.
 */
export type WatchName = string;
/**
 * Region of the cloud's catalog (default: OS_REGION_NAME, else the cloud's region_name).
 */
export type WatchName1 = string;
/**
 * Time between two polls of os-services (default 5s).
 */
export type WatchDuration = string;
/**
 * A compute whose heartbeat (updated_at) is older than this on Nova's clock counts as stale, even before Nova calls it down (default 30s).
 */
export type WatchDuration1 = string;
/**
 * Nova's report_interval as set in nova.conf (default 10s, Nova's default): nova-compute heartbeats this often. It must match nova.conf: the stale-fraction breaker counts a compute whose heartbeat is older than staleAfter - heartbeatInterval - 1s as missing a heartbeat, so computes whose heartbeats all stopped together (nova-conductor down) trip it before the oldest is confirmed. staleAfter must be at least 2 x heartbeatInterval + 2s.
 */
export type WatchDuration2 = string;
/**
 * How long the watcher lets a host's liveness probe (the inventory's probe entry) take before its answer counts as silent (default: the slowest probe's timeoutSec plus 0.5s, at least 2s).
 */
export type WatchDuration3 = string;
/**
 * Recoveries in flight at once (default 2).
 */
export type WatchLimit = number;
/**
 * Recoveries started in any hour (default 5).
 */
export type WatchLimit1 = number;
/**
 * This interface was referenced by `WatchConfig`'s JSON-Schema
 * via the `definition` "limit".
 */
export type WatchLimit2 = number;
/**
 * After any breaker trip (stale-fraction, control-plane-down, self-check), act on no host until every breaker has been clear this long, and count host candidates again from zero (default staleAfter + heartbeatInterval): heartbeats resume up to one heartbeatInterval apart, so the last compute to resume is not a failed host.
 */
export type WatchDuration4 = string;
/**
 * After a recovery run of the watcher's for a host did not succeed (fence or force-down failed, refused, evacuation failed, run could not start), no new run for that host until this long after the failed run ended (default 10m): no power-off attempt and no page at every poll. Read from the run's journal (run.finished), so it holds across a restart of the watcher. Logged once per failed run, shown by --once and in forcedown_watch_hosts_cooling_down.
 */
export type WatchDuration5 = string;
/**
 * A firing alert Alertmanager does not repeat for this long is dropped (default 1h; keep it above Alertmanager's repeat_interval).
 */
export type WatchDuration6 = string;
/**
 * How long the same trip (reason and host) stays quiet after it was sent (default 1h).
 */
export type WatchDuration7 = string;
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
 * This interface was referenced by `WatchConfig`'s JSON-Schema
 * via the `definition` "name".
 */
export type WatchName2 = string;
/**
 * A duration of more than zero: a number with a unit (500ms, 30s, 5m, 1h).
 *
 * This interface was referenced by `WatchConfig`'s JSON-Schema
 * via the `definition` "duration".
 */
export type WatchDuration8 = string;

/**
 * Configuration of `forcedown watch`: the always-on recovery service. It polls Nova's os-services once per interval, confirms a failed compute over several polls (or takes a firing alert), applies the guards, then recovers the host with an ordinary run of the configured runbook. Relative paths are relative to this file.
 */
export interface WatchConfig {
  $schema?: string;
  cloud?: WatchName;
  region?: WatchName1;
  /**
   * Endpoint interface (default: OS_INTERFACE, else public).
   */
  interface?: 'public' | 'internal' | 'admin';
  /**
   * CA bundle (PEM) that verifies the cloud's TLS certificates.
   */
  cacert?: string;
  /**
   * Do not verify the cloud's TLS certificate (warns; prefer cacert).
   */
  insecure?: boolean;
  interval?: WatchDuration;
  staleAfter?: WatchDuration1;
  heartbeatInterval?: WatchDuration2;
  /**
   * Consecutive polls a compute must stay a candidate before it is recovered (default 2).
   */
  confirmSamples?: number;
  /**
   * act: recover confirmed hosts. observe: log and count what it would do, act on nothing (default act).
   */
  mode?: 'act' | 'observe';
  /**
   * Runbook run for each host (default runbooks/host-failure.json); it gets the param host.
   */
  runbook?: string;
  /**
   * Further runbook params, as --var NAME=VALUE would give them.
   */
  vars?: {
    [k: string]: string | number | boolean;
  };
  /**
   * Inventory file with every watched host's BMC (schemas/inventory.schema.json).
   */
  inventory?: string;
  /**
   * State directory (journals, locks, watch/runs.json; default FORCEDOWN_STATE_DIR, else ~/.local/state/forcedown).
   */
  stateDir?: string;
  probeTimeout?: WatchDuration3;
  guards?: WatchGuards;
  /**
   * How the watcher treats the recovery runs it starts.
   */
  recovery?: {
    failedCooldown?: WatchDuration5;
  };
  /**
   * host:port of the HTTP server for /metrics, /healthz, /readyz and the alert intake (default 127.0.0.1:9464). A host other than loopback exposes them: put a proxy with TLS in front.
   */
  listen?: string;
  alerts?: WatchAlerts;
  /**
   * A webhook told of every guard trip (breakers, caps, held hosts, probe vetoes): a JSON POST {source, event: "watch.guard-trip", reason, host, message, at}, the same reason and host at most once per repeatAfter. https, or http to loopback only; no credentials in the URL.
   */
  notify?: {
    /**
     * The webhook's URL.
     */
    url: string;
    /**
     * Environment variable holding a bearer token sent as Authorization: Bearer (never logged).
     */
    tokenEnv?: string;
    repeatAfter?: WatchDuration7;
  };
  coordination?: Coordination;
}
/**
 * Checked every cycle before any fence; each trip is logged, counted (forcedown_watch_guard_trips_total) and reported.
 *
 * This interface was referenced by `WatchConfig`'s JSON-Schema
 * via the `definition` "guards".
 */
export interface WatchGuards {
  /**
   * Breaker: when at least this fraction of the enabled computes is stale at once, act on none (a network or control-plane fault, not host failures). Default 0.5.
   */
  maxStaleFraction?: number;
  maxConcurrentRecoveries?: WatchLimit;
  maxRecoveriesPerHour?: WatchLimit1;
  /**
   * Most recoveries at once per availability zone, by zone name.
   */
  zoneLimits?: {
    [k: string]: WatchLimit2;
  };
  /**
   * Host groups (as your Nova aggregates) with their limit of recoveries at once.
   */
  aggregates?: {
    [k: string]: {
      /**
       * @minItems 1
       */
      hosts: [string, ...string[]];
      maxConcurrent: WatchLimit2;
    };
  };
  /**
   * A disabled compute is left alone unless its disabled_reason matches this regular expression (default: always left alone).
   */
  disabledReasonPattern?: string;
  /**
   * Self-check: after one of the watcher's own API calls failed, this many good polls before it acts again (default 3).
   */
  recoverAfterSamples?: number;
  settleAfterTrip?: WatchDuration4;
}
/**
 * Alertmanager webhook intake (payload version 4), served on listen at path: firing alerts name a host that joins the candidates (no confirmSamples: the alert rule's for: confirms it) and goes through every guard and the liveness probe. A resolved alert (same fingerprint) removes it.
 *
 * This interface was referenced by `WatchConfig`'s JSON-Schema
 * via the `definition` "alerts".
 */
export interface WatchAlerts {
  /**
   * Alert label holding the Nova host name (default host).
   */
  hostLabel?: string;
  /**
   * Regular expression the label value must match; its first capture group (else the whole match) is the Nova host, e.g. ^([^.:]+) strips a domain and a port. Alerts that do not match are ignored (default: the value as it is).
   */
  hostPattern?: string;
  /**
   * Request path Alertmanager posts to (default /api/v1/alerts).
   */
  path?: string;
  /**
   * Bearer token Alertmanager must send (http_config.authorization); from an environment variable or a 0600 file (relative to this file), never in this file.
   */
  token: WatchTokenFromEnv | WatchTokenFromFile;
  expireAfter?: WatchDuration6;
  /**
   * Largest request body accepted (default 262144).
   */
  maxBodyBytes?: number;
  /**
   * Most firing alerts tracked at once; more are ignored and counted (default 10000).
   */
  maxTracked?: number;
  /**
   * Per client address: a bucket of burst requests refilled at perMinute (default 20, 120).
   */
  rateLimit?: {
    burst: number;
    perMinute: number;
  };
}
export interface WatchTokenFromEnv {
  env: string;
}
export interface WatchTokenFromFile {
  file: string;
}
/**
 * etcd coordination: the watchers of a region elect a leader (only it polls and acts, a follower takes over the runs of a dead leader) and their runs take etcd host locks and mirror their journal.
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
