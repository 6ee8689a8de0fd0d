import type { PasswordSource } from '../generated/inventory.types.js';
import { isForcedownError } from '../errors/index.js';
import { redact } from '../secrets/index.js';
import { seconds, startWaitNotices } from '../wait-notices.js';
import { FencingError, type FencingErrorFacts, type FencingFailure, type FencingOperation } from './fencing-error.js';
import type { PowerDriver, PowerWaitNotice } from './power.interface.js';

/** What every driver knows about the host it powers (internal). */
export interface DriverContext {
  readonly host: string;
  readonly driver: PowerDriver;
  readonly target: string;
  readonly credentialSource: string | undefined;
  readonly callTimeoutMs: number;
  /** Where the calls go, without credentials (see {@link PowerWaitNotice.bmc}). */
  readonly address: string;
  /** Told about calls that keep waiting. */
  readonly onWait?: ((notice: PowerWaitNotice) => void) | undefined;
  readonly noticeEveryMs?: number | undefined;
}

/** Default per-call timeout (the inventory schema's `callTimeoutSec` default). */
export const DEFAULT_CALL_TIMEOUT_MS = 20_000;

/** `environment variable X` / `file /path`, for hints; never the password itself. */
export function describePasswordSource(source: PasswordSource | undefined): string | undefined {
  if (!source) return undefined;
  if ('env' in source) return `environment variable ${source.env}`;
  return `file ${source.file}`;
}

type ExtraFacts = Partial<Pick<FencingErrorFacts, 'extraHint' | 'lastState' | 'details'>>;

/** Builds a FencingError for this driver. */
export function fencingError(
  ctx: DriverContext,
  operation: FencingOperation,
  failure: FencingFailure,
  reason: string,
  extra: ExtraFacts = {},
  cause?: unknown,
): FencingError {
  return new FencingError(
    {
      host: ctx.host,
      driver: ctx.driver,
      target: ctx.target,
      credentialSource: ctx.credentialSource,
      operation,
      failure,
      reason,
      ...extra,
    },
    cause,
  );
}

/** Whatever was thrown, as a FencingError of this driver (redacted; `cause` keeps the original). */
export function asFencingError(
  ctx: DriverContext,
  operation: FencingOperation,
  error: unknown,
  signal?: AbortSignal,
): FencingError {
  if (error instanceof FencingError) return error;
  if (signal?.aborted) return fencingError(ctx, operation, 'canceled', 'cancelled', {}, error);
  const message = isForcedownError(error) || error instanceof Error ? error.message : String(error);
  return fencingError(ctx, operation, 'error', redact(message), {}, error);
}

/** Milliseconds for one call: the call's own, else the driver's. */
export function callTimeout(ctx: DriverContext, timeoutMs: number | undefined): number {
  return timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : ctx.callTimeoutMs;
}

/**
 * Runs one BMC call (`work`) and, while it has not ended, tells `ctx.onWait` every
 * `ctx.noticeEveryMs` what it waits for: host, BMC address (no credentials), action, the request
 * (Redfish), how long so far and when it gives up. The text is redacted once more, in case.
 */
export async function withWaitNotices<T>(
  ctx: DriverContext,
  call: { readonly operation: FencingOperation; readonly timeoutMs: number; readonly request?: string },
  work: () => Promise<T>,
): Promise<T> {
  const onWait = ctx.onWait;
  if (onWait === undefined) return work();
  const action = `power ${call.operation}`;
  const request = call.request === undefined ? undefined : redact(call.request);
  const stop = startWaitNotices(
    (waitedMs) => {
      const what = request === undefined ? action : `${action}, ${request}`;
      onWait({
        host: ctx.host,
        driver: ctx.driver,
        bmc: ctx.address,
        action,
        ...(request === undefined ? {} : { request }),
        waitedMs,
        timeoutMs: call.timeoutMs,
        message: redact(
          `waiting for the BMC of ${ctx.host} (${ctx.driver} ${ctx.address}, ${what}): no answer yet after ${seconds(waitedMs)}; gives up after ${seconds(call.timeoutMs)}`,
        ),
      });
    },
    { everyMs: ctx.noticeEveryMs },
  );
  try {
    return await work();
  } finally {
    stop();
  }
}
