import { ExecError, run } from '../exec/index.js';
import { isForcedownError } from '../errors/index.js';
import type { IpmiBmc } from '../generated/inventory.types.js';
import { secrets } from '../secrets/index.js';
import { callTimeout, fencingError, withWaitNotices, type DriverContext } from './driver-context.js';
import type { FencingError, FencingFailure, FencingOperation } from './fencing-error.js';
import type {
  PowerAction,
  PowerCallOptions,
  PowerController,
  PowerRequestResult,
  PowerState,
} from './power.interface.js';

/**
 * The `ipmi` driver: `ipmitool -I lanplus -C <suite> -H <address> -p <port> -U <user> -L <priv>
 * -v -E chassis power status|off|on`, the password in the child's environment (`IPMI_PASSWORD`,
 * read by `-E`), never in argv.
 *
 * `-v` is passed because without it ipmitool says the same "Error: Unable to establish IPMI v2 /
 * RMCP+ session" for a wrong password, a wrong user and a BMC that does not answer; with it the
 * cause is printed first ("> RAKP 2 HMAC is invalid", "RAKP 2 message indicates an error :
 * unauthorized name", "Get Auth Capabilities error"). Its extra lines go to stderr; the answer
 * ("Chassis Power is on") stays alone on stdout.
 */

/** Defaults of an `ipmi` entry (the inventory schema's). */
export const IPMI_DEFAULTS = {
  port: 623,
  interface: 'lanplus',
  cipherSuite: 3,
  privilegeLevel: 'ADMINISTRATOR',
  ipmitool: 'ipmitool',
} as const;

/** stderr lines that mean the BMC refused the credentials or the privilege (checked first). */
const AUTH_PATTERNS: readonly RegExp[] = [
  /RAKP 2 HMAC is invalid/i,
  /RAKP [24] message indicates an error : (unauthorized name|invalid role|unauthorized role requested|unauthorized GUID|invalid integrity check value|invalid name length)/i,
  /RAKP 4 message has invalid integrity check value/i,
  /Activate Session command failed/i, // IPMI 1.5 (-I lan), wrong password
  /Invalid user name/i, // IPMI 1.5, unknown user
  /Set Session Privilege Level to \S+ failed/i,
  /failed: Insufficient privilege level/i,
];

/** stderr lines that mean nothing (or nothing usable) answered. */
const UNREACHABLE_PATTERNS: readonly RegExp[] = [
  /Get Auth Capabilities (error|command failed)/i,
  /Error issuing Get Channel Authentication Capabilities request/i,
  /Address lookup for .* failed/i,
  /Could not open socket/i,
  /no response from RAKP [13] message/i,
  /Unable to (get Chassis Power Status|set Chassis Power Control)/i, // session up, then no answer
  /Unable to establish IPMI v2 \/ RMCP\+ session/i,
  /Unable to establish (IPMI v1\.5 \/ RMCP|LAN) session/i,
];

/** Lines of ipmitool -v noise that never carry the reason of a failure. */
const NOISE =
  /^(Loading IANA PEN Registry|Running Get VSO Capabilities|Invalid completion code received|Discovered IPMB address|Get HPM\.x Capabilities request failed)/;

function reasonOf(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.replace(/^>\s*/, '').trim())
    .filter((line) => line && !NOISE.test(line) && !/^Command exited/.test(line));
  return lines.slice(-3).join(' | ') || 'no output';
}

/** Classifies a failed ipmitool run from its (redacted) stderr. */
export function classifyIpmitoolFailure(
  stderr: string,
  operation: FencingOperation,
): { failure: FencingFailure; extraHint?: string } {
  if (/Unable to read password from environment/i.test(stderr)) {
    return { failure: 'config', extraHint: 'the BMC password was not passed to ipmitool (empty password?)' };
  }
  if (/password is longer than \d+ bytes/i.test(stderr)) {
    return {
      failure: 'config',
      extraHint:
        'the BMC password is longer than IPMI allows (20 bytes with lanplus, 16 with lan): check the password source',
    };
  }
  if (AUTH_PATTERNS.some((pattern) => pattern.test(stderr))) return { failure: 'auth' };
  if (
    /invalid (authentication|integrity|confidentiality) algorithm|no matching (cipher suite|authentication algorithm|integrity payload)/i.test(
      stderr,
    )
  ) {
    return {
      failure: 'config',
      extraHint: 'the BMC does not support this cipher suite: set `cipherSuite` (3 and 17 are the usual ones)',
    };
  }
  if (/Get Chassis Power Status failed/i.test(stderr)) return { failure: 'unknown-state' };
  if (/Set Chassis Power Control to .* failed/i.test(stderr)) return { failure: 'rejected' };
  if (UNREACHABLE_PATTERNS.some((pattern) => pattern.test(stderr))) return { failure: 'unreachable' };
  return { failure: operation === 'status' ? 'unknown-state' : 'error' };
}

/** Power control through ipmitool. Created by {@link createPowerController}. */
export class IpmiPowerController implements PowerController {
  readonly driver = 'ipmi' as const;
  readonly host: string;
  readonly target: string;
  readonly credentialSource: string | undefined;
  readonly #ctx: DriverContext;
  readonly #program: string;
  readonly #baseArgs: readonly string[];
  readonly #password: string;

