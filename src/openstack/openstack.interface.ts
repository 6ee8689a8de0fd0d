/**
 * The contract of forcedown's OpenStack client: what the steps, the CLI and the Terraform
 * provider rely on. Implementations live beside this file (config loader, Keystone session,
 * Nova compute API, Glance image lookups). Facts about the APIs: ../shared/reference/nova-anchors.md
 * and the testbed's api-transcript.md.
 */

import type { WaitNoticeBase } from '../wait-notices.js';

/** The auth methods forcedown supports (openstacksdk's `auth_type` names, normalised). */
export type AuthType = 'password' | 'v3applicationcredential' | 'token';

/** Endpoint interface to pick from the service catalog. */
export type EndpointInterface = 'public' | 'internal' | 'admin';

/** Credentials and scope, as in clouds.yaml's `auth:` section (camelCased). */
export interface CloudAuth {
  readonly authUrl: string;
  readonly username?: string;
  readonly userId?: string;
  readonly password?: string;
  readonly userDomainName?: string;
  readonly userDomainId?: string;
  readonly projectName?: string;
  readonly projectId?: string;
  readonly projectDomainName?: string;
  readonly projectDomainId?: string;
  /** Domain scope (instead of a project). */
  readonly domainName?: string;
  readonly domainId?: string;
  readonly applicationCredentialId?: string;
  readonly applicationCredentialName?: string;
  readonly applicationCredentialSecret?: string;
  readonly token?: string;
}

/** One cloud's resolved settings (clouds.yaml + secure.yaml + OS_* variables, openstacksdk rules). */
export interface CloudConfig {
  /** The clouds.yaml entry used; `envvars` when built from OS_* variables only. */
  readonly cloudName: string;
  readonly authType: AuthType;
  readonly auth: CloudAuth;
  /** @defaultValue the only region in the catalog, else an error listing them */
  readonly regionName?: string;
  /** @defaultValue `'public'` */
  readonly interface: EndpointInterface;
  /** Path of a PEM CA bundle trusted in addition to the system CAs. */
  readonly cacert?: string;
  /** TLS verification; false only when the user asked for `insecure`. @defaultValue `true` */
  readonly verify: boolean;
  /** A pinned compute microversion (`OS_COMPUTE_API_VERSION`), if any. */
  readonly computeApiVersion?: string;
  /**
   * Time limits the user set (clouds.yaml `api_timeout`, `FORCEDOWN_CONNECT_TIMEOUT`,
   * `FORCEDOWN_API_TIMEOUT`, `FORCEDOWN_API_BUDGET`); they win over a command's defaults.
   */
  readonly deadlines?: Partial<RequestDeadlines>;
  /** Where the settings came from (file paths, "environment"), for messages. */
  readonly sources: readonly string[];
}

/**
 * How long one API call may take. Every attempt has a connect and a response timeout; retries
 * (idempotent calls only) stop when the budget is spent, so a call ends within `budgetMs`.
 */
export interface RequestDeadlines {
  /** Opening the connection (TCP, and TLS for https). */
  readonly connectTimeoutMs: number;
  /** From the connection being open to the whole answer read (openstacksdk's `api_timeout`). */
  readonly responseTimeoutMs: number;
  /** One call, all its attempts and the delays between them. */
  readonly budgetMs: number;
}

/**
 * Said while a call waits (no answer yet, or retrying after failures), at least every 5 s, so
 * that no command is silent while it waits. Holds no token, body or credentials.
 */
export interface WaitNotice extends WaitNoticeBase {
  readonly service: 'keystone' | 'nova' | 'glance';
  readonly method: string;
  /** Origin and path of the request. */
  readonly target: string;
  /** The attempt under way (1-based). */
  readonly attempt: number;
  /** When the call gives up, counted from its start. */
  readonly budgetMs: number;
  /** Why the previous attempt failed (`ECONNREFUSED`, `HTTP 503`), while retrying. */
  readonly lastError?: string;
}

/** Options of `loadCloudConfig`. */
export interface LoadCloudConfigOptions {
  /** Cloud name from `--os-cloud`; @defaultValue `env.OS_CLOUD` */
  readonly cloud?: string;
  /** @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** First directory searched for clouds.yaml/secure.yaml. @defaultValue `process.cwd()` */
  readonly cwd?: string;
  /** Home directory (`~/.config/openstack`). @defaultValue `os.homedir()` */
  readonly home?: string;
  /** System directory. @defaultValue `/etc/openstack` */
  readonly etcDir?: string;
  /** Settings that win over files and environment (Terraform provider arguments). */
  readonly overrides?: Partial<Omit<CloudConfig, 'auth' | 'sources' | 'cloudName'>> & {
    readonly auth?: Partial<CloudAuth>;
    readonly cloudName?: string;
  };
  /** Receives configuration warnings (insecure with cacert, ignored credentials). @defaultValue a line on stderr */
  readonly warn?: (message: string) => void;
}

