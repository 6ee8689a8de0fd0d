import { refused } from '../errors/index.js';
import type { FenceBasis, FenceEvidence, SafetyView } from '../steps/step.interface.js';

export type { FenceBasis, FenceEvidence };

/**
 * The safety contract's memory: which hosts this run (or its journal, on resume) has seen fenced
 * by a power read-back, and the operator's `--assume-fenced` assertion. `force-down` and
 * `evacuate` call {@link SafetyLedger.requireFenced}, which refuses (exit 3) otherwise.
 */
export class SafetyLedger implements SafetyView {
  readonly #fences = new Map<string, FenceEvidence>();
  readonly #assumeFenced: string | undefined;
  readonly #onAssumed: (host: string, reason: string) => void;
  readonly #assumedRecorded = new Set<string>();

  constructor(assumeFenced: string | undefined, onAssumed: (host: string, reason: string) => void = () => undefined) {
    this.#assumeFenced = assumeFenced;
    this.#onAssumed = onAssumed;
  }

  /** Records a confirmed (or, for plans, expected) fence. */
  recordFence(evidence: FenceEvidence): void {
    const existing = this.#fences.get(evidence.host);
    // a real read-back always wins over a planned one
    if (existing && !existing.planned && evidence.planned) return;
    this.#fences.set(evidence.host, evidence);
  }

  /** Forgets a host's fence (it was powered on again in this run). */
  forgetFence(host: string): void {
    this.#fences.delete(host);
  }

  fenceOf(host: string): FenceEvidence | undefined {
    return this.#fences.get(host);
  }

  /** The operator's `--assume-fenced` reason, if given. */
  get assumeFencedReason(): string | undefined {
    return this.#assumeFenced;
  }

  /**
   * Returns why acting on `host` is safe, or throws a refusal (exit 3) that says how to
   * proceed. `action` names what would happen ("force down", "evacuate").
   */
  requireFenced(host: string, action: string): FenceBasis {
    const evidence = this.#fences.get(host);
    if (evidence) return { kind: 'confirmed', evidence };
    if (this.#assumeFenced !== undefined) {
      if (!this.#assumedRecorded.has(host)) {
        this.#assumedRecorded.add(host);
        this.#onAssumed(host, this.#assumeFenced);
      }
      return { kind: 'assumed', reason: this.#assumeFenced };
    }
    throw refused(
      'NOT_FENCED',
      `refusing to ${action} ${host}: this run has not confirmed that ${host} is powered off`,
      `add a fence step for ${host} before this step (its BMC must read back "off"), or, if the host is fenced by other means, pass --assume-fenced "<who/what fenced it and when>" (the reason is recorded)`,
      { host, action },
    );
  }
}
