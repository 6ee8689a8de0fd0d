import { ForcedownError, isForcedownError, type ErrorKind } from '../errors/index.js';
import { redact, redactDeep } from '../secrets/index.js';
import type { PowerDriver, PowerState } from './power.interface.js';

/**
 * Why a BMC call, a fence or a power-on failed.
 *
 * - `unreachable`: no answer (connection refused/reset, DNS, no route, the call timed out).
 * - `auth`: the BMC rejected the credentials or the user lacks the privilege (IPMI RAKP errors,
 *   HTTP 401/403).
 * - `unknown-state`: the BMC answered, but not with a power state forcedown can read as on/off.
 * - `timeout`: the request was accepted, but the state was not read back in time.
 * - `rejected`: the BMC refused the request itself (IPMI completion code, HTTP 400/404/409).
 * - `tls`: the BMC's certificate is not trusted (no/ wrong `caCert`).
 * - `config`: the inventory entry cannot work (missing password or program, unknown systemId,
 *   ResetType not allowed by the BMC).
 * - `canceled`: the run was cancelled.
 * - `error`: anything else (HTTP 5xx, the command driver's program failed).
 */
export type FencingFailure =
  'unreachable' | 'auth' | 'unknown-state' | 'timeout' | 'rejected' | 'tls' | 'config' | 'canceled' | 'error';

/**
 * What was being done: a single BMC call (`status`, `off`, `on`) or a whole primitive (`fence`,
 * `power-on`). A `fence` failure is a refusal (kind `refused`: the run must not reach force-down).
 */
export type FencingOperation = 'status' | 'off' | 'on' | 'fence' | 'power-on';

/** The facts a {@link FencingError} is built from. Texts must already be free of secrets. */
export interface FencingErrorFacts {
  readonly host: string;
  readonly driver: PowerDriver;
  readonly target: string;
  readonly operation: FencingOperation;
  readonly failure: FencingFailure;
  /** What went wrong, in words (`connection refused`, `HTTP 401: ...`). */
  readonly reason: string;
  /** Where the password comes from (for auth hints). */
  readonly credentialSource?: string | undefined;
  /** Extra, driver-specific hint appended to the generic one. */
  readonly extraHint?: string | undefined;
  /** The last power state read back, when there was one. */
  readonly lastState?: PowerState | undefined;
  /** Extra structured facts for events (no secrets). */
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

const CODE_PREFIX: Record<FencingOperation, string> = {
  status: 'BMC',
  off: 'BMC',
  on: 'BMC',
  fence: 'FENCE',
  'power-on': 'POWER_ON',
};

const CODE_SUFFIX: Record<FencingFailure, string> = {
  unreachable: 'UNREACHABLE',
  auth: 'AUTH_FAILED',
  'unknown-state': 'STATE_UNKNOWN',
  timeout: 'TIMEOUT',
  rejected: 'REJECTED',
  tls: 'TLS_UNTRUSTED',
  config: 'CONFIG_INVALID',
  canceled: 'CANCELED',
  error: 'FAILED',
};

const WHAT: Record<FencingOperation, string> = {
  status: 'reading the power state of',
  off: 'powering off',
  on: 'powering on',
  fence: 'fencing',
  'power-on': 'powering on',
};

function kindOf(operation: FencingOperation, failure: FencingFailure): ErrorKind {
  if (failure === 'canceled') return 'interrupted';
  if (operation === 'fence') return 'refused';
  if (failure === 'config') return 'invalid-input';
  return 'failed';
}

function hintFor(facts: FencingErrorFacts): string {
  const bmc = `the BMC ${facts.target}`;
  let hint: string;
  switch (facts.failure) {
    case 'unreachable':
      hint = `check the network path to ${bmc} (address, port, firewall, VLAN) and that the BMC itself is up; its own log or web UI may say more`;
      break;
    case 'auth':
      hint =
        `check the BMC user and password of this host's inventory entry` +
        (facts.credentialSource ? ` (password from ${facts.credentialSource})` : '') +
        `, and that the user may control power (IPMI OPERATOR/ADMINISTRATOR, Redfish ConfigureComponents); the BMC's own log lists rejected logins`;
      break;
    case 'unknown-state':
      hint = `${bmc} answered without a power state readable as on or off; check the BMC (its log, its web UI) and the inventory entry`;
      break;
    case 'timeout':
      hint = `${bmc} accepted the request but the power state was not read back in time; check the BMC and the host, or raise the timeout if this BMC is slow`;
      break;
    case 'rejected':
      hint = `${bmc} refused the request; read its message above and the BMC's own log`;
      break;
    case 'tls':
      hint = `set \`caCert\` in this host's inventory entry to the CA bundle that signed the BMC's certificate (\`insecure: true\` skips verification and is not recommended)`;
      break;
    case 'config':
      hint = `fix this host's inventory entry`;
      break;
    case 'canceled':
      hint = 'the run was interrupted; resume it with `forcedown resume <run-id>`';
      break;
    case 'error':
      hint = `read the BMC's answer above and the BMC's own log, then retry`;
      break;
  }
  if (facts.extraHint) hint += `; ${facts.extraHint}`;
  if (facts.operation === 'fence' && facts.failure !== 'canceled') {
    hint +=
      '. The host is NOT confirmed off, so nothing was forced down; power it off by other means and re-run, or pass --assume-fenced "<reason>" only if you are certain it is off';
  }
  return redact(hint);
}

/**
 * The cause kept on a FencingError: ForcedownErrors as they are (their texts are built redacted);
 * anything else is replaced by a plain Error with the same name and a redacted message, so that
 * printing the cause chain (`--debug`) cannot leak a secret a foreign error echoed.
 */
function safeCause(cause: unknown): unknown {
  if (cause === undefined || isForcedownError(cause)) return cause;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- anything can be thrown; String() is all a non-Error offers
  const copy = new Error(redact(cause instanceof Error ? cause.message : String(cause)));
  if (cause instanceof Error) {
    copy.name = cause.name;
    copy.stack = redact(cause.stack ?? '');
  }
  return copy;
}

/**
 * A power operation that failed. Carries the host, the driver and the redacted BMC target, a
 * {@link FencingFailure} reason with boolean flags in execa's style, and its kind: `refused` for
 * a `fence` (the run must not go on to force-down), `interrupted` when cancelled, `invalid-input`
 * for a configuration error outside a fence, `failed` otherwise.
 *
 * Codes are `<PREFIX>_<SUFFIX>`: prefix `FENCE` (fence), `POWER_ON` (power-on) or `BMC` (a single
 * call); suffix `UNREACHABLE`, `AUTH_FAILED`, `STATE_UNKNOWN`, `TIMEOUT`, `REJECTED`,
 * `TLS_UNTRUSTED`, `CONFIG_INVALID`, `CANCELED` or `FAILED`.
 */
export class FencingError extends ForcedownError {
  readonly host: string;
  readonly driver: PowerDriver;
  readonly target: string;
  readonly operation: FencingOperation;
  readonly failure: FencingFailure;
  /** The last power state read back before the failure, if any. */
  readonly lastState: PowerState | undefined;
  /** The facts this error was built from (for re-wrapping by {@link FencingError.during}). */
  readonly facts: FencingErrorFacts;

