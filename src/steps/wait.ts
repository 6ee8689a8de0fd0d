import type { WaitStep } from '../generated/runbook.types.js';
import { formatDuration, parseDuration } from '../runbook/index.js';
import type { StepModule } from './step.interface.js';

/** `wait`: pauses for a fixed time (cancellable). */
export const step: StepModule<WaitStep> = {
  type: 'wait',
  defaultTimeoutMs: 24 * 3_600_000,
  // waits, asks or tells: changes nothing a run must report as changed
  sideEffects: false,
  title: (s) => `wait ${String(s.duration)}`,
  async check(s) {
    return { needed: true, summary: `would wait ${formatDuration(parseDuration(String(s.duration)))}` };
  },
  async apply(s, context) {
    const ms = parseDuration(String(s.duration));
    await context.sleep(ms);
    return { summary: `waited ${formatDuration(ms)}`, outputs: { waitedMs: ms } };
  },
  async confirmJournaled() {
    return true;
  },
};
