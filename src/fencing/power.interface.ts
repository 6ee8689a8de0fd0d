/**
 * The one interface every power driver (ipmi, redfish, command) implements, and the types the
 * fence / power-on primitives exchange with their callers.
 */

import type { BmcConfig } from '../generated/inventory.types.js';
import type { WaitNoticeBase } from '../wait-notices.js';

/** The power drivers an inventory entry can name (`bmc.driver`): the schema's list, not a copy. */
export type PowerDriver = BmcConfig['driver'];

/**
 * A power state read back from a BMC.
 *
 * IPMI and command drivers only ever report `on` or `off`. Redfish also reports the transitions
 * `PoweringOn` / `PoweringOff` as `powering-on` / `powering-off`; Redfish `Paused` (power applied,
 * CPUs halted) reads as `on`. Only `off` counts as fenced, only `on` as powered on.
 */
export type PowerState = 'on' | 'off' | 'powering-on' | 'powering-off';

/** The two power requests forcedown sends. */
export type PowerAction = 'off' | 'on';

/** Options of one BMC call ({@link PowerController.status}, `off`, `on`). */
export interface PowerCallOptions {
  /** Cancels the call (listr2's `task.signal`); the call rejects with a `canceled` FencingError. */
  readonly signal?: AbortSignal;
  /**
   * For `off`/`on`: do not send the request, resolve with what would have been sent. Reads
   * (`status`, Redfish discovery GETs) still happen: they change nothing.
   * @defaultValue `false`
   */
  readonly dryRun?: boolean;
  /**
   * Milliseconds this one call may take before it is abandoned (the BMC then counts as
   * unreachable).
   * @defaultValue the entry's `callTimeoutSec` × 1000, else `20_000`
   */
  readonly timeoutMs?: number;
}

/** What an accepted (or, in dry-run, planned) power request was. */
export interface PowerRequestResult {
  readonly action: PowerAction;
  /** True when nothing was sent. */
  readonly dryRun: boolean;
  /**
   * The request, redacted, for logs and evidence: the ipmitool/command line, or
   * `POST <url> {"ResetType":"ForceOff"}` for Redfish.
   */
  readonly request: string;
}

/**
 * One host's power controller. Every method rejects with a {@link FencingError} (never anything
 * else) whose text contains no secret.
 */
export interface PowerController {
  /** The Nova service host this controller powers. */
  readonly host: string;
  readonly driver: PowerDriver;
  /** Redacted description of the BMC, e.g. `ipmi admin@127.0.0.1:9001`. */
  readonly target: string;
  /**
   * Where the password of this BMC comes from, for hints (`environment variable BMC_PW` /
   * `file /etc/forcedown/bmc-fake1`); never the password.
   */
  readonly credentialSource: string | undefined;
  /** Reads the power state from the BMC. Read-only, so `dryRun` does not skip it. */
  status(options?: PowerCallOptions): Promise<PowerState>;
  /**
   * Asks the BMC to cut the power (ipmi `chassis power off`, Redfish `ForceOff` by default).
   * Resolves when the BMC accepted the request: it does not wait for the power to go off, see
   * {@link fence}.
   */
  off(options?: PowerCallOptions): Promise<PowerRequestResult>;
  /** Asks the BMC to power the host on; resolves when the request was accepted. */
  on(options?: PowerCallOptions): Promise<PowerRequestResult>;
}

/**
 * Said while one BMC call is still waiting for its answer (an ipmitool or power command still
 * running, a Redfish request not answered yet), every few seconds, so that a slow or unreachable
 * BMC never looks like a hang. Holds no password, token or user name.
 */
export interface PowerWaitNotice extends WaitNoticeBase {
  readonly host: string;
  readonly driver: PowerDriver;
  /**
   * Where the call goes, without credentials: `127.0.0.1:623` (ipmi), `https://bmc.example.net`
   * (redfish), the program (command).
   */
  readonly bmc: string;
  /** What the call does: `power status`, `power off`, `power on`. */
  readonly action: string;
  /** The request under way, when the driver sends several per call (Redfish: `GET /redfish/v1/Systems/1`). */
  readonly request?: string;
  /** When the call gives up (its timeout), counted from its start. */
  readonly timeoutMs: number;
}

/** Options of {@link createPowerController}. */
export interface PowerControllerOptions {
  /**
   * Receives warnings that must reach the operator (TLS verification disabled, password sent over
   * plain HTTP).
   * @defaultValue `process.emitWarning`
   */
  readonly warn?: (message: string) => void;
  /**
   * Directory that relative paths of the entry (Redfish `caCert`) are resolved against: the
   * inventory file's directory.
   * @defaultValue `process.cwd()`
   */
  readonly baseDir?: string;
  /**
   * Default per-call timeout when the entry sets no `callTimeoutSec`.
   * @defaultValue `20_000`
   */
  readonly defaultCallTimeoutMs?: number;
  /**
   * Told about a BMC call that is still waiting (see {@link PowerWaitNotice}): first after
   * `noticeEveryMs`, then again every as many, until the call ends.
   * @defaultValue none: no notices
   */
  readonly onWait?: (notice: PowerWaitNotice) => void;
  /** @defaultValue `NOTICE_EVERY_MS` (4 s, as the OpenStack client's notices) */
  readonly noticeEveryMs?: number;
}
