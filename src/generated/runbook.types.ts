/* Generated from schemas/runbook.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

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
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "step".
 */
export type Step =
  | FenceStep
  | PowerOnStep
  | ForceDownStep
  | ClearForceDownStep
  | DisableStep
  | EnableStep
  | WaitServiceStep
  | EvacuateStep
  | ResetStateStep
  | ApproveStep
  | NotifyStep
  | CommandStep
  | WaitStep;
/**
 * Power the host off through its BMC (from the inventory) and read the power state back until it is off. Only a read-back counts as a fence; an unreachable BMC, bad credentials or an unknown state stop the run (exit 3). Default timeout 60s.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "fenceStep".
 */
export type FenceStep = StepCommon & FenceStep1;
/**
 * When a step runs. Data only: a boolean, a reference resolving to a boolean, or one operator object: equals, notEquals, in, empty, notEmpty, not, all, any, stepStatus.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "condition".
 */
export type Condition =
  | boolean
  | Expression
  | {
      /**
       * @minItems 2
       * @maxItems 2
       */
      equals: [unknown, unknown];
    }
  | {
      /**
       * @minItems 2
       * @maxItems 2
       */
      notEquals: [unknown, unknown];
    }
  | {
      /**
       * @minItems 2
       * @maxItems 2
       */
      in: [unknown, unknown];
    }
  | {
      empty: unknown;
    }
  | {
      notEmpty: unknown;
    }
  | {
      not: Condition;
    }
  | {
      /**
       * @minItems 1
       */
      all: [Condition, ...Condition[]];
    }
  | {
      /**
       * @minItems 1
       */
      any: [Condition, ...Condition[]];
    }
  | {
      stepStatus: {
        step: string;
        /**
         * @minItems 1
         */
        in: ['changed' | 'unchanged' | 'skipped' | 'failed', ...('changed' | 'unchanged' | 'skipped' | 'failed')[]];
      };
    };
/**
 * A whole-value reference such as ${params.host} or ${steps.evacuate.failed}; it keeps the referenced value's type.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "expression".
 */
export type Expression = string;
/**
 * Pause between attempts.
 */
export type Duration = Expression;
/**
 * Time limit of one attempt (each step type has its own default).
 */
export type Duration1 = Expression;
/**
 * A Nova service host name, usually ${params.host}.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "hostTemplate".
 */
export type HostTemplate = string;
/**
 * Pause between power-state read-backs.
 */
export type Duration2 = Expression;
/**
 * Power the host on through its BMC and read the power state back until it is on. Default timeout 60s.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "powerOnStep".
 */
export type PowerOnStep = StepCommon & PowerOnStep1;
/**
 * Pause between power-state read-backs.
 */
export type Duration3 = Expression;
/**
 * Set the host's nova-compute service forced_down (2.53 by UUID, else 2.11) and confirm Nova reports it down. Refuses (exit 3) unless this run confirmed a fence of the host or --assume-fenced gave a reason. Disables the service with a reason that carries the run id.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "forceDownStep".
 */
export type ForceDownStep = StepCommon & ForceDownStep1;
/**
 * Clear forced_down once the host is powered on and its nova-compute heartbeats again, and confirm Nova reports it up. Refuses while the BMC reads the host off. Explains Nova's 400 about `done` evacuation records (the compute must restart first). Default timeout 120s.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "clearForceDownStep".
 */
export type ClearForceDownStep = StepCommon & ClearForceDownStep1;
/**
 * Pause between state checks.
 */
export type Duration4 = Expression;
/**
 * Disable the host's nova-compute service with a reason (no new servers are scheduled there).
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "disableStep".
 */
export type DisableStep = StepCommon & DisableStep1;
/**
 * Enable the host's nova-compute service.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "enableStep".
 */
export type EnableStep = StepCommon & EnableStep1;
/**
 * Wait until Nova reports the service up or down (e.g. the heartbeat of a powered-on host). Default timeout 120s.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "waitServiceStep".
 */
export type WaitServiceStep = StepCommon & WaitServiceStep1;
/**
 * Pause between checks.
 */
export type Duration5 = Expression;
/**
 * Evacuate every server on the host (all projects) with bounded concurrency, confirming each through os-migrations and the server's new host and state. Never re-sends an evacuation Nova accepted. Refuses unless the host is fenced (this run or --assume-fenced) and Nova reports its service down.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "evacuateStep".
 */
