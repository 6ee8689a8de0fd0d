import { ExecError, run } from '../exec/index.js';
import { isForcedownError } from '../errors/index.js';
import type { CommandBmc } from '../generated/inventory.types.js';
import { secrets } from '../secrets/index.js';
import { callTimeout, fencingError, withWaitNotices, type DriverContext } from './driver-context.js';
import type { FencingError, FencingOperation } from './fencing-error.js';
import type {
  PowerAction,
  PowerCallOptions,
  PowerController,
  PowerRequestResult,
  PowerState,
} from './power.interface.js';

/**
 * The `command` driver: the operator's program, `PROGRAM [ARGS...] status|off|on`, run without a
 * shell. `status` must print `on` or `off` (surrounding whitespace and case ignored); `off`/`on`
 * exit 0 when the request was accepted. The environment carries `FORCEDOWN_HOST`, and
 * `FORCEDOWN_BMC_PASSWORD` when the entry has a `password`, over the entry's own `env`.
 */
export class CommandPowerController implements PowerController {
  readonly driver = 'command' as const;
  readonly host: string;
  readonly target: string;
  readonly credentialSource: string | undefined;
  readonly #ctx: DriverContext;
  readonly #argv: readonly [string, ...string[]];
  readonly #env: Readonly<Record<string, string>>;
  readonly #password: string | undefined;

  constructor(ctx: DriverContext, bmc: CommandBmc, password: string | undefined) {
    this.#ctx = ctx;
    this.host = ctx.host;
    this.target = ctx.target;
    this.credentialSource = ctx.credentialSource;
    this.#argv = bmc.command;
    this.#password = password === undefined || password === '' ? undefined : password;
    if (this.#password !== undefined) secrets.add(this.#password);
    this.#env = {
      ...(bmc.env ?? {}),
      FORCEDOWN_HOST: ctx.host,
      ...(this.#password !== undefined ? { FORCEDOWN_BMC_PASSWORD: this.#password } : {}),
    };
  }

  async status(options: PowerCallOptions = {}): Promise<PowerState> {
    const result = await this.#run('status', options, false);
    const answer = result.stdout.trim().toLowerCase();
    if (answer === 'on' || answer === 'off') return answer;
    throw fencingError(
      this.#ctx,
      'status',
      'unknown-state',
      `the program printed "${result.stdout.trim().slice(0, 200)}" instead of on or off`,
      {
        extraHint: 'the `status` action of a command driver must print exactly `on` or `off`',
        details: { stdout: result.stdout.slice(0, 500) },
      },
    );
  }

  off(options: PowerCallOptions = {}): Promise<PowerRequestResult> {
    return this.#control('off', options);
  }

  on(options: PowerCallOptions = {}): Promise<PowerRequestResult> {
    return this.#control('on', options);
  }

  async #control(action: PowerAction, options: PowerCallOptions): Promise<PowerRequestResult> {
    const result = await this.#run(action, options, options.dryRun ?? false);
    return { action, dryRun: result.dryRun, request: result.command };
  }

  async #run(operation: 'status' | PowerAction, options: PowerCallOptions, dryRun: boolean) {
    const timeoutMs = callTimeout(this.#ctx, options.timeoutMs);
    const [file, ...args] = this.#argv;
    try {
      return await withWaitNotices(this.#ctx, { operation, timeoutMs }, () =>
        run(file, [...args, operation], {
          env: this.#env,
          secrets: this.#password !== undefined ? [this.#password] : [],
          timeoutMs,
          signal: options.signal,
          dryRun,
          purpose: `power ${operation} of ${this.host}`,
        }),
      );
    } catch (error) {
      throw this.#mapError(operation, error, timeoutMs);
    }
  }

  #mapError(operation: FencingOperation, error: unknown, timeoutMs: number): FencingError {
    if (error instanceof ExecError) {
      if (error.isCanceled)
        return fencingError(
          this.#ctx,
          operation,
          'canceled',
          'cancelled while the power command was running',
          {},
          error,
        );
      if (error.notFound) {
        return fencingError(
          this.#ctx,
          operation,
          'config',
          `cannot run ${this.#argv[0]}: not found or not executable`,
          {
            extraHint: 'fix `command` (an absolute path is safest)',
          },
          error,
        );
      }
      if (error.timedOut) {
        return fencingError(
          this.#ctx,
          operation,
          'unreachable',
          `no answer within ${Math.round(timeoutMs / 100) / 10} s (the power command was killed)`,
          {
            details: { callTimedOut: true },
          },
          error,
        );
      }
      const tail = (error.stderr || error.stdout).trim().split('\n').slice(-3).join(' | ');
      return fencingError(
        this.#ctx,
        operation,
        'error',
        `the power command exited ${error.childExitCode ?? error.signal}${tail ? `: ${tail}` : ''}`,
        {
          details: { commandExitCode: error.childExitCode },
        },
        error,
      );
    }
    if (isForcedownError(error) && error.code === 'EXEC_SECRET_IN_ARGV') {
      return fencingError(
        this.#ctx,
        operation,
        'config',
        'the BMC password appears in the command line of the power command',
        {
          extraHint: 'the program receives the password as FORCEDOWN_BMC_PASSWORD; do not put it in `command`',
        },
        error,
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return fencingError(this.#ctx, operation, 'error', message, {}, error);
  }
}
