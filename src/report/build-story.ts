import {
  changedSteps,
  isResumable,
  listingStatus,
  type JournalContents,
  type EventError,
  type RunEvent,
  type RunFinishedEvent,
  type RunStartedEvent,
  type SafetyEvent,
  type StepFinishedEvent,
  type StepProgressEvent,
  type StepRetryingEvent,
} from '../runner/index.js';
import { eventText, ms, type RunStory, type SafetyRecord, type ServerStory, type StepStory } from './story.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type StepDraft = Mutable<StepStory> & {
  retries: StepStory['retries'][number][];
  output: StepStory['output'][number][];
};
type ServerDraft = Mutable<ServerStory> & { failedAttempts: ServerStory['failedAttempts'][number][] };

function stepDraft(id: string, type: string, title: string): StepDraft {
  return { id, type, title, status: 'not-run', summary: '', attempts: 0, retries: [], output: [], fromJournal: false };
}

/** Steps in the order they first appear, from their events and the final summary. */
function stepsOf(events: readonly RunEvent[], finished: RunFinishedEvent | undefined): StepStory[] {
  const steps = new Map<string, StepDraft>();
  const draft = (id: string, type: string, title = id): StepDraft => {
    let step = steps.get(id);
    if (!step) steps.set(id, (step = stepDraft(id, type, title)));
    return step;
  };
  for (const event of events) {
    if (event.event === 'step.started') {
      const step = draft(event.stepId, event.type, event.title);
      step.startedAt ??= event.ts;
      step.status = 'running';
      step.attempts = Math.max(step.attempts, event.attempt);
    } else if (event.event === 'step.output') {
      draft(event.stepId, '?').output.push({ at: event.ts, message: event.message });
    } else if (event.event === 'step.retrying') {
      retried(draft(event.stepId, '?'), event);
    } else if (event.event === 'step.finished') {
      finishedStep(draft(event.stepId, event.type), event);
    }
  }
  for (const result of finished?.summary.stepResults ?? []) {
    const step = draft(result.id, result.type);
    if (result.status === 'not-run' && step.status === 'not-run') step.summary = result.summary;
  }
  return [...steps.values()];
}

function retried(step: StepDraft, event: StepRetryingEvent): void {
  step.retries.push({ at: event.ts, attempt: event.attempt, error: event.error.message });
}

function finishedStep(step: StepDraft, event: StepFinishedEvent): void {
  step.status = event.status;
  step.summary = event.summary;
  step.finishedAt = event.ts;
  step.startedAt ??= new Date(Date.parse(event.ts) - event.durationMs).toISOString();
  step.durationMs = ms(step.startedAt, event.ts) ?? event.durationMs;
  step.attempts = Math.max(step.attempts, event.attempts);
  step.fromJournal = event.fromJournal === true;
  if (event.error) step.error = event.error.message;
  else delete step.error;
}

function safetyOf(events: readonly RunEvent[]): SafetyRecord[] {
  return events
    .filter((e): e is SafetyEvent => e.event.startsWith('safety.'))
    .map((e) => {
      const data = e.data ?? {};
      const kind = e.event.slice('safety.'.length) as SafetyRecord['kind'];
      return {
        kind,
        host: e.host,
        at: kind === 'fence-confirmed' ? eventText(data.confirmedAt, e.ts) : e.ts,
        ...(typeof data.driver === 'string' ? { driver: data.driver } : {}),
        ...(typeof data.target === 'string' ? { target: data.target } : {}),
        ...(typeof data.stepId === 'string' ? { stepId: data.stepId } : {}),
        ...(e.reason !== undefined ? { reason: e.reason } : {}),
      };
    });
}

/** Applies one evacuation progress fact to its server. */
function serverProgress(server: ServerDraft, event: StepProgressEvent): void {
  const data = event.data;
  server.stepId = event.stepId;
  if (typeof data.name === 'string' && data.name !== '') server.name = data.name;
  if (event.kind === 'evacuation.requested') {
    server.requestedAt ??= eventText(data.at, event.ts);
    server.attempts = Math.max(server.attempts, typeof data.attempt === 'number' ? data.attempt : 1);
  } else if (event.kind === 'evacuation.failed-attempt' || event.kind === 'evacuation.not-accepted') {
    server.failedAttempts.push({ at: event.ts, reason: eventText(data.reason, 'failed') });
  } else if (event.kind === 'evacuation.finished') {
    server.result = eventText(data.result, 'failed') as ServerStory['result'];
    server.finishedAt = event.ts;
    if (typeof data.toHost === 'string') server.toHost = data.toHost;
    if (typeof data.reason === 'string' && data.reason !== '') server.reason = data.reason;
    if (typeof data.attempts === 'number') server.attempts = Math.max(server.attempts, data.attempts);
  }
}

