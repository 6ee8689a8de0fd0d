/**
 * Reference (c), Nova's floor: every evacuation sent at once (no limit in flight), confirmed by ONE
 * `GET /os-migrations?migration_type=evacuation&source_compute=HOST` every `pollIntervalMs`
 * (500 ms) and no per-server reads at all. A server is done when its newest evacuation record
 * (newer than any before the run) is `done`/`completed`; one whose record failed (a placement
 * conflict, "No valid host") is sent again at once, up to `maxAttempts`, so the floor is the
 * fastest thing Nova allows, not a strategy that gives up.
 */
import { EVACUATION_FAILED, EVACUATION_SUCCEEDED } from '../../src/openstack/compute/vocabulary.js';
import type { Migration, OpenStackClient } from '../../src/openstack/index.js';
import type { TrialMarks } from '../lib/timeline.js';
import { sleep, type StrategyOptions, type StrategyResult } from './common.js';

export interface FloorResult extends StrategyResult {
  /** Evacuations sent again after their record failed. */
  readonly retries: number;
  /** `GET /os-migrations` polls. */
  readonly polls: number;
  /** Local ms: first send, last evacuate POST answered, last server confirmed (for the timeline). */
  readonly marks: TrialMarks;
}

/** Newest record per instance among `list`, only those newer than `afterId`. */
function newestByInstance(list: readonly Migration[], afterId: number): Map<string, Migration> {
  const out = new Map<string, Migration>();
  for (const m of list) {
    if (m.id <= afterId) continue;
    const seen = out.get(m.instanceUuid);
    if (seen === undefined || m.id > seen.id) out.set(m.instanceUuid, m);
  }
  return out;
}

export async function floor(
  client: OpenStackClient,
  host: string,
  options: StrategyOptions & { readonly maxAttempts?: number },
): Promise<FloorResult> {
  const servers = await client.compute.listServersOnHost(host);
  const filter = { migrationType: 'evacuation', sourceCompute: host } as const;
  const before = await client.compute.listMigrations(filter);
  const requestsBefore = client.stats.requests;
  const maxAttempts = options.maxAttempts ?? 3;
  const started = Date.now();
  const deadline = started + options.serverTimeoutMs;
  const pending = new Map(
    servers.map((s) => [s.id, { attempts: 1, afterId: Math.max(0, ...before.map((m) => m.id)) }]),
  );
  const failed: string[] = [];
  let retries = 0;
  let polls = 0;
  await Promise.all(servers.map((s) => client.compute.evacuate(s.id)));
  let lastPostAt = Date.now();
  while (pending.size > 0 && Date.now() < deadline) {
    await sleep(options.pollIntervalMs);
    polls += 1;
    const list = await client.compute.listMigrations(filter);
    const newest = newestByInstance(list, 0);
    const resend: string[] = [];
    for (const [id, state] of pending) {
      const record = newest.get(id);
      if (record === undefined || record.id <= state.afterId) continue;
      if (EVACUATION_SUCCEEDED.has(record.status)) pending.delete(id);
      else if (EVACUATION_FAILED.has(record.status)) {
        pending.delete(id);
        if (state.attempts < maxAttempts) {
          pending.set(id, { attempts: state.attempts + 1, afterId: record.id });
          resend.push(id);
        } else failed.push(id);
      }
    }
    retries += resend.length;
    await Promise.all(resend.map((id) => client.compute.evacuate(id)));
    if (resend.length > 0) lastPostAt = Date.now();
  }
  const ended = Date.now();
  failed.push(...pending.keys());
  return {
    strategy: 'floor',
    servers: servers.length,
    wallMs: ended - started,
    evacuated: servers.length - failed.length,
    failed,
    requests: client.stats.requests - requestsBefore,
    retries,
    polls,
    marks: { firstSendAt: started, lastPostAt, lastConfirmedAt: ended },
  };
}