  constructor(ctx: DriverContext, bmc: IpmiBmc, password: string) {
    this.#ctx = ctx;
    this.host = ctx.host;
    this.target = ctx.target;
    this.credentialSource = ctx.credentialSource;
    this.#password = password;
    secrets.add(password);
    const iface = bmc.interface ?? IPMI_DEFAULTS.interface;
    this.#program = bmc.ipmitool ?? IPMI_DEFAULTS.ipmitool;
    this.#baseArgs = [
      '-I',
      iface,
      ...(iface === 'lanplus' ? ['-C', String(bmc.cipherSuite ?? IPMI_DEFAULTS.cipherSuite)] : []),
      '-H',
      bmc.address,
      '-p',
      String(bmc.port ?? IPMI_DEFAULTS.port),
      '-U',
      bmc.username,
      '-L',
      bmc.privilegeLevel ?? IPMI_DEFAULTS.privilegeLevel,
      '-v',
      '-E',
    ];
  }

  async status(options: PowerCallOptions = {}): Promise<PowerState> {
    const result = await this.#ipmitool('status', ['chassis', 'power', 'status'], options, false);
    const match = /^Chassis Power is (on|off)\s*$/m.exec(result.stdout);
    if (!match) {
      throw fencingError(
        this.#ctx,
        'status',
        'unknown-state',
        `ipmitool answered "${result.stdout.trim().slice(0, 200) || '(nothing)'}"`,
        {
          details: { stdout: result.stdout.slice(0, 500) },
        },
      );
    }
    return match[1] as 'on' | 'off';
  }

  off(options: PowerCallOptions = {}): Promise<PowerRequestResult> {
    return this.#control('off', options);
  }

  on(options: PowerCallOptions = {}): Promise<PowerRequestResult> {
    return this.#control('on', options);
  }

  async #control(action: PowerAction, options: PowerCallOptions): Promise<PowerRequestResult> {
    const result = await this.#ipmitool(action, ['chassis', 'power', action], options, options.dryRun ?? false);
    if (!result.dryRun) {
      const expected = action === 'off' ? /Chassis Power Control: Down\/Off/ : /Chassis Power Control: Up\/On/;
      if (!expected.test(result.stdout)) {
        throw fencingError(
          this.#ctx,
          action,
          'error',
          `ipmitool answered "${result.stdout.trim().slice(0, 200) || '(nothing)'}"`,
        );
      }
    }
    return { action, dryRun: result.dryRun, request: result.command };
  }

  async #ipmitool(operation: FencingOperation, command: readonly string[], options: PowerCallOptions, dryRun: boolean) {
    const timeoutMs = callTimeout(this.#ctx, options.timeoutMs);
    try {
      // a slow or unreachable BMC keeps ipmitool running up to the timeout: say so meanwhile
      return await withWaitNotices(this.#ctx, { operation, timeoutMs }, () =>
        run(this.#program, [...this.#baseArgs, ...command], {
          env: { IPMI_PASSWORD: this.#password },
          secrets: [this.#password],
          timeoutMs,
          signal: options.signal,
          dryRun,
          purpose: `ipmitool chassis power ${command.at(-1)} of ${this.host}`,
        }),
      );
    } catch (error) {
      throw this.#mapError(operation, error, timeoutMs);
    }
  }

  #mapError(operation: FencingOperation, error: unknown, timeoutMs: number): FencingError {
    if (error instanceof ExecError) {
      if (error.isCanceled)
        return fencingError(this.#ctx, operation, 'canceled', 'cancelled while ipmitool was running', {}, error);
      if (error.notFound) {
        return fencingError(
          this.#ctx,
          operation,
          'config',
          `cannot run ${this.#program}: not found or not executable`,
          {
            extraHint: 'install ipmitool (Debian: apt-get install ipmitool) or set `ipmitool` to its path',
          },
          error,
        );
      }
      if (error.timedOut) {
        return fencingError(
          this.#ctx,
          operation,
          'unreachable',
          `no answer within ${Math.round(timeoutMs / 100) / 10} s (ipmitool killed)`,
          {
            details: { callTimedOut: true },
          },
          error,
        );
      }
      const { failure, extraHint } = classifyIpmitoolFailure(error.stderr, operation);
      return fencingError(
        this.#ctx,
        operation,
        failure,
        `ipmitool exited ${error.childExitCode ?? error.signal}: ${reasonOf(error.stderr)}`,
        {
          extraHint,
          details: { ipmitoolExitCode: error.childExitCode },
        },
        error,
      );
    }
    if (isForcedownError(error) && error.code === 'EXEC_SECRET_IN_ARGV') {
      return fencingError(
        this.#ctx,
        operation,
        'config',
        'the BMC password also appears in the ipmitool command line (same as the user name or address?)',
        {
          extraHint: 'use a BMC password that differs from the user name and the address',
        },
        error,
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return fencingError(this.#ctx, operation, 'error', message, {}, error);
  }
}