/** A nova-compute (or other) service record, normalised across microversions. */
export interface ComputeService {
  /** Service UUID at microversion >= 2.53; the integer id as a string below. */
  readonly id: string;
  readonly host: string;
  readonly binary: string;
  readonly zone: string;
  readonly status: 'enabled' | 'disabled';
  readonly state: 'up' | 'down';
  readonly forcedDown: boolean;
  readonly disabledReason: string | null;
  readonly updatedAt: string | null;
}

/** A server, with the admin-only host and state fields flattened. */
export interface Server {
  readonly id: string;
  readonly name: string;
  /** ACTIVE, SHUTOFF, ERROR, REBUILD, ... */
  readonly status: string;
  /** OS-EXT-STS:vm_state: active, stopped, error, paused, ... */
  readonly vmState: string;
  /** OS-EXT-STS:task_state, null when idle. */
  readonly taskState: string | null;
  /** OS-EXT-SRV-ATTR:host (the service host), null when unscheduled. */
  readonly host: string | null;
  readonly projectId: string;
  /** Embedded flavor (>= 2.47): name and extra specs (extra specs need admin). */
  readonly flavor: {
    readonly id?: string;
    readonly name?: string;
    readonly extraSpecs: Readonly<Record<string, string>>;
  };
  /** Image id, or null when booted from volume. */
  readonly imageId: string | null;
  readonly tags: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly updatedAt: string | null;
  /** The message of Nova's `fault` (set on servers in ERROR, e.g. "No valid host was found."), if any. */
  readonly fault?: string;
  /** `locked` (2.9+); undefined when the microversion does not show it. */
  readonly locked?: boolean;
  /** `locked_reason` (2.73+): why it was locked, null when no reason was given. */
  readonly lockedReason?: string | null;
}

/**
 * `migration.status` as Nova writes it (nova/compute, nova/conductor); `unknown` stands for a
 * status this version of forcedown does not know. What they mean for an evacuation:
 * `EVACUATION_IN_FLIGHT`, `EVACUATION_SUCCEEDED`, `EVACUATION_FAILED` (compute/vocabulary.ts).
 */
export type MigrationStatus =
  | 'accepted'
  | 'pre-migrating'
  | 'queued'
  | 'preparing'
  | 'running'
  | 'migrating'
  | 'post-migrating'
  | 'finished'
  | 'confirming'
  | 'confirmed'
  | 'reverting'
  | 'reverted'
  | 'done'
  | 'completed'
  | 'error'
  | 'failed'
  | 'cancelled'
  | 'unknown';

/** A migration record (os-migrations). */
export interface Migration {
  readonly id: number;
  readonly uuid?: string;
  readonly instanceUuid: string;
  /** evacuation, migration, live-migration, resize */
  readonly migrationType: string;
  readonly status: MigrationStatus;
  readonly sourceCompute: string | null;
  readonly destCompute: string | null;
  readonly createdAt: string;
  readonly updatedAt: string | null;
}

/** Filters of `listMigrations`. */
export interface MigrationFilter {
  readonly instanceUuid?: string;
  readonly sourceCompute?: string;
  readonly migrationType?: 'evacuation' | 'migration' | 'live-migration' | 'resize';
  readonly status?: MigrationStatus;
  /** ISO timestamp: only records changed since then. */
  readonly changesSince?: string;
}

/** A Glance image's evacuation-relevant metadata. */
export interface ImageInfo {
  readonly id: string;
  readonly tags: readonly string[];
  readonly properties: Readonly<Record<string, unknown>>;
}

/** A flavor's evacuation-relevant metadata. */
export interface FlavorInfo {
  readonly id: string;
  readonly name: string;
  readonly extraSpecs: Readonly<Record<string, string>>;
}

/**
 * Nova's clock as this machine sees it, measured from the `Date` header of Nova's answers (whole
 * seconds) and the local times each request was sent and answered: bounds, not a guess.
 */
export interface NovaClock {
  /**
   * The earliest Nova time that can correspond to local time `localMs`, or undefined before any
   * answer was measured. A record Nova creates after a request sent at `localMs` has a creation
   * time at or after this (minus Nova's truncation to whole seconds, which callers allow for).
   */
  earliest(localMs: number): number | undefined;
  /** The latest Nova time that can correspond to `localMs`, or undefined before any answer. */
  latest(localMs: number): number | undefined;
}

/** Per-call options. */
export interface CallOptions {
  /** Cancels the HTTP request (listr2's `task.signal`). */
  readonly signal?: AbortSignal;
}

