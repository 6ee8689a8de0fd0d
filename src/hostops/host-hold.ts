import { refused } from '../errors/index.js';
import type { CallOptions, ComputeApi, ComputeService } from '../openstack/openstack.interface.js';
import { markerHolder } from './marker.js';
import { describeService } from './service-rules.js';

/** What a hold found changed under it (the `data` of its `HOLD_LOST` error). */
export interface HoldLoss extends Readonly<Record<string, unknown>> {
  readonly host: string;
  readonly runId: string;
  /** `marker-removed`, `marker-replaced` (another run's marker), `marker-released`, `forced-down-cleared`. */
  readonly change: 'marker-removed' | 'marker-replaced' | 'marker-released' | 'forced-down-cleared';
  /** The other run named by the marker now, if any. */
  readonly holder: string | null;
  readonly status: string;
  readonly forcedDown: boolean;
  readonly disabledReason: string | null;
}

/** What changed, or undefined when the service still shows the hold. */
function lossOf(service: ComputeService, runId: string, expectForcedDown: boolean): HoldLoss | undefined {
  const holder = markerHolder(service.disabledReason);
  const facts = {
    host: service.host,
    runId,
    holder: holder ?? null,
    status: service.status,
    forcedDown: service.forcedDown,
    disabledReason: service.disabledReason,
  };
  if (holder !== runId || service.status !== 'disabled') {
    if (holder !== undefined) return { ...facts, change: 'marker-replaced' };
    const released = service.disabledReason?.includes(`[forcedown:${runId} released]`) === true;
    return { ...facts, change: released ? 'marker-released' : 'marker-removed' };
  }
  if (expectForcedDown && !service.forcedDown) return { ...facts, change: 'forced-down-cleared' };
  return undefined;
}

const SAID: Readonly<Record<HoldLoss['change'], string>> = {
  'marker-removed': 'its lock marker was removed from the disabled reason',
  'marker-replaced': 'its lock marker was replaced',
  'marker-released': 'its lock marker was released',
  'forced-down-cleared': 'forced_down was cleared',
};

/**
 * A run's hold on one host in Nova: once the run has written its marker (`[forcedown:<run-id>]`
 * in the disabled reason, see ./marker.ts), every later Nova write of the run and the run's end
 * re-read the service first. If another writer (an operator, `terraform apply`, another run with
 * `--break-lock`) removed or replaced the marker, or cleared forced_down under it, {@link verify}
 * throws a `refused` error (`HOLD_LOST`) saying what changed: the run must not go on believing
 * it holds the host.
 */
export class HostHold {
  readonly host: string;
  readonly runId: string;
  readonly #api: Pick<ComputeApi, 'findComputeService'>;
  #held = false;
  #expectForcedDown = false;

  constructor(api: Pick<ComputeApi, 'findComputeService'>, host: string, runId: string) {
    this.#api = api;
    this.host = host;
    this.runId = runId;
  }

  /** Whether the run holds the host (its marker was written or found). */
  get held(): boolean {
    return this.#held;
  }

  /**
   * Records what the run's own write left: the hold starts when `service` carries the run's
   * marker, forced_down is expected while the run keeps it set, and the hold ends when the run's
   * own write removed the marker (an enable, a release).
   */
  observe(service: ComputeService): void {
    const mine = service.status === 'disabled' && markerHolder(service.disabledReason) === this.runId;
    this.#held = mine;
    this.#expectForcedDown = mine && service.forcedDown;
  }

  /** The run itself clears forced_down next: stop expecting it. */
  expectForcedDown(expected: boolean): void {
    this.#expectForcedDown = expected;
  }

  /** The run gave the host up (released its marker): nothing more to verify. */
  end(): void {
    this.#held = false;
    this.#expectForcedDown = false;
  }

  /**
   * Re-reads the service; throws `HOLD_LOST` (refused) when the hold is gone. Returns the service
   * as read (undefined when the run holds nothing, then Nova is not asked).
   */
  async verify(options?: CallOptions): Promise<ComputeService | undefined> {
    if (!this.#held) return undefined;
    const service = await this.#api.findComputeService(this.host, options);
    this.check(service);
    return service;
  }

  /** Throws `HOLD_LOST` (refused) when `service`, just read, no longer shows the hold. */
  check(service: ComputeService): void {
    if (!this.#held) return;
    const loss = lossOf(service, this.runId, this.#expectForcedDown);
    if (loss === undefined) return;
    this.end();
    throw refused(
      'HOLD_LOST',
      `run ${this.runId} no longer holds ${this.host}: ${SAID[loss.change]} by another writer (now: ${describeService(service)})`,
      `someone changed ${this.host} in Nova while this run held it (an operator, terraform apply, or a run with --break-lock); find out who (nova-api's log), decide the host's state, then run the runbook again`,
      loss,
    );
  }
}
