/**
 * A run's story, read from its journal: what an operator asks after an incident — when was the
 * host fenced and by which BMC (or who asserted it), when was it down, which server went where,
 * how many attempts and how long each took. Pure: events in, a plain model out; the renderers
 * (text, Markdown, JUnit, HTML) and `forcedown show`/`report` only format it.
 */
import type { ErrorKind } from '../errors/index.js';
import type { RunStatus, StepFinishStatus } from '../runner/index.js';

/** One step, from its first start to its last finish. */
export interface StepStory {
  readonly id: string;
  readonly type: string;
  readonly title: string;
  /** `running` when the journal ends inside the step; `not-run` when it never started. */
  readonly status: StepFinishStatus | 'running' | 'not-run';
  readonly summary: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  readonly attempts: number;
  /** Every retry: when, after which attempt, why. */
  readonly retries: readonly { readonly at: string; readonly attempt: number; readonly error: string }[];
  readonly error?: string;
  /** What the step said while it worked (`step.output`: wait notices, command output). */
  readonly output: readonly { readonly at: string; readonly message: string }[];
  /** Confirmed from the journal on resume, not redone. */
  readonly fromJournal: boolean;
}

/** The safety record: a power-off read back, an operator's assertion, a broken lock. */
export interface SafetyRecord {
  readonly kind: 'fence-confirmed' | 'assumed-fenced' | 'lock-broken';
  readonly host: string;
  readonly at: string;
  /** fence-confirmed: the driver (ipmi, redfish, command) and the BMC it read. */
  readonly driver?: string;
  readonly target?: string;
  readonly stepId?: string;
  /** assumed-fenced / lock-broken: the reason the operator gave. */
  readonly reason?: string;
}

/** One server's evacuation (or what happened instead). */
export interface ServerStory {
  readonly id: string;
  readonly name: string;
  readonly result: 'evacuated' | 'failed' | 'skipped' | 'reset' | 'in-flight';
  readonly fromHost?: string;
  readonly toHost?: string;
  readonly reason?: string;
  readonly stepId?: string;
  readonly attempts: number;
  /** The first evacuate request, and the confirmation (or final failure). */
  readonly requestedAt?: string;
  readonly finishedAt?: string;
  readonly seconds?: number;
  /** Attempts that failed in Nova and were retried, and requests Nova did not take. */
  readonly failedAttempts: readonly { readonly at: string; readonly reason: string }[];
}

/** Everything `forcedown show` and `report` print about one run. */
export interface RunStory {
  readonly runId: string;
  readonly journalPath: string;
  readonly runbook: { readonly name: string; readonly file: string };
  readonly hosts: readonly string[];
  readonly machine: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly dryRun: boolean;
  readonly startedAt: string;
  /** The last event's time. */
  readonly endedAt: string;
  readonly durationMs: number;
  /** `incomplete` when the journal has no run.finished (or was resumed after it). */
  readonly status: RunStatus | 'incomplete';
  readonly exitCode?: number;
  readonly error?: {
    readonly code: string;
    readonly kind?: ErrorKind;
    readonly message: string;
    readonly hint: string;
    /** Pre-flight's problems when it found several: the step each concerns and its code. */
    readonly problems?: readonly { readonly stepId: string; readonly code: string }[];
  };
  /** Pre-flight stopped the run before its first action: nothing changed, no BMC was contacted. */
  readonly preflightFailed: boolean;
  /** Steps with side effects that changed something (in this run and earlier segments). */
  readonly changed: readonly string[];
  /** `resume RUN-ID` can go on from where this run stopped. */
  readonly resumable: boolean;
  readonly resumes: readonly { readonly at: string; readonly machine: string }[];
  readonly steps: readonly StepStory[];
  readonly safety: readonly SafetyRecord[];
  /** When force-down confirmed the service down (the force-down step's finish), if it did. */
  readonly downAt?: string;
  readonly servers: readonly ServerStory[];
  /** The journal's last line was cut off by a crash (ignored). */
  readonly truncatedTail: boolean;
}

export const ms = (from: string | undefined, to: string | undefined): number | undefined =>
  from === undefined || to === undefined ? undefined : Date.parse(to) - Date.parse(from);

/** An event's free-form field as text: strings and numbers as they are, else `fallback`. */
export function eventText(value: unknown, fallback = ''): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return fallback;
}
