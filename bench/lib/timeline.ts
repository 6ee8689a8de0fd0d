/**
 * Where an evacuation's time goes, from Nova's side: nova-api's access log (every request with
 * its end time and duration) and the migration records (`updated_at` of the `done` ones, whole
 * seconds as Nova's database stores them), as milliseconds after the tool's first
 * evacuation send. The same for forcedown and the floor, so their phases compare apples to apples.
 */
import type { Migration } from '../../src/openstack/index.js';
import { parseNovaTime } from '../../src/openstack/compute/vocabulary.js';

/** One line of nova-api's access log. */
export interface NovaRequest {
  /** Local ms when nova-api began answering it (end − its `time:`). */
  readonly startAt: number;
  readonly endAt: number;
  readonly method: string;
  /** The path with ids replaced by `{id}`. */
  readonly route: string;
}

const LINE =
  /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) .*nova\.osapi_compute\.wsgi\.server .*"(GET|POST|PUT|DELETE) \/v2\.1\/([^ ?"]*)[^"]*".* time: ([\d.]+)/;

/** Parses nova-api's access log lines (its timestamps are the machine's local time, UTC on the testbed). */
export function parseNovaAccessLog(text: string): NovaRequest[] {
  const out: NovaRequest[] = [];
  for (const line of text.split('\n')) {
    const match = LINE.exec(line);
    if (!match) continue;
    const endAt = new Date(`${match[1].replace(' ', 'T')}Z`).getTime();
    out.push({
      startAt: endAt - Math.round(Number(match[4]) * 1000),
      endAt,
      method: match[2],
      route: `${match[2]} /${match[3].replace(/[0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{32}|\d+/g, '{id}')}`,
    });
  }
  return out;
}

/** Milliseconds after the tool's first evacuation send, rounded. */
export interface EvacuationTimeline {
  /** Requests before the first evacuate POST (sign-in, pre-flight, fence/force-down checks, listing). */
  readonly requestsBefore: number;
  /** The last evacuate POST answered. */
  readonly lastPostMs: number;
  /** Each `done` migration's updated_at (whole seconds), sorted. */
  readonly doneMs: readonly number[];
  /** The last migration `done` in Nova. */
  readonly lastDoneMs: number;
  /** The tool's last confirmation (its own clock). */
  readonly lastConfirmedMs: number;
  /** lastConfirmed − lastDone: what confirming costs after Nova is finished. */
  readonly confirmLagMs: number;
  /** Requests from the first evacuate POST to the last confirmation, per route. */
  readonly requestsDuring: Readonly<Record<string, number>>;
  /** Requests answered after the last migration was done (confirming, unlocking, restores). */
  readonly requestsAfterLastDone: number;
}

/** When the tool sent its first evacuation, had its last evacuate POST answered, and confirmed its last server (local ms). */
export interface TrialMarks {
  readonly firstSendAt: number;
  readonly lastPostAt: number;
  readonly lastConfirmedAt: number;
}

/**
 * The timeline of one trial: the tool's own marks (its clock), nova-api's requests and the
 * migration records of the trial, all relative to the first send. The access log cannot tell an
 * evacuate POST from a lock (both are `POST /servers/{id}/action`), so the sends are the tool's marks.
 */
export function evacuationTimeline(
  requests: readonly NovaRequest[],
  migrations: readonly Migration[],
  marks: TrialMarks,
): EvacuationTimeline {
  const { firstSendAt, lastPostAt, lastConfirmedAt } = marks;
  const rel = (ms: number): number => Math.round(ms - firstSendAt);
  const done = migrations
    .filter((m) => m.status === 'done' || m.status === 'completed')
    .map((m) => rel(parseNovaTime(m.updatedAt ?? m.createdAt)))
    .sort((a, b) => a - b);
  const lastDone = done.length > 0 ? done[done.length - 1] : NaN;
  const during: Record<string, number> = {};
  for (const r of requests)
    if (r.startAt >= firstSendAt && r.endAt <= lastConfirmedAt) during[r.route] = (during[r.route] ?? 0) + 1;
  return {
    requestsBefore: requests.filter((r) => r.startAt < firstSendAt).length,
    lastPostMs: rel(lastPostAt),
    doneMs: done,
    lastDoneMs: lastDone,
    lastConfirmedMs: rel(lastConfirmedAt),
    confirmLagMs: rel(lastConfirmedAt) - lastDone,
    requestsDuring: during,
    requestsAfterLastDone: requests.filter((r) => rel(r.startAt) >= lastDone && r.endAt <= lastConfirmedAt).length,
  };
}