export type EvacuateStep = StepCommon & EvacuateStep1;
/**
 * Time limit for one server's evacuation to be confirmed.
 */
export type Duration6 = Expression;
/**
 * On resume: how old an evacuate request of the stopped run that Nova has no record of must be before it is sent again (a request of a killed runner can still land in Nova after the resume looked).
 */
export type Duration7 = Expression;
/**
 * Pause between confirmation polls (one os-migrations list per poll whatever the number of servers; each server is read once its evacuation has ended).
 */
export type Duration8 = Expression;
/**
 * os-resetState for all servers on a host, or for a list of server ids (e.g. ${steps.evacuate.failed}). An empty list does nothing. A listed server is read again first and skipped (and reported) when it is running on another, healthy host or still being rebuilt: nothing is reset to error unless it is known not to run elsewhere.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "resetStateStep".
 */
export type ResetStateStep = StepCommon & ResetStateStep1 & ResetStateStep2;
export type ResetStateStep1 = {
  [k: string]: unknown;
};
/**
 * A human gate: asks on a TTY; unattended runs need --yes or --approve STEP-ID, otherwise the run stops here with exit 3.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "approveStep".
 */
export type ApproveStep = StepCommon & ApproveStep1;
/**
 * POST the run summary (and an optional message) as JSON to a webhook URL (https, or http to loopback). Default timeout 10s.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "notifyStep".
 */
export type NotifyStep = StepCommon & NotifyStep1;
/**
 * Run a program (argv, no shell). With `check`, the check program runs first and exit 0 means "already done" (unchanged). Default timeout 60s.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "commandStep".
 */
export type CommandStep = StepCommon & CommandStep1;
/**
 * Pause for a fixed time.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "waitStep".
 */
export type WaitStep = StepCommon & WaitStep1;
/**
 * How long to wait.
 */
export type Duration9 = Expression;
/**
 * Text that may contain ${...} references.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "template".
 */
export type Template = string;
/**
 * A duration of more than zero: a number with a unit (500ms, 30s, 5m, 1h), or a reference.
 *
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "duration".
 */
export type Duration10 = Expression;

/**
 * A forcedown runbook: typed parameters and an ordered list of steps. Values may use data-only interpolation: ${params.NAME}, ${steps.ID.OUTPUT}, ${run.id}, ${run.startedAt}, ${run.dryRun} and ${env.NAME} for names listed in `env`. No expressions, no code.
 */
export interface Runbook {
  /**
   * Path or URL of this schema, for editors.
   */
  $schema?: string;
  /**
   * Short name (lower case, digits, dashes).
   */
  name: string;
  /**
   * What this runbook is for, shown by `plan` and `--help`.
   */
  description?: string;
  /**
   * Parameters, given with `--var NAME=VALUE`.
   */
  params?: {
    [k: string]: Param;
  };
  /**
   * Environment variables this runbook may read as ${env.NAME}. Any other ${env...} is an error.
   */
  env?: string[];
  /**
   * Default inventory file (relative to the runbook); `--inventory` and FORCEDOWN_INVENTORY win.
   */
  inventory?: string;
  coordination?: Coordination;
  /**
   * Steps, run in order.
   *
   * @minItems 1
   * @maxItems 200
   */
  steps: [Step, ...Step[]];
}
/**
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "param".
 */
export interface Param {
  /**
   * Value type; `--var` values are converted to it.
   */
  type: 'string' | 'integer' | 'number' | 'boolean';
  /**
   * What the parameter means (shown by --help and plan).
   */
  description: string;
  /**
   * Value when `--var` does not set it; without one the parameter is required.
   */
  default?: string | number | boolean;
  /**
   * Allowed values.
   *
   * @minItems 1
   */
  enum?: [string | number | boolean, ...(string | number | boolean)[]];
  /**
   * Regular expression a string value must match.
   */
  pattern?: string;
  minimum?: number;
  maximum?: number;
  /**
   * Redact the value everywhere; it is not stored in the journal, so `resume` asks for it again.
   */
  secret?: boolean;
}
/**
 * Coordination across machines on etcd for runs of this runbook (schemas/coordination.schema.json; relative paths are from the runbook). FORCEDOWN_ETCD_* and --etcd override its fields.
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
/**
 * This interface was referenced by `Runbook`'s JSON-Schema
 * via the `definition` "stepCommon".
 */
