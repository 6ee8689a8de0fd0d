/**
 * What the reference strategies share: they use forcedown's OpenStack client (same microversions,
 * same HTTP stack as forcedown, so only the strategy differs) and a server counts as evacuated
 * when Nova shows it on another host, with no task in progress and in its original vm_state.
 */
import type { OpenStackClient, Server } from '../../src/openstack/index.js';

export interface StrategyResult {
  readonly strategy: string;
  readonly servers: number;
  /** First evacuate call to the last server confirmed. */
  readonly wallMs: number;
  readonly evacuated: number;
  readonly failed: readonly string[];
  /** HTTP requests the strategy sent (forcedown's client counter). */
  readonly requests: number;
}

export interface StrategyOptions {
  /** How often a server is polled while its evacuation is in progress. */
  readonly pollIntervalMs: number;
  /** Give up on one server after this long. */
  readonly serverTimeoutMs: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Evacuated and settled: moved off `from`, no task_state, vm_state as before. Failed: vm_state
 * `error` with no task left, wherever it is (an evacuation Nova refused, a placement conflict or
 * "No valid host", leaves the server in ERROR on `from`; waiting for it to move would only burn
 * the timeout). Nova sets task_state `rebuilding` before the evacuate call answers, so a server
 * still untouched never reads as failed.
 */
export function settled(server: Server, from: string, vmStateBefore: string): 'done' | 'failed' | 'pending' {
  if (server.taskState !== null) return 'pending';
  if (server.vmState === 'error' && vmStateBefore !== 'error') return 'failed';
  if (server.host !== null && server.host !== from && server.vmState === vmStateBefore) return 'done';
  return 'pending';
}

/** Sends one evacuation and polls that server until it is settled (or failed, or timed out). */
export async function evacuateAndWatch(
  client: OpenStackClient,
  server: Server,
  from: string,
  options: StrategyOptions,
): Promise<boolean> {
  await client.compute.evacuate(server.id);
  const deadline = Date.now() + options.serverTimeoutMs;
  for (;;) {
    await sleep(options.pollIntervalMs);
    const state = settled(await client.compute.getServer(server.id), from, server.vmState);
    if (state !== 'pending') return state === 'done';
    if (Date.now() > deadline) return false;
  }
}
