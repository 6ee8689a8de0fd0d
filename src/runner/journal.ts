import { constants } from 'node:fs';
import { open, readFile, readdir, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { invalidInput } from '../errors/index.js';
import { redactDeep } from '../secrets/index.js';
import {
  EVENT_VERSION,
  type RunEvent,
  type RunEventInput,
  type RunFinishedEvent,
  type RunStartedEvent,
  type RunStatus,
} from './events.interface.js';
import { isRunId } from './run-id.js';
import { ensurePrivateDir, stateLayout } from './state-dir.js';

/** Path of a run's journal. */
export function journalPath(stateDir: string, runId: string): string {
  return join(stateLayout(stateDir).runs, `${runId}.jsonl`);
}

/**
 * Appends a run's events to its journal, one JSON line each, redacted, and fsync'd before
 * `append` resolves — so after a crash (even kill -9) the journal holds every event whose
 * append completed. Files are created 0600 in a 0700 directory.
 */
export class JournalWriter {
  readonly path: string;
  readonly runId: string;
  #handle: FileHandle | undefined;
  #seq: number;
  #queue: Promise<unknown> = Promise.resolve();
  #listeners: ((event: RunEvent) => void)[] = [];
  #closed = false;

  private constructor(path: string, runId: string, handle: FileHandle | undefined, seq: number) {
    this.path = path;
    this.runId = runId;
    this.#handle = handle;
    this.#seq = seq;
  }

  /** Opens (creating or appending to) the journal of `runId`. `persist: false` keeps events in memory only. */
  static async open(
    stateDir: string,
    runId: string,
    options: { readonly persist?: boolean; readonly nextSeq?: number } = {},
  ): Promise<JournalWriter> {
    const path = journalPath(stateDir, runId);
    if (options.persist === false) return new JournalWriter(path, runId, undefined, options.nextSeq ?? 1);
    await ensurePrivateDir(stateLayout(stateDir).runs);
    const handle = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    await handle.chmod(0o600);
    return new JournalWriter(path, runId, handle, options.nextSeq ?? 1);
  }

  /** Called with every event after it is durable (for `--output json` and renderers). */
  onEvent(listener: (event: RunEvent) => void): void {
    this.#listeners.push(listener);
  }

  /** Stamps, redacts, writes and fsyncs one event; resolves when it is on disk. */
  append(input: RunEventInput): Promise<RunEvent> {
    const task = this.#queue.then(async () => {
      if (this.#closed) throw new Error('journal is closed');
      const event = redactDeep({
        v: EVENT_VERSION,
        seq: this.#seq,
        ts: new Date().toISOString(),
        runId: this.runId,
        ...input,
      });
      this.#seq += 1;
      if (this.#handle) {
        await this.#handle.write(`${JSON.stringify(event)}\n`);
        await this.#handle.datasync();
      }
      for (const listener of this.#listeners) listener(event);
      return event;
    });
    this.#queue = task.catch(() => undefined);
    return task;
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#closed = true;
    await this.#handle?.close();
    this.#handle = undefined;
  }
}

/** A journal read back: its events, and whether its last line was cut off by a crash. */
export interface JournalContents {
  readonly path: string;
  readonly events: readonly RunEvent[];
  /** The last line was not valid JSON (the process died mid-write); it is ignored. */
  readonly truncatedTail: boolean;
}

/** Reads a run's journal; an input error (exit 2) when the run does not exist. */
export async function readJournal(stateDir: string, runId: string): Promise<JournalContents> {
  if (!isRunId(runId)) {
    throw invalidInput(
      'UNKNOWN_RUN',
      `"${runId}" is not a run id`,
      'list runs with `forcedown runs` and pass one of their ids',
    );
  }
  const path = journalPath(stateDir, runId);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      throw invalidInput(
        'UNKNOWN_RUN',
        `no run ${runId} in ${stateLayout(stateDir).runs}`,
        'list runs with `forcedown runs` (and check --state-dir / FORCEDOWN_STATE_DIR)',
      );
    }
    throw error;
  }
  const lines = text.split('\n');
  const events: RunEvent[] = [];
  let truncatedTail = false;
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line) as RunEvent);
    } catch {
      if (index >= lines.length - 2) truncatedTail = true;
      else
        throw invalidInput(
          'JOURNAL_CORRUPT',
          `journal ${path} line ${index + 1} is not valid JSON`,
          'the journal was edited or damaged; inspect it by hand',
        );
    }
  });
  return { path, events, truncatedTail };
}