/** Every server the run touched: evacuation progress, then the final summary's outcomes. */
function serversOf(events: readonly RunEvent[], finished: RunFinishedEvent | undefined): ServerStory[] {
  const servers = new Map<string, ServerDraft>();
  const draft = (id: string): ServerDraft => {
    let server = servers.get(id);
    if (!server) servers.set(id, (server = { id, name: id, result: 'in-flight', attempts: 0, failedAttempts: [] }));
    return server;
  };
  for (const event of events) {
    if (event.event !== 'step.progress' || !event.kind.startsWith('evacuation.')) continue;
    const id = event.data.serverId;
    if (typeof id === 'string') serverProgress(draft(id), event);
  }
  for (const outcome of finished?.summary.servers ?? []) {
    const server = draft(outcome.id);
    server.name = outcome.name;
    server.result = outcome.result;
    server.stepId ??= outcome.stepId;
    if (outcome.fromHost !== undefined) server.fromHost = outcome.fromHost;
    if (typeof outcome.toHost === 'string') server.toHost = outcome.toHost;
    if (outcome.reason !== undefined && outcome.reason !== '') server.reason = outcome.reason;
  }
  for (const server of servers.values()) {
    const seconds = ms(server.requestedAt, server.finishedAt);
    if (seconds !== undefined) server.seconds = seconds / 1000;
  }
  return [...servers.values()];
}

/** The run's ending error, with pre-flight's list of problems when it found several. */
function storyError(error: EventError): NonNullable<RunStory['error']> {
  const listed = error.data?.problems;
  const problems = Array.isArray(listed)
    ? listed.flatMap((p: unknown) => {
        const { stepId, code } = (p ?? {}) as Record<string, unknown>;
        return typeof stepId === 'string' && typeof code === 'string' ? [{ stepId, code }] : [];
      })
    : [];
  return {
    code: error.code,
    ...(error.kind ? { kind: error.kind } : {}),
    message: error.message,
    hint: error.hint,
    ...(problems.length > 0 ? { problems } : {}),
  };
}

/** The run's story from its journal's events. */
export function buildStory(contents: JournalContents): RunStory {
  const { events } = contents;
  const started = events.find((e): e is RunStartedEvent => e.event === 'run.started');
  const finished = events.findLast((e): e is RunFinishedEvent => e.event === 'run.finished');
  const resumedAfter = finished !== undefined && events.some((e) => e.seq > finished.seq && e.event === 'run.resumed');
  const complete = finished !== undefined && !resumedAfter;
  const steps = stepsOf(events, complete ? finished : undefined);
  const down = steps.find((s) => s.type === 'force-down' && (s.status === 'changed' || s.status === 'unchanged'));
  const startedAt = started?.ts ?? events[0]?.ts ?? '';
  const endedAt = events.at(-1)?.ts ?? startedAt;
  const error = complete ? finished.summary.error : undefined;
  const changed = changedSteps(events, complete ? finished : undefined);
  // as `forcedown runs` names it (a 0.1 journal's failure after changes is relabelled)
  const status = listingStatus(events, finished, changed);
  return {
    runId: started?.runId ?? events[0]?.runId ?? '',
    journalPath: contents.path,
    runbook: { name: started?.runbook.name ?? '?', file: started?.runbook.file ?? '?' },
    hosts: started?.hosts ?? [],
    machine: started?.machine ?? '?',
    params: started?.params ?? {},
    dryRun: started?.options.dryRun ?? false,
    startedAt,
    endedAt,
    durationMs: ms(startedAt, endedAt) ?? 0,
    status,
    ...(complete ? { exitCode: finished.summary.exitCode } : {}),
    ...(error ? { error: storyError(error) } : {}),
    preflightFailed: complete && finished.summary.preflightFailed === true,
    changed,
    resumable: isResumable(status, started?.options.dryRun ?? false),
    resumes: events.flatMap((e) => (e.event === 'run.resumed' ? [{ at: e.ts, machine: e.machine }] : [])),
    steps,
    safety: safetyOf(events),
    ...(down?.finishedAt !== undefined && !down.fromJournal ? { downAt: down.finishedAt } : {}),
    servers: serversOf(events, complete ? finished : undefined),
    truncatedTail: contents.truncatedTail,
  };
}
