/**
 * Nova's clock, measured from the `Date` header of its answers. An answer dated D (whole seconds,
 * so Nova's time was in [D, D + 1 s)) was produced at a local time between the request's sending
 * and its answer, so Nova's clock minus ours lies in [D - received, D + 1 s - sent]. Every answer
 * narrows that interval; one that contradicts it (Nova's clock stepped, or another nova-api node
 * with another clock answered) starts it again from that answer.
 */
import type { NovaClock } from '../openstack.interface.js';

/** A {@link NovaClock} fed by the answers the compute API receives. */
export class MeasuredNovaClock implements NovaClock {
  #low: number | undefined;
  #high: number | undefined;

  /** Takes one answer into account (`dateHeader` as Nova sent it; local times in ms). */
  observe(dateHeader: string | undefined, sentAt: number, receivedAt: number): void {
    if (dateHeader === undefined) return;
    const date = Date.parse(dateHeader);
    if (Number.isNaN(date)) return;
    const low = date - receivedAt;
    const high = date + 1000 - sentAt;
    if (this.#low === undefined || this.#high === undefined || low > this.#high || high < this.#low) {
      this.#low = low;
      this.#high = high;
      return;
    }
    this.#low = Math.max(this.#low, low);
    this.#high = Math.min(this.#high, high);
  }

  earliest(localMs: number): number | undefined {
    return this.#low === undefined ? undefined : localMs + this.#low;
  }

  latest(localMs: number): number | undefined {
    return this.#high === undefined ? undefined : localMs + this.#high;
  }
}