  constructor(facts: FencingErrorFacts, cause?: unknown) {
    const reason = redact(facts.reason);
    const message = redact(`${WHAT[facts.operation]} ${facts.host} failed: ${reason} (BMC ${facts.target})`);
    super(message, {
      code: `${CODE_PREFIX[facts.operation]}_${CODE_SUFFIX[facts.failure]}`,
      kind: kindOf(facts.operation, facts.failure),
      hint: hintFor(facts),
      data: redactDeep({
        host: facts.host,
        driver: facts.driver,
        target: facts.target,
        operation: facts.operation,
        failure: facts.failure,
        ...(facts.lastState ? { lastState: facts.lastState } : {}),
        ...(facts.details ?? {}),
      }),
      cause: safeCause(cause),
    });
    this.host = facts.host;
    this.driver = facts.driver;
    this.target = facts.target;
    this.operation = facts.operation;
    this.failure = facts.failure;
    this.lastState = facts.lastState;
    this.facts = { ...facts, reason };
  }

  /** The BMC did not answer (network, DNS, refused, call timeout). */
  get isUnreachable(): boolean {
    return this.failure === 'unreachable';
  }
  /** The BMC rejected the credentials or the user's privilege. */
  get isAuthFailure(): boolean {
    return this.failure === 'auth';
  }
  /** The BMC answered without a readable power state. */
  get isUnknownState(): boolean {
    return this.failure === 'unknown-state';
  }
  /** The request was accepted but the expected state was not read back before the deadline. */
  get timedOut(): boolean {
    return this.failure === 'timeout';
  }
  /** The BMC refused the request itself. */
  get isRejected(): boolean {
    return this.failure === 'rejected';
  }
  /** The BMC's TLS certificate is not trusted. */
  get isTlsFailure(): boolean {
    return this.failure === 'tls';
  }
  /** The inventory entry cannot work as written. */
  get isConfigError(): boolean {
    return this.failure === 'config';
  }
  /** The operation was cancelled. */
  get isCanceled(): boolean {
    return this.failure === 'canceled';
  }
  /** Worth retrying a read: the BMC may answer next time. */
  get isTransient(): boolean {
    return this.failure === 'unreachable' || this.failure === 'error';
  }

  /**
   * The same failure, reported as part of a larger operation (`fence`, `power-on`): new code,
   * message, hint and kind; this error becomes the cause.
   */
  during(
    operation: FencingOperation,
    extra?: Partial<Pick<FencingErrorFacts, 'lastState' | 'details' | 'reason'>>,
  ): FencingError {
    return new FencingError(
      {
        ...this.facts,
        operation,
        ...(extra?.reason ? { reason: extra.reason } : {}),
        lastState: extra?.lastState ?? this.lastState,
        details: { ...(this.facts.details ?? {}), ...(extra?.details ?? {}), step: this.operation },
      },
      this,
    );
  }
}
FencingError.prototype.name = 'FencingError';

/** True for a {@link FencingError}. */
export function isFencingError(value: unknown): value is FencingError {
  return value instanceof FencingError;
}
