import { setTimeout as sleep } from 'node:timers/promises';
import { seconds } from '../wait-notices.js';
import { FencingError } from './fencing-error.js';
import type { PowerAction, PowerController, PowerDriver, PowerState } from './power.interface.js';

/** Options of {@link fence} and {@link powerOn}. */
export interface PowerPrimitiveOptions {
  /**
   * Milliseconds to wait, after the request was sent, for the power state to be read back as
   * wanted.
   * @defaultValue `60_000`
   */
  readonly timeoutMs?: number;
  /**
   * Milliseconds between two status reads while waiting.
   * @defaultValue `1_000`
   */
  readonly pollIntervalMs?: number;
  /** Cancels the wait and any BMC call in flight (listr2's `task.signal`); rejects with exit 130. */
  readonly signal?: AbortSignal;
  /**
   * Read the current state, but send nothing; resolve with a {@link PowerDryRun} report.
   * @defaultValue `false`
   */
  readonly dryRun?: boolean;
  /**
   * The state the caller has just read from this BMC (a step's check): used instead of a first
   * read of its own, which saves one BMC round trip before the request is sent. Only the state
   * read back after the request confirms anything.
   */
  readonly justRead?: PowerState;
  /** Called on each step (read, send, wait, retry, confirmed); for listr2 `task.output`. */
  readonly onProgress?: (event: PowerProgress) => void;
  /**
   * How often one status read is retried when it fails transiently (BMC unreachable, HTTP 5xx)
   * before the primitive gives up. Auth failures and unreadable states are never retried.
   * @defaultValue `2`
   */
  readonly statusRetries?: number;
  /**
   * Milliseconds between those retries.
   * @defaultValue `500`
   */
  readonly retryDelayMs?: number;
  /**
   * Milliseconds one BMC call may take.
   * @defaultValue the controller's (`callTimeoutSec` of the entry, else 20 s)
   */
  readonly callTimeoutMs?: number;
}

/** Options of {@link fence}. */
export type FenceOptions = PowerPrimitiveOptions;
/** Options of {@link powerOn}. */
export type PowerOnOptions = PowerPrimitiveOptions;

/** One step of a fence or power-on, for progress output. */
export interface PowerProgress {
  readonly operation: 'fence' | 'power-on';
  readonly host: string;
  readonly phase: 'read' | 'send' | 'sent' | 'wait' | 'retry' | 'confirmed' | 'dry-run';
  /** The state just read, when the phase read one. */
  readonly state?: PowerState;
  /** Milliseconds since the primitive started. */
  readonly elapsedMs: number;
  /** One line for humans (no secrets). */
  readonly message: string;
}

/**
 * Proof that a host is powered off: the BMC reported `off` when asked. Nothing else counts as a
 * fence. Journal this object; force-down checks it.
 */
export interface FenceEvidence {
  readonly dryRun: false;
  readonly host: string;
  readonly driver: PowerDriver;
  readonly target: string;
  readonly state: 'off';
  /** The first read already said off: no power-off was sent. */
  readonly alreadyOff: boolean;
  /** When the BMC reported off (ISO 8601). */
  readonly confirmedAt: string;
  /** Milliseconds from the first status read to the confirming one. */
  readonly durationMs: number;
  /** Successful status reads, the confirming one included. */
  readonly readBacks: number;
  /** When the power-off request was sent (ISO 8601); absent when already off. */
  readonly offSentAt?: string;
  /** The request sent (redacted). */
  readonly request?: string;
}

/** Proof that a host is powered on again: the BMC reported `on`. */
export interface PowerOnEvidence {
  readonly dryRun: false;
  readonly host: string;
  readonly driver: PowerDriver;
  readonly target: string;
  readonly state: 'on';
  readonly alreadyOn: boolean;
  readonly confirmedAt: string;
  readonly durationMs: number;
  readonly readBacks: number;
  readonly onSentAt?: string;
  readonly request?: string;
}