/** The Nova compute API surface forcedown uses. Every method reads or changes real state. */
export interface ComputeApi {
  /** The cloud's supported range, from the version document (`GET /v2.1/`). */
  readonly versions: { readonly min: string; readonly max: string };
  /** The microversion used for os-services: '2.53' (by UUID) when available, else '2.11'. */
  readonly servicesMicroversion: string;
  /** The microversion used for evacuate (<= 2.94 when possible, so servers keep their power state). */
  readonly evacuateMicroversion: string;
  /** The microversion used to read servers (embedded flavor from 2.47, tags from 2.26). Optional so test fakes need not set it. */
  readonly serversMicroversion?: string;
  /** The microversion used for os-migrations (2.59+ for `uuid` and paging, >= 2.23 for `migration_type`). Optional so test fakes need not set it. */
  readonly migrationsMicroversion?: string;

  listServices(
    filter?: { readonly host?: string; readonly binary?: string },
    options?: CallOptions,
  ): Promise<ComputeService[]>;
  /** The nova-compute service of `host`; an input error (exit 2) naming the known hosts if none. */
  findComputeService(host: string, options?: CallOptions): Promise<ComputeService>;
  /** Sets forced_down (2.53 by UUID, else 2.11 force-down) and returns the service as Nova now reports it. */
  setForcedDown(service: ComputeService, forcedDown: boolean, options?: CallOptions): Promise<ComputeService>;
  /** Disables with a reason (2.53 status+disabled_reason, else 2.11 disable-log-reason). */
  disableService(service: ComputeService, reason: string, options?: CallOptions): Promise<ComputeService>;
  enableService(service: ComputeService, options?: CallOptions): Promise<ComputeService>;

  /** Every server on `host`, all projects, following pagination to the end. */
  listServersOnHost(host: string, options?: CallOptions & { readonly pageSize?: number }): Promise<Server[]>;
  getServer(id: string, options?: CallOptions): Promise<Server>;
  /**
   * Every server (all projects) whose record changed at or after `since` (ISO timestamp; Nova's
   * `changes-since`), following pagination to the end; `host` narrows it to one host. One call per
   * poll interval, whatever the number of servers in flight. Deleted servers are included (status
   * DELETED). Optional so test fakes need not implement it; the real client always does.
   */
  listServersChangedSince?(
    since: string,
    options?: CallOptions & { readonly host?: string; readonly pageSize?: number },
  ): Promise<Server[]>;
  /**
   * POST evacuate (body by microversion). Never retried: the caller confirms through os-migrations.
   * `onSharedStorage` is only sent below 2.14, where Nova requires it. @defaultValue `false`
   */
  evacuate(
    serverId: string,
    options?: CallOptions & { readonly targetHost?: string; readonly onSharedStorage?: boolean },
  ): Promise<void>;
  resetState(serverId: string, state: 'active' | 'error', options?: CallOptions): Promise<void>;
  stopServer(serverId: string, options?: CallOptions): Promise<void>;
  startServer(serverId: string, options?: CallOptions): Promise<void>;
  /**
   * Locks the server (a user's reboot, delete or rebuild is refused while it is locked). `reason`
   * is sent from 2.73 (Nova keeps it as `locked_reason`) and dropped below. Nova lets an admin
   * re-lock a server its owner locked, replacing the owner's lock: callers check `locked` first.
   */
  lockServer(serverId: string, options?: CallOptions & { readonly reason?: string }): Promise<void>;
  unlockServer(serverId: string, options?: CallOptions): Promise<void>;
  /** pause / suspend: Nova casts them to the server's compute, which sets the state once done. */
  pauseServer(serverId: string, options?: CallOptions): Promise<void>;
  suspendServer(serverId: string, options?: CallOptions): Promise<void>;
  /** Nova's clock, measured from its answers (see {@link NovaClock}). Optional so test fakes need not keep one. */
  readonly clock?: NovaClock;
  listMigrations(filter: MigrationFilter, options?: CallOptions): Promise<Migration[]>;
  getFlavor(id: string, options?: CallOptions): Promise<FlavorInfo>;
}

/** The Glance surface forcedown uses (evacuable image tags). */
export interface ImageApi {
  getImage(id: string, options?: CallOptions): Promise<ImageInfo>;
}

/** Counters for benchmarks and the secret scan. */
export interface ClientStats {
  /** HTTP requests sent (including retries and re-authentications). */
  readonly requests: number;
  readonly retries: number;
  readonly reauthentications: number;
}

/** A connected client: one Keystone session, the compute and image APIs. */
export interface OpenStackClient {
  readonly config: CloudConfig;
  readonly compute: ComputeApi;
  readonly image: ImageApi;
  readonly stats: ClientStats;
  /** The project id of the token's scope, if project-scoped. */
  readonly projectId: string | undefined;
  /** Drops sockets and timers. */
  close(): Promise<void>;
}
