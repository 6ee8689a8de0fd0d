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
  readonly status: string;
  readonly exitCode: number | undefined;
  readonly dryRun: boolean;
  readonly machine: string;
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
    const started = contents.events.find((e): e is RunStartedEvent => e.event === 'run.started');
    const finished = [...contents.events].reverse().find((e): e is RunFinishedEvent => e.event === 'run.finished');
    const resumedAfter = finished
      ? contents.events.findIndex((e) => e.seq > finished.seq && e.event === 'run.resumed') !== -1
      : false;
    out.push({
      runId,
      runbook: started?.runbook.name ?? '?',
      hosts: started?.hosts ?? [],
      startedAt: started?.ts ?? '',
      status: finished && !resumedAfter ? finished.summary.status : 'incomplete',
      exitCode: finished && !resumedAfter ? finished.summary.exitCode : undefined,
      dryRun: started?.options.dryRun ?? false,
      machine: started?.machine ?? hostname(),
    });
  }
  return out;
}