/** What a dry-run fence or power-on found and would have sent. */
export interface PowerDryRun {
  readonly dryRun: true;
  readonly operation: 'fence' | 'power-on';
  readonly host: string;
  readonly driver: PowerDriver;
  readonly target: string;
  /** The state read from the BMC. */
  readonly currentState: PowerState;
  /** The request that would be sent; absent when the host is already in the wanted state. */
  readonly wouldSend?: string;
}

interface Outcome {
  readonly already: boolean;
  readonly confirmedAt: string;
  readonly durationMs: number;
  readonly readBacks: number;
  readonly sentAt?: string;
  readonly request?: string;
}

const DEFAULTS = { timeoutMs: 60_000, pollIntervalMs: 1_000, statusRetries: 2, retryDelayMs: 500 } as const;

function fencingErrorOf(
  controller: PowerController,
  operation: 'fence' | 'power-on',
  error: unknown,
  signal: AbortSignal | undefined,
): FencingError {
  if (error instanceof FencingError) return error;
  const canceled = signal?.aborted === true || (error instanceof Error && error.name === 'AbortError');
  return new FencingError(
    {
      host: controller.host,
      driver: controller.driver,
      target: controller.target,
      credentialSource: controller.credentialSource,
      operation,
      failure: canceled ? 'canceled' : 'error',
      reason: canceled ? 'cancelled' : error instanceof Error ? error.message : String(error),
    },
    error,
  );
}

/** One fence or power-on: read, send once (never blindly twice), read back until confirmed. */
class PowerDrive {
  private readonly want: PowerState;
  private readonly action: PowerAction;
  private readonly signal: AbortSignal | undefined;
  private readonly callTimeoutMs: number | undefined;
  private readonly timeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly statusRetries: number;
  private readonly retryDelayMs: number;
  private readonly started = performance.now();
  private readBacks = 0;
  private lastState: PowerState | undefined;
  private sentAt: string | undefined;
  private request: string | undefined;

