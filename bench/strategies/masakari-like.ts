/**
 * Reference (b): Masakari's EvacuateInstancesTask — a pool of `workers` (host_failure_recovery_threads,
 * default 3); each worker takes the next server, evacuates it and polls that server (Masakari:
 * every verify_interval, 1 s, up to 90 s) until its host changed and its vm_state is back, then
 * takes the next. Masakari's locking, reset-state and stop handling are left out (every server
 * here is ACTIVE), and so is its fixed 180 s wait after disabling the service, reported apart.
 */
import type { OpenStackClient, Server } from '../../src/openstack/index.js';
import { evacuateAndWatch, type StrategyOptions, type StrategyResult } from './common.js';

export async function masakariLike(
  client: OpenStackClient,
  host: string,
  options: StrategyOptions & { readonly workers: number },
): Promise<StrategyResult> {
  const servers = await client.compute.listServersOnHost(host);
  const requestsBefore = client.stats.requests;
  const queue: Server[] = [...servers];
  const failed: string[] = [];
  const started = Date.now();
  const worker = async (): Promise<void> => {
    for (let server = queue.shift(); server !== undefined; server = queue.shift()) {
      if (!(await evacuateAndWatch(client, server, host, options))) failed.push(server.id);
    }
  };
  await Promise.all(Array.from({ length: options.workers }, () => worker()));
  return {
    strategy: `masakari-like (${options.workers} workers)`,
    servers: servers.length,
    wallMs: Date.now() - started,
    evacuated: servers.length - failed.length,
    failed,
    requests: client.stats.requests - requestsBefore,
  };
}
