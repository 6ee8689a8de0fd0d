import type { PowerController, PowerState, PowerWaitNotice } from '../fencing/power.interface.js';
import type { OpenStackClient, WaitNotice } from '../openstack/openstack.interface.js';

/** A call that keeps waiting: an OpenStack request or a BMC call (both carry `message`). */
export type AnyWaitNotice = WaitNotice | PowerWaitNotice;

/** A yes/no question to the operator (TTY only). */
export type Confirm = (question: string, signal: AbortSignal) => Promise<boolean>;

/**
 * What steps use to reach the world, created lazily (a runbook of `command` steps never
 * authenticates to Keystone). Tests substitute doubles.
 */
export interface RunServices {
  /** The connected OpenStack client (authenticated once per run). */
  openstack(): Promise<OpenStackClient>;
  /**
   * Loads and checks the cloud configuration {@link RunServices.openstack} will connect with
   * (clouds.yaml, secure.yaml, OS_* variables), contacting nothing: pre-flight calls it before
   * anything is signed in to. Optional (test doubles connect without one).
   */
  checkOpenStackConfig?(): Promise<void>;
  /** Power control of an inventory host (see src/fencing). */
  power(host: string): Promise<PowerController>;
  /**
   * Starts reading a host's power state now, ahead of the step that will need it (the first
   * fence of a run: the BMC's answer is awaited while the run sets up, not after). A read only.
   */
  primePowerStatus?(host: string): void;
  /**
   * The read started by {@link primePowerStatus}, once, if it is still fresh (started at most
   * a few seconds ago); undefined otherwise, and the step reads the BMC itself.
   */
  takePrimedPowerStatus?(host: string): Promise<PowerState> | undefined;
  /**
   * Sends the notices of OpenStack calls and BMC calls that keep waiting (no answer, retrying)
   * to `listener` (the running step's output) until it is called again; undefined restores the
   * default (stderr). Optional so test doubles need not implement it.
   */
  routeWaits?(listener: ((notice: AnyWaitNotice) => void) | undefined): void;
  /** Sends an HTTP request (notify); `fetch` unless a test injects one. */
  readonly fetch: typeof fetch;
  /** Asks the operator; undefined when there is no terminal. */
  readonly confirm: Confirm | undefined;
  /** Warnings for the operator (insecure TLS...). */
  warn(message: string): void;
  /** Closes clients and sockets, and abandons a sign-in still under way. */
  close(): Promise<void>;
}
