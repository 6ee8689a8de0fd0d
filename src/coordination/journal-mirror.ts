import { Range, type Etcd3 } from 'etcd3';
import { redactDeep } from '../secrets/index.js';
import { coordinationError, type EtcdConnection } from './client.js';

/**
 * The fields of a journal event the mirror relies on. The events themselves are the runner's
 * (`src/runner/events.interface.ts`), stored exactly as the local journal's lines: one JSON object
 * each, with `v`, `seq`, `ts`, `runId` and `event`.
 */
export interface MirroredEvent {
  readonly v: number;
  readonly seq: number;
  readonly ts: string;
  readonly runId: string;
  readonly event: string;
}

/**
 * Bounds of one run's mirror (README "Coordination (etcd)"). etcd refuses requests over 1.5 MiB
 * (`--max-request-bytes`) and keeps its whole key space in memory, so a run's mirror is capped.
 * A run past a cap keeps running on its local journal; its mirror is marked truncated at the
 * first event it could not take, and a resume from another machine refuses it.
 */
export const MIRROR_LIMITS = {
  /** Events of one run. */
  maxEvents: 20_000,
  /** One event's JSON. */
  maxEventBytes: 256 * 1024,
  /** All of one run's events' JSON. */
  maxRunBytes: 8 * 1024 * 1024,
  /** One summary chunk (a put well under etcd's request limit). */
  chunkBytes: 1024 * 1024,
} as const;

/** What `<prefix>/<region>/runs/<run-id>/meta` holds: one line of `forcedown runs --all-machines`. */
export interface RunMirrorMeta {
  readonly runId: string;
  readonly runbook: string;
  readonly hosts: readonly string[];
  readonly startedAt: string;
  readonly machine: string;
  readonly pid: number;
  readonly dryRun: boolean;
  /** `running` until run.finished, then the run's status (`succeeded`, `failed`...). */
  readonly status: string;
  readonly exitCode?: number;
  readonly updatedAt: string;
  /** Events mirrored and their bytes. */
  readonly events: number;
  readonly bytes: number;
  /** Seq of the first event the mirror could not take (over a cap): the mirror is incomplete. */
  readonly truncatedAt?: number;
  /** Summary chunks written by the last compaction. */
  readonly chunks?: number;
  /** `watch` for a run a watcher started (run.started options.startedBy): a new leader takes it over. */
  readonly startedBy?: string;
}

type Fields = Record<string, unknown>;

/** A transaction that always applies (etcd3 builds multi-operation transactions from a compare). */
const atomically = (client: Etcd3, key: string) => client.if(key, 'Version', '>', -1);
const text = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);

function metaUpdate(previous: RunMirrorMeta | undefined, event: MirroredEvent & Fields): Partial<RunMirrorMeta> {
  if (event.event === 'run.started') {
    const runbook = event.runbook as Fields | undefined;
    const options = event.options as Fields | undefined;
    return {
      runbook: text(runbook?.name, '?'),
      hosts: Array.isArray(event.hosts) ? (event.hosts as string[]) : [],
      startedAt: event.ts,
      machine: text(event.machine, '?'),
      pid: typeof event.pid === 'number' ? event.pid : 0,
      dryRun: options?.dryRun === true,
      status: 'running',
      ...(typeof options?.startedBy === 'string' ? { startedBy: options.startedBy } : {}),
    };
  }
  if (event.event === 'run.resumed')
    return { status: 'running', machine: text(event.machine, previous?.machine ?? '?'), pid: Number(event.pid) };
  if (event.event === 'run.finished') {
    const summary = event.summary as Fields | undefined;
    return {
      status: text(summary?.status, 'finished'),
      ...(typeof summary?.exitCode === 'number' ? { exitCode: summary.exitCode } : {}),
    };
  }
  return {};
}

