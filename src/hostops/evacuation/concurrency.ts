/**
 * How many evacuations to keep in flight, adapting to Nova: a transient conflict (placement's
 * consumer generation conflicts, "No valid host" while others are in flight, 409s during a
 * concurrent task) halves the number, once per wave: conflicts of requests sent before the last
 * decrease do not lower it again. Each run of `current` confirmed evacuations raises it by one, up
 * to what the runbook allows. So a high `concurrency` costs at most one wave of conflicts.
 */
import type { ConcurrencyReport } from './types.js';

/** Additive-increase, multiplicative-decrease limit on evacuations in flight. */
export class AdaptiveConcurrency {
  readonly configured: number;
  #current: number;
  #lowest: number;
  #highest: number;
  #peak = 0;
  #conflicts = 0;
  #decreasedAt = -Infinity;
  #successes = 0;

  constructor(configured: number) {
    this.configured = Math.max(1, Math.floor(configured));
    this.#current = this.configured;
    this.#lowest = this.configured;
    this.#highest = this.configured;
  }

  /** The number allowed in flight now. */
  get current(): number {
    return this.#current;
  }

  /** Notes how many are in flight (for the report's peak). */
  inFlight(count: number): void {
    this.#peak = Math.max(this.#peak, count);
  }

  /** A transient conflict of a request sent at `sentAt` (local ms); the change, if any. */
  conflict(sentAt: number, now: number): { from: number; to: number } | undefined {
    this.#conflicts += 1;
    this.#successes = 0;
    if (sentAt < this.#decreasedAt || this.#current === 1) return undefined;
    const from = this.#current;
    this.#current = Math.max(1, Math.floor(from / 2));
    this.#lowest = Math.min(this.#lowest, this.#current);
    this.#decreasedAt = now;
    return { from, to: this.#current };
  }

  /** A confirmed evacuation; the change, if any. */
  success(): { from: number; to: number } | undefined {
    this.#successes += 1;
    if (this.#current >= this.configured || this.#successes < this.#current) return undefined;
    this.#successes = 0;
    const from = this.#current;
    this.#current += 1;
    this.#highest = Math.max(this.#highest, this.#current);
    return { from, to: this.#current };
  }

  report(): ConcurrencyReport {
    return {
      configured: this.configured,
      lowest: this.#lowest,
      highest: this.#highest,
      final: this.#current,
      peakInFlight: this.#peak,
      conflicts: this.#conflicts,
    };
  }
}
