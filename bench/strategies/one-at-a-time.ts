/**
 * Reference (a): one evacuation at a time, as fence_evacuate / `nova host-evacuate` send them
 * (sequentially), but — unlike them — each confirmed before the next is sent, by polling the
 * server (every 200 ms by default) until Nova shows it settled on another host.
 */
import type { OpenStackClient } from '../../src/openstack/index.js';
import { evacuateAndWatch, type StrategyOptions, type StrategyResult } from './common.js';

export async function oneAtATime(
  client: OpenStackClient,
  host: string,
  options: StrategyOptions,
): Promise<StrategyResult> {
  const servers = await client.compute.listServersOnHost(host);
  const requestsBefore = client.stats.requests;
  const started = Date.now();
  const failed: string[] = [];
  for (const server of servers) if (!(await evacuateAndWatch(client, server, host, options))) failed.push(server.id);
  return {
    strategy: 'one-at-a-time',
    servers: servers.length,
    wallMs: Date.now() - started,
    evacuated: servers.length - failed.length,
    failed,
    requests: client.stats.requests - requestsBefore,
  };
}