/**
 * Mirrors one run's journal into etcd: each event under `<run>/events/<seq>` as it happens
 * (awaited: once `append` resolves, any machine can read it), `<run>/meta` updated on
 * run.started / run.resumed / run.finished, and on run.finished the events compacted into
 * `<run>/summary/<n>` chunks (the per-event keys are deleted). A resumed run reopens the mirror and
 * appends after what is there.
 */
export class RunMirror {
  readonly runId: string;
  readonly #etcd: EtcdConnection;
  #meta: RunMirrorMeta | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(connection: EtcdConnection, runId: string, meta: RunMirrorMeta | undefined) {
    this.#etcd = connection;
    this.runId = runId;
    this.#meta = meta;
  }

  static async open(connection: EtcdConnection, runId: string): Promise<RunMirror> {
    return new RunMirror(connection, runId, await readMeta(connection, runId));
  }

  /** The meta as last written. */
  get meta(): RunMirrorMeta | undefined {
    return this.#meta;
  }

  /** Mirrors one event (serialised; resolves once etcd has it). Refused (exit 3) when etcd cannot be written. */
  append(event: MirroredEvent): Promise<void> {
    const task = this.#queue.then(() => this.#append(redactDeep(event) as MirroredEvent & Fields));
    this.#queue = task.catch(() => undefined);
    return task;
  }

  async #append(event: MirroredEvent & Fields): Promise<void> {
    const json = JSON.stringify(event);
    const bytes = Buffer.byteLength(json);
    const meta = this.#nextMeta(event, bytes);
    const { client, keys } = this.#etcd;
    try {
      if (meta.truncatedAt === undefined || meta.truncatedAt > event.seq) {
        await atomically(client, keys.runMeta(this.runId))
          .then(
            client.put(keys.runEvent(this.runId, event.seq)).value(json),
            client.put(keys.runMeta(this.runId)).value(JSON.stringify(meta)),
          )
          .commit();
      } else if (this.#meta?.truncatedAt === undefined) {
        await client.put(keys.runMeta(this.runId)).value(JSON.stringify(meta));
      }
    } catch (error) {
      throw coordinationError(error, `mirroring event ${event.seq} of run ${this.runId}`, this.#etcd.settings);
    }
    this.#meta = meta;
    if (event.event === 'run.finished') await this.compact();
  }

  #nextMeta(event: MirroredEvent & Fields, bytes: number): RunMirrorMeta {
    const previous = this.#meta;
    const base: RunMirrorMeta = previous ?? {
      runId: this.runId,
      runbook: '?',
      hosts: [],
      startedAt: event.ts,
      machine: '?',
      pid: 0,
      dryRun: false,
      status: 'running',
      updatedAt: event.ts,
      events: 0,
      bytes: 0,
    };
    const over =
      base.events + 1 > MIRROR_LIMITS.maxEvents ||
      bytes > MIRROR_LIMITS.maxEventBytes ||
      base.bytes + bytes > MIRROR_LIMITS.maxRunBytes;
    const truncatedAt = base.truncatedAt ?? (over ? event.seq : undefined);
    const counted = truncatedAt === undefined;
    return {
      ...base,
      ...metaUpdate(previous, event),
      updatedAt: event.ts,
      events: base.events + (counted ? 1 : 0),
      bytes: base.bytes + (counted ? bytes : 0),
      ...(truncatedAt === undefined ? {} : { truncatedAt }),
    };
  }

  /**
   * Compacts the run's events into summary chunks (each under 1 MiB, JSON lines) and deletes the
   * per-event keys. Chunks are written first and the events deleted last, so a crash in between
   * leaves both (the reader merges them by seq). Done by `append` on run.finished.
   */
  async compact(): Promise<void> {
    const { client, keys } = this.#etcd;
    try {
      const { events } = await readRunMirror(this.#etcd, this.runId);
      const chunks = chunk(events.map((event) => JSON.stringify(event)));
      for (const [index, lines] of chunks.entries())
        await client.put(`${keys.runSummary(this.runId)}/${String(index).padStart(4, '0')}`).value(lines);
      const meta = { ...(this.#meta as RunMirrorMeta), chunks: chunks.length };
      const summary = keys.runSummary(this.runId);
      await atomically(client, keys.runMeta(this.runId))
        .then(
          client.delete().prefix(keys.runEventsPrefix(this.runId)),
          // chunks of an earlier, longer compaction ('0' sorts right after '/')
          client.delete().range(new Range(`${summary}/${String(chunks.length).padStart(4, '0')}`, `${summary}0`)),
          client.put(keys.runMeta(this.runId)).value(JSON.stringify(meta)),
        )
        .commit();
      this.#meta = meta;
    } catch (error) {
      throw coordinationError(error, `compacting the mirror of run ${this.runId}`, this.#etcd.settings);
    }
  }
}

function chunk(lines: readonly string[]): string[] {
  const out: string[] = [];
  let current = '';
  for (const line of lines) {
    if (current !== '' && Buffer.byteLength(current) + Buffer.byteLength(line) + 1 > MIRROR_LIMITS.chunkBytes) {
      out.push(current);
      current = '';
    }
    current += `${line}\n`;
  }
  if (current !== '') out.push(current);
  return out;
}

async function readMeta(connection: EtcdConnection, runId: string): Promise<RunMirrorMeta | undefined> {
  try {
    const value = await connection.client.get(connection.keys.runMeta(runId)).string();
    return value === null ? undefined : (JSON.parse(value) as RunMirrorMeta);
  } catch (error) {
    throw coordinationError(error, `reading the mirror of run ${runId}`, connection.settings);
  }
}

/** A run's mirror read back. */
export interface MirroredRun {
  readonly meta: RunMirrorMeta | undefined;
  /** Every mirrored event, in seq order. */
  readonly events: readonly MirroredEvent[];
  /** False when the mirror hit a cap (`meta.truncatedAt`) or has no meta: do not resume from it. */
  readonly complete: boolean;
}

/** Reads a run's events from etcd: the summary chunks and any per-event keys, merged by seq. */
export async function readRunMirror(connection: EtcdConnection, runId: string): Promise<MirroredRun> {
  const { client, keys } = connection;
  try {
    const all = await client.getAll().prefix(keys.run(runId)).strings();
    const bySeq = new Map<number, MirroredEvent>();
    let meta: RunMirrorMeta | undefined;
    for (const [key, value] of Object.entries(all)) {
      if (key === keys.runMeta(runId)) meta = JSON.parse(value) as RunMirrorMeta;
      else if (key.startsWith(keys.runEventsPrefix(runId))) addEvent(bySeq, value);
      else if (key.startsWith(`${keys.runSummary(runId)}/`))
        for (const line of value.split('\n')) if (line !== '') addEvent(bySeq, line);
    }
    const events = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    return { meta, events, complete: meta !== undefined && meta.truncatedAt === undefined };
  } catch (error) {
    throw coordinationError(error, `reading the mirror of run ${runId}`, connection.settings);
  }
}

function addEvent(bySeq: Map<number, MirroredEvent>, json: string): void {
  const event = JSON.parse(json) as MirroredEvent;
  bySeq.set(event.seq, event);
}

/** The runs mirrored in this region (every machine's), newest first: `forcedown runs --all-machines`. */
export async function listMirroredRuns(connection: EtcdConnection): Promise<RunMirrorMeta[]> {
  const { client, keys } = connection;
  try {
    const metaKeys = (await client.getAll().prefix(keys.runsPrefix).keys()).filter((key) => key.endsWith('/meta'));
    const values = await Promise.all(metaKeys.map((key) => client.get(key).string()));
    return values
      .filter((value): value is string => value !== null)
      .map((value) => JSON.parse(value) as RunMirrorMeta)
      .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  } catch (error) {
    throw coordinationError(error, 'listing the mirrored runs', connection.settings);
  }
}