export interface StepCommon {
  /**
   * Unique id of the step (lower case, digits, dashes); later steps reference its outputs as ${steps.ID.OUTPUT}.
   */
  id: string;
  type: string;
  /**
   * Human title shown in progress output.
   */
  title?: string;
  /**
   * Why this step is here.
   */
  description?: string;
  when?: Condition;
  retries?: number | Expression;
  retryDelay?: Duration;
  timeout?: Duration1;
  continueOnError?: boolean | Expression;
}
export interface FenceStep1 {
  /**
   * Step type: fence.
   */
  type: 'fence';
  host: HostTemplate;
  pollInterval?: Duration2;
}
export interface PowerOnStep1 {
  /**
   * Step type: power-on.
   */
  type: 'power-on';
  host: HostTemplate;
  pollInterval?: Duration3;
}
export interface ForceDownStep1 {
  /**
   * Step type: force-down.
   */
  type: 'force-down';
  host: HostTemplate;
  /**
   * Service binary.
   */
  binary?: 'nova-compute';
  disable?: boolean | Expression;
  /**
   * Reason recorded in Nova; forcedown appends its run marker.
   */
  disabledReason?: string;
}
export interface ClearForceDownStep1 {
  /**
   * Step type: clear-force-down.
   */
  type: 'clear-force-down';
  host: HostTemplate;
  /**
   * Service binary.
   */
  binary?: 'nova-compute';
  enable?: boolean | Expression;
  checkPower?: boolean | Expression;
  pollInterval?: Duration4;
}
export interface DisableStep1 {
  /**
   * Step type: disable.
   */
  type: 'disable';
  host: HostTemplate;
  /**
   * Service binary.
   */
  binary?: 'nova-compute';
  /**
   * Why (recorded in Nova with the run marker).
   */
  reason: string;
}
export interface EnableStep1 {
  /**
   * Step type: enable.
   */
  type: 'enable';
  host: HostTemplate;
  /**
   * Service binary.
   */
  binary?: 'nova-compute';
}
export interface WaitServiceStep1 {
  /**
   * Step type: wait-service.
   */
  type: 'wait-service';
  host: HostTemplate;
  /**
   * Service binary.
   */
  binary?: 'nova-compute';
  /**
   * State to wait for.
   */
  state: 'up' | 'down';
  pollInterval?: Duration5;
}
export interface EvacuateStep1 {
  /**
   * Step type: evacuate.
   */
  type: 'evacuate';
  host: HostTemplate;
  concurrency?: number | Expression;
  /**
   * Destination host; default: Nova's scheduler picks.
   */
  targetHost?: string;
  onlyTagged?: boolean | Expression;
  /**
   * Regular expression: servers whose name matches are skipped.
   */
  skipNamePattern?: string;
  skipError?: boolean | Expression;
  resetNonEvacuable?: boolean | Expression;
  serverTimeout?: Duration6;
  serverRetries?: number | Expression;
  lockServers?: boolean | Expression;
  lateRequestGrace?: Duration7;
  pollInterval?: Duration8;
}
export interface ResetStateStep2 {
  /**
   * Step type: reset-state.
   */
  type: 'reset-state';
  host?: HostTemplate;
  /**
   * Server ids to reset; default: every server on `host`.
   */
  only?: string[] | Expression;
  /**
   * State to reset to.
   */
  state?: 'error' | 'active';
}
export interface ApproveStep1 {
  /**
   * Step type: approve.
   */
  type: 'approve';
  /**
   * The question shown to the operator.
   */
  message: string;
}
export interface NotifyStep1 {
  /**
   * Step type: notify.
   */
  type: 'notify';
  /**
   * Webhook URL; may come from ${env.NAME}.
   */
  url: string;
  /**
   * Text included as `message`.
   */
  message?: string;
  /**
   * Extra HTTP headers (values may use ${env.NAME}).
   */
  headers?: {
    [k: string]: string;
  };
}
export interface CommandStep1 {
  /**
   * Step type: command.
   */
  type: 'command';
  /**
   * Program and arguments (templates allowed).
   *
   * @minItems 1
   * @maxItems 256
   */
  command: [string, ...string[]];
  /**
   * Optional idempotency check: exit 0 = nothing to do.
   *
   * @minItems 1
   * @maxItems 256
   */
  check?: [string, ...string[]];
  /**
   * Extra environment variables.
   */
  env?: {
    [k: string]: string;
  };
  /**
   * Text written to stdin.
   */
  input?: string;
}
export interface WaitStep1 {
  /**
   * Step type: wait.
   */
  type: 'wait';
  duration: Duration9;
}