  constructor(
    private readonly controller: PowerController,
    private readonly operation: 'fence' | 'power-on',
    private readonly options: PowerPrimitiveOptions,
  ) {
    this.want = operation === 'fence' ? 'off' : 'on';
    this.action = this.want;
    this.signal = options.signal;
    this.callTimeoutMs = options.callTimeoutMs;
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.pollIntervalMs = Math.max(1, options.pollIntervalMs ?? DEFAULTS.pollIntervalMs);
    this.statusRetries = Math.max(0, options.statusRetries ?? DEFAULTS.statusRetries);
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? DEFAULTS.retryDelayMs);
  }

  async run(): Promise<Outcome | PowerDryRun> {
    const { controller, operation, signal } = this;
    try {
      const initial = this.options.justRead ?? (await this.read());
      if (initial === this.want) return this.done(true);
      if (this.options.dryRun) return await this.dryRun(initial);
      const reached = await this.sendOnce();
      return reached ?? (await this.waitForWanted());
    } catch (error) {
      const failure = fencingErrorOf(controller, operation, error, signal);
      if (failure.operation === operation) throw failure;
      const details = { readBacks: this.readBacks, ...(this.sentAt ? { sentAt: this.sentAt } : {}) };
      throw failure.during(operation, { lastState: this.lastState, details });
    }
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.started);
  }

  private progress(phase: PowerProgress['phase'], message: string, state?: PowerState): void {
    this.options.onProgress?.({
      operation: this.operation,
      host: this.controller.host,
      phase,
      elapsedMs: this.elapsed(),
      message,
      ...(state ? { state } : {}),
    });
  }

  private checkAborted(): void {
    if (this.signal?.aborted)
      throw fencingErrorOf(this.controller, this.operation, new Error('cancelled'), this.signal);
  }

  private async read(): Promise<PowerState> {
    const { controller, signal } = this;
    for (let attempt = 0; ; attempt++) {
      this.checkAborted();
      try {
        const state = await controller.status({ signal, timeoutMs: this.callTimeoutMs });
        this.readBacks++;
        this.lastState = state;
        this.progress('read', `${controller.host}: power is ${state} (${controller.target})`, state);
        return state;
      } catch (error) {
        const failure = fencingErrorOf(controller, this.operation, error, signal);
        // Only a driver's own transient failure is retried; anything else (a bug) is not.
        const transient = error instanceof FencingError && failure.isTransient;
        if (!transient || attempt >= this.statusRetries || signal?.aborted) throw failure;
        this.progress(
          'retry',
          `${controller.host}: status read failed (${failure.message}); retry ${attempt + 1} of ${this.statusRetries}`,
        );
        await sleep(this.retryDelayMs, undefined, { signal });
      }
    }
  }

  private async send(): Promise<void> {
    this.checkAborted();
    this.sentAt = new Date().toISOString();
    this.progress('send', `${this.controller.host}: sending power ${this.action}`);
    const result = await this.controller[this.action]({ signal: this.signal, timeoutMs: this.callTimeoutMs });
    this.request = result.request;
    this.progress('sent', `${this.controller.host}: power ${this.action} accepted by the BMC`);
  }

  private done(already: boolean): Outcome {
    const { host } = this.controller;
    this.progress(
      'confirmed',
      `${host}: power ${this.want} confirmed by read-back after ${this.elapsed()} ms`,
      this.want,
    );
    return {
      already,
      confirmedAt: new Date().toISOString(),
      durationMs: this.elapsed(),
      readBacks: this.readBacks,
      ...(this.sentAt ? { sentAt: this.sentAt } : {}),
      ...(this.request ? { request: this.request } : {}),
    };
  }

  private async dryRun(initial: PowerState): Promise<PowerDryRun> {
    const { controller } = this;
    const planned = await controller[this.action]({ signal: this.signal, timeoutMs: this.callTimeoutMs, dryRun: true });
    this.progress('dry-run', `${controller.host}: power is ${initial}; would send: ${planned.request}`, initial);
    return {
      dryRun: true,
      operation: this.operation,
      host: controller.host,
      driver: controller.driver,
      target: controller.target,
      currentState: initial,
      wouldSend: planned.request,
    };
  }

  /** Sends the request; after a failed send, reads the state first and resends only when safe. */
  private async sendOnce(): Promise<Outcome | undefined> {
    try {
      await this.send();
      return undefined;
    } catch (error) {
      const failure = fencingErrorOf(this.controller, this.operation, error, this.signal);
      if (failure.isCanceled) throw failure;
      // Never resend blindly: the request may have been carried out. Read the state first.
      this.progress(
        'retry',
        `${this.controller.host}: power ${this.action} failed (${failure.message}); reading the state before deciding`,
      );
      const after = await this.read();
      if (after === this.want) return this.done(false);
      const movingThere = after === (this.want === 'off' ? 'powering-off' : 'powering-on');
      if (!movingThere) {
        if (!failure.isTransient) throw failure;
        await this.send();
      }
      return undefined;
    }
  }

  private async waitForWanted(): Promise<Outcome> {
    const waitStarted = performance.now();
    const deadline = waitStarted + this.timeoutMs;
    for (;;) {
      const state = await this.read();
      if (state === this.want) return this.done(false);
      const left = deadline - performance.now();
      if (left <= 0) throw this.timedOut(state);
      this.progress(
        'wait',
        `${this.controller.host}: power is ${state}, waiting for ${this.want} (${this.controller.target}, ${this.readBacks} reads; waited ${seconds(performance.now() - waitStarted)} of ${seconds(this.timeoutMs)})`,
        state,
      );
      await sleep(Math.min(this.pollIntervalMs, left), undefined, { signal: this.signal });
    }
  }

  private timedOut(state: PowerState): FencingError {
    const { controller, timeoutMs } = this;
    return new FencingError({
      host: controller.host,
      driver: controller.driver,
      target: controller.target,
      credentialSource: controller.credentialSource,
      operation: this.operation,
      failure: 'timeout',
      reason: `power ${this.action} was accepted, but the BMC still reports ${state} after ${Math.round(timeoutMs / 100) / 10} s`,
      lastState: state,
      details: { timeoutMs, readBacks: this.readBacks, sentAt: this.sentAt },
    });
  }
}

