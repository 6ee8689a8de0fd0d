import type { PasswordSource } from '../generated/inventory.types.js';
import { isForcedownError } from '../errors/index.js';
import { redact } from '../secrets/index.js';
import { FencingError, type FencingErrorFacts, type FencingFailure, type FencingOperation } from './fencing-error.js';
import type { PowerDriver } from './power.interface.js';

/** What every driver knows about the host it powers (internal). */
export interface DriverContext {
  readonly host: string;
  readonly driver: PowerDriver;
  readonly target: string;
  readonly credentialSource: string | undefined;
  readonly callTimeoutMs: number;
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
