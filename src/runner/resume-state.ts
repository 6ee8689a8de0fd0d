import { eventText, type RunEvent, type RunStartedEvent, type StepFinishedEvent } from './events.interface.js';
import type { FenceEvidence } from './safety-ledger.js';

/** What a resumed run takes from its journal. */
export interface ResumeState {
  readonly runId: string;
  readonly startedAt: string;
  readonly started: RunStartedEvent;
  /** Next event sequence number. */
  readonly nextSeq: number;
  /** The latest finish of each step (a failed finish is not "done"). */
  readonly finished: ReadonlyMap<string, StepFinishedEvent>;
  /** All events of each step, in order (progress of an interrupted evacuation...). */
  readonly stepEvents: ReadonlyMap<string, readonly RunEvent[]>;
  /** The step that had started but not finished when the run stopped. */
  readonly interruptedStep: string | undefined;
  /** Fences confirmed by read-back in this run. */
  readonly fences: readonly FenceEvidence[];
  /** Wall time already spent (for the summary). */
  readonly previousDurationMs: number;
}

/** Builds the resume state from a journal's events; undefined if it has no run.started. */
export function resumeStateFrom(events: readonly RunEvent[]): ResumeState | undefined {
  const started = events.find((e): e is RunStartedEvent => e.event === 'run.started');
  if (!started) return undefined;
  const finished = new Map<string, StepFinishedEvent>();
  const stepEvents = new Map<string, RunEvent[]>();
  const open = new Set<string>();
  const fences: FenceEvidence[] = [];
  let previousDurationMs = 0;
  let segmentStart = Date.parse(started.ts);
  let last = segmentStart;
  for (const event of events) {
    const at = Date.parse(event.ts);
    if (event.event === 'run.resumed') {
      previousDurationMs += last - segmentStart;
      segmentStart = at;
    }
    last = at;
    if ('stepId' in event && typeof event.stepId === 'string') {
      const list = stepEvents.get(event.stepId) ?? [];
      list.push(event);
      stepEvents.set(event.stepId, list);
    }
    if (event.event === 'step.started') open.add(event.stepId);
    if (event.event === 'step.finished') {
      open.delete(event.stepId);
      if (event.status === 'failed') finished.delete(event.stepId);
      else finished.set(event.stepId, event);
    }
    if (event.event === 'safety.fence-confirmed' && event.data) {
      fences.push({
        host: event.host,
        driver: eventText(event.data.driver),
        target: eventText(event.data.target),
        confirmedAt: eventText(event.data.confirmedAt, event.ts),
        stepId: eventText(event.data.stepId),
      });
    }
  }
  previousDurationMs += last - segmentStart;
  return {
    runId: started.runId,
    startedAt: started.ts,
    started,
    nextSeq: (events.at(-1)?.seq ?? 0) + 1,
    finished,
    stepEvents,
    interruptedStep: [...open].at(-1),
    fences,
    previousDurationMs,
  };
}