function drive(
  controller: PowerController,
  operation: 'fence' | 'power-on',
  options: PowerPrimitiveOptions,
): Promise<Outcome | PowerDryRun> {
  return new PowerDrive(controller, operation, options).run();
}

/**
 * Fences `controller.host`: reads the power state; if it is not `off`, sends power-off and reads
 * the state back every `pollIntervalMs` until the BMC reports `off`. A fence counts only when the
 * state is read back as off.
 *
 * Status reads are retried on transient errors (`statusRetries`); a power-off that failed is
 * never resent before the state has been read again.
 *
 * @returns the {@link FenceEvidence}, or with `dryRun` a {@link PowerDryRun} report
 * @throws FencingError with operation `fence` and exit code 3 (refused for safety) when the
 *   power-off cannot be confirmed: BMC unreachable (`isUnreachable`), credentials refused
 *   (`isAuthFailure`), state unreadable (`isUnknownState`), not off before `timeoutMs`
 *   (`timedOut`), request refused (`isRejected`), TLS or configuration problems; exit 130 when
 *   cancelled (`isCanceled`)
 */
export async function fence(
  controller: PowerController,
  options: FenceOptions & { dryRun: true },
): Promise<FenceEvidence | PowerDryRun>;
export async function fence(
  controller: PowerController,
  options?: FenceOptions & { dryRun?: false },
): Promise<FenceEvidence>;
export async function fence(controller: PowerController, options?: FenceOptions): Promise<FenceEvidence | PowerDryRun>;
export async function fence(
  controller: PowerController,
  options: FenceOptions = {},
): Promise<FenceEvidence | PowerDryRun> {
  const outcome = await drive(controller, 'fence', options);
  if ('dryRun' in outcome) return outcome;
  return {
    dryRun: false,
    host: controller.host,
    driver: controller.driver,
    target: controller.target,
    state: 'off',
    alreadyOff: outcome.already,
    confirmedAt: outcome.confirmedAt,
    durationMs: outcome.durationMs,
    readBacks: outcome.readBacks,
    ...(outcome.sentAt ? { offSentAt: outcome.sentAt } : {}),
    ...(outcome.request ? { request: outcome.request } : {}),
  };
}

/**
 * Powers `controller.host` on: reads the state; if it is not `on`, sends power-on and reads the
 * state back until the BMC reports `on`. The reverse of {@link fence}.
 *
 * @returns the {@link PowerOnEvidence}, or with `dryRun` a {@link PowerDryRun} report
 * @throws FencingError with operation `power-on` and exit code 1 (130 when cancelled), with the
 *   same flags as {@link fence}
 */
export async function powerOn(
  controller: PowerController,
  options: PowerOnOptions & { dryRun: true },
): Promise<PowerOnEvidence | PowerDryRun>;
export async function powerOn(
  controller: PowerController,
  options?: PowerOnOptions & { dryRun?: false },
): Promise<PowerOnEvidence>;
export async function powerOn(
  controller: PowerController,
  options?: PowerOnOptions,
): Promise<PowerOnEvidence | PowerDryRun>;
export async function powerOn(
  controller: PowerController,
  options: PowerOnOptions = {},
): Promise<PowerOnEvidence | PowerDryRun> {
  const outcome = await drive(controller, 'power-on', options);
  if ('dryRun' in outcome) return outcome;
  return {
    dryRun: false,
    host: controller.host,
    driver: controller.driver,
    target: controller.target,
    state: 'on',
    alreadyOn: outcome.already,
    confirmedAt: outcome.confirmedAt,
    durationMs: outcome.durationMs,
    readBacks: outcome.readBacks,
    ...(outcome.sentAt ? { onSentAt: outcome.sentAt } : {}),
    ...(outcome.request ? { request: outcome.request } : {}),
  };
}