/** One line of `forcedown runs`. */
export interface RunListing {
  readonly runId: string;
  readonly runbook: string;
  readonly hosts: readonly string[];
  readonly startedAt: string;
  /** How the run ended; `incomplete` when it stopped without finishing (a crash, kill -9). */
  readonly status: RunStatus | 'incomplete';
  readonly exitCode: number | undefined;
  readonly dryRun: boolean;
  readonly machine: string;
  /** Steps that changed something (in a real run). */
  readonly changed: readonly string[];
  /** `forcedown resume` can continue it: a real run that neither succeeded nor stopped on invalid input having done nothing. */
  readonly resumable: boolean;
}

/** Whether `forcedown resume` can continue a run that ended so. */
export function isResumable(status: RunStatus | 'incomplete', dryRun: boolean): boolean {
  return !dryRun && status !== 'succeeded' && status !== 'invalid';
}

/**
 * The steps a journal shows changed: the final summary's list, or (journals of forcedown 0.1,
 * whose summaries lack it) every real step that finished `changed`.
 */
function changedSteps(events: readonly RunEvent[], finished: RunFinishedEvent | undefined): string[] {
  if (finished?.summary.changed) return [...finished.summary.changed];
  const ids = events.flatMap((e) =>
    e.event === 'step.finished' && !e.dryRun && e.status === 'changed' ? [e.stepId] : [],
  );
  return [...new Set(ids)];
}

/**
 * How a journal's run ended. A run that changed something and then failed is `failed after
 * changes` whatever its journal says (forcedown 0.1 recorded such runs as `invalid`).
 */
function listingStatus(
  events: readonly RunEvent[],
  finished: RunFinishedEvent | undefined,
  changed: readonly string[],
): RunStatus | 'incomplete' {
  const resumedAfter = finished ? events.some((e) => e.seq > finished.seq && e.event === 'run.resumed') : false;
  if (!finished || resumedAfter) return 'incomplete';
  const status = finished.summary.status;
  if (changed.length > 0 && status !== 'succeeded' && status !== 'interrupted') return 'failed-after-changes';
  return status;
}

/** Lists the runs in the state directory, newest first. */
export async function listRuns(stateDir: string): Promise<RunListing[]> {
  let names: string[];
  try {
    names = await readdir(stateLayout(stateDir).runs);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw error;
  }
  const out: RunListing[] = [];
  for (const name of names
    .filter((n) => n.endsWith('.jsonl'))
    .sort()
    .reverse()) {
    const runId = name.slice(0, -'.jsonl'.length);
    if (!isRunId(runId)) continue;
    let contents: JournalContents;
    try {
      contents = await readJournal(stateDir, runId);
    } catch {
      continue;
    }
    const { events } = contents;
    const started = events.find((e): e is RunStartedEvent => e.event === 'run.started');
    const finished = [...events].reverse().find((e): e is RunFinishedEvent => e.event === 'run.finished');
    const changed = changedSteps(events, finished);
    const status = listingStatus(events, finished, changed);
    const dryRun = started?.options.dryRun ?? false;
    out.push({
      runId,
      runbook: started?.runbook.name ?? '?',
      hosts: started?.hosts ?? [],
      startedAt: started?.ts ?? '',
      status,
      exitCode: status === 'incomplete' ? undefined : finished?.summary.exitCode,
      dryRun,
      machine: started?.machine ?? hostname(),
      changed,
      resumable: isResumable(status, dryRun),
    });
  }
  return out;
}
