/**
 * The real testbed as the benchmarks use it: the e2e helpers (test/e2e/support/testbed.ts) plus a
 * timed direct BMC power-off, a raw os-services poller independent of forcedown's client, and
 * putting the failed host back (powered on, force-down cleared, enabled, up) and the benchmark's
 * servers deleted.
 */
import { execFile, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenStackClient } from '../../src/openstack/index.js';
import {
  adminClient,
  cloudEnv,
  deleteServers,
  ensureHealthy,
  issueAdminToken,
  restartCompute,
  testbed,
  until,
} from '../../test/e2e/support/testbed.js';
import { parseNovaAccessLog, type NovaRequest } from './timeline.js';

export {
  adminClient,
  bootServers,
  cloudEnv,
  deleteServers,
  ensureHealthy,
  testbed,
} from '../../test/e2e/support/testbed.js';

/** Prefix of every server the benchmarks boot (deleted afterwards). */
export const SERVER_PREFIX = 'bench';

function ipmitoolArgs(host: string, action: 'status' | 'on' | 'off'): { args: string[]; env: NodeJS.ProcessEnv } {
  const compute = testbed().computes.find((c) => c.host === host);
  if (!compute) throw new Error(`no compute ${host} in the testbed`);
  return {
    args: [
      '-I',
      'lanplus',
      '-C',
      String(compute.bmc.cipherSuite),
      '-H',
      compute.bmc.address,
      '-p',
      String(compute.bmc.port),
      '-U',
      compute.bmc.username,
      '-E',
      'chassis',
      'power',
      action,
    ],
    env: { ...process.env, IPMI_PASSWORD: readFileSync(compute.bmc.passwordFile, 'utf8').trim() },
  };
}

/** Runs ipmitool against a host's BMC; returns stdout and the wall time of the call. */
export function ipmi(
  host: string,
  action: 'status' | 'on' | 'off',
): { ms: number; stdout: string; status: number | null } {
  const { args, env } = ipmitoolArgs(host, action);
  const started = performance.now();
  const result = spawnSync('ipmitool', args, { encoding: 'utf8', env, timeout: 30_000 });
  return { ms: performance.now() - started, stdout: result.stdout, status: result.status };
}

/**
 * The BMC's own power-off, measured directly: `ipmitool chassis power off`, then status reads
 * until one says off. Returns the time of the off call, of the read(s), and the total.
 */
export function directPowerOff(host: string): { offMs: number; readMs: number; reads: number; totalMs: number } {
  const started = performance.now();
  const off = ipmi(host, 'off');
  if (!/Down\/Off/.test(off.stdout))
    throw new Error(`ipmitool power off ${host}: ${off.stdout.trim()} (exit ${off.status})`);
  let reads = 0;
  const readStarted = performance.now();
  for (;;) {
    reads += 1;
    const status = ipmi(host, 'status');
    if (/is off/.test(status.stdout)) break;
    if (reads >= 20) throw new Error(`${host} still not off after ${reads} reads`);
  }
  const end = performance.now();
  return { offMs: readStarted - started, readMs: end - readStarted, reads, totalMs: end - started };
}

/** {@link ipmi} without blocking the event loop (a poller in this process keeps polling meanwhile). */
function ipmiAsync(host: string, action: 'status' | 'on' | 'off'): Promise<{ ms: number; stdout: string }> {
  const { args, env } = ipmitoolArgs(host, action);
  const started = performance.now();
  return new Promise((resolve) => {
    execFile('ipmitool', args, { encoding: 'utf8', env, timeout: 30_000 }, (_error, stdout) =>
      resolve({ ms: performance.now() - started, stdout }),
    );
  });
}

/**
 * {@link directPowerOff} without blocking the event loop: the time-to-down benchmark measures the
 * BMC's own power-off under the same load as forcedown's run (the os-services poller running).
 */
export async function directPowerOffAsync(
  host: string,
): Promise<{ offMs: number; readMs: number; reads: number; totalMs: number }> {
  const started = performance.now();
  const off = await ipmiAsync(host, 'off');
  if (!/Down\/Off/.test(off.stdout)) throw new Error(`ipmitool power off ${host}: ${off.stdout.trim()}`);
  let reads = 0;
  const readStarted = performance.now();
  for (;;) {
    reads += 1;
    const status = await ipmiAsync(host, 'status');
    if (/is off/.test(status.stdout)) break;
    if (reads >= 20) throw new Error(`${host} still not off after ${reads} reads`);
  }
  const end = performance.now();
  return { offMs: readStarted - started, readMs: end - readStarted, reads, totalMs: end - started };
}

/** A token for raw calls (the poller must not share forcedown's client). */
export const adminToken = issueAdminToken;

export interface ServicePoll {
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly state: string;
  readonly forcedDown: boolean;
}

/**
 * Polls `GET /os-services?host=H&binary=nova-compute` back to back (a pause of `gapMs` between
 * calls) until stopped; reports when Nova first answered `down`.
 */
export function pollServiceState(host: string, token: string, gapMs = 50): { stop: () => Promise<ServicePoll[]> } {
  const url = `${testbed().novaUrl}/os-services?host=${encodeURIComponent(host)}&binary=nova-compute`;
  const samples: ServicePoll[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const sentAt = Date.now();
      try {
        const response = await fetch(url, {
          headers: { 'X-Auth-Token': token, 'OpenStack-API-Version': 'compute 2.53' },
        });
        const body = (await response.json()) as { services?: { state: string; forced_down: boolean }[] };
        const service = body.services?.[0];
        if (service)
          samples.push({ sentAt, receivedAt: Date.now(), state: service.state, forcedDown: service.forced_down });
      } catch {
        // a failed poll is just a missing sample
      }
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** Fences (direct ipmitool) and forces down a host outside forcedown: the reference strategies' starting point. */
export async function fenceAndForceDownDirectly(client: OpenStackClient, host: string): Promise<void> {
  if (!/is off/.test(ipmi(host, 'status').stdout)) directPowerOff(host);
  const service = await client.compute.findComputeService(host);
  if (!service.forcedDown) await client.compute.setForcedDown(service, true);
  await until(
    async () => (await client.compute.findComputeService(host)).state === 'down',
    `${host} down`,
    30_000,
    200,
  );
}

/** How long a restored host may take to report `up` (a restart with a trial's leftovers is slow). */
const RESTORE_UP_MS = 300_000;

/**
 * Back to healthy after a benchmark. First the benchmark's servers still on the failed host (an
 * evacuation Nova refused leaves them there in ERROR) are deleted while its nova-compute is down:
 * nova-api deletes them locally, so the restarted nova-compute does not start with them. Then
 * powered on (which restarts its nova-compute: the `done` evacuation records become
 * `completed`), force-down cleared once Nova allows it, enabled, up within {@link RESTORE_UP_MS};
 * the other servers deleted.
 */
export async function restore(client: OpenStackClient, host: string): Promise<void> {
  await deleteServers(client, SERVER_PREFIX, [host]);
  if (!/is on/.test(ipmi(host, 'status').stdout)) ipmi(host, 'on');
  const service = await client.compute.findComputeService(host);
  if (service.forcedDown) {
    await until(
      async () => {
        try {
          return await client.compute.setForcedDown(await client.compute.findComputeService(host), false);
        } catch {
          return undefined;
        }
      },
      `clearing forced_down of ${host} after its nova-compute restarted`,
      30_000,
      500,
    ).catch(() => undefined); // ensureHealthy restarts the compute if it is still refused
  }
  await ensureHealthy(client, host, RESTORE_UP_MS).catch(async (error: unknown) => {
    // not up in time: start its nova-compute again (as up.sh does) and give it the same again
    console.error(`bench: ${host} not back (${(error as Error).message}); restarting its nova-compute`);
    restartCompute(host);
    return ensureHealthy(client, host, RESTORE_UP_MS);
  });
  await deleteServers(client, SERVER_PREFIX);
  await waitComputeSettled(host);
}

function cpuTicks(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/**
 * Waits until a host's nova-compute (its "power") has finished starting: a freshly started
 * nova-compute keeps a core busy for seconds, which on a small machine slows everything else
 * down. Settled = alive and under 10 % of a core over one second.
 */
export async function waitComputeSettled(host: string, timeoutMs = 120_000): Promise<void> {
  const compute = testbed().computes.find((c) => c.host === host)!;
  const deadline = Date.now() + timeoutMs;
  await waitSchedulable(host, timeoutMs);
  while (Date.now() < deadline) {
    let pid = NaN;
    try {
      pid = Number(readFileSync(compute.pidFile, 'utf8').trim());
    } catch {
      // not written yet
    }
    const before = Number.isNaN(pid) ? null : cpuTicks(pid);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = Number.isNaN(pid) ? null : cpuTicks(pid);
    if (before !== null && after !== null && after - before < 10) return;
  }
}

/** Every compute of the testbed up, enabled, not forced down (someone else's test may be running: wait). */
export async function allHealthy(client: OpenStackClient): Promise<boolean> {
  const services = await client.compute.listServices({ binary: 'nova-compute' });
  return services.length > 0 && services.every((s) => s.state === 'up' && !s.forcedDown && s.status === 'enabled');
}

export async function waitAllHealthy(client: OpenStackClient, timeoutMs = 300_000): Promise<void> {
  try {
    await until(
      async () => allHealthy(client),
      'every testbed compute up, enabled and not forced down (another test may be using the testbed)',
      timeoutMs,
      2000,
    );
  } catch (error) {
    // say which compute was not healthy: a run that times out here has changed nothing yet
    const services = await client.compute.listServices({ binary: 'nova-compute' }).catch(() => []);
    const bad = services
      .filter((s) => s.state !== 'up' || s.forcedDown || s.status !== 'enabled')
      .map((s) => `${s.host} ${s.state}/${s.status}${s.forcedDown ? '/forced down' : ''}`);
    throw new Error(`${(error as Error).message}; not healthy: ${bad.join(', ') || 'none now'}`, { cause: error });
  }
}

export function cliEnv(): Record<string, string> {
  return cloudEnv();
}

export async function connectAdmin(): Promise<OpenStackClient> {
  return adminClient();
}

/**
 * Counts the requests nova-api answered while `work` ran, from its own access log
 * (`nova.osapi_compute.wsgi.server` lines appended meanwhile): what a strategy cost Nova's API,
 * whoever sent it (the CLI child process too). Only the benchmark's trial may run meanwhile.
 */
export async function countNovaRequests<T>(
  work: () => Promise<T>,
): Promise<{ result: T; requests: number; byRoute: Record<string, number>; log: NovaRequest[] }> {
  const path = join(testbed().logDir, 'nova-api.log');
  const start = statSync(path).size;
  const result = await work();
  const end = statSync(path).size;
  const buffer = Buffer.alloc(end - start);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, start);
  } finally {
    closeSync(fd);
  }
  const log = parseNovaAccessLog(buffer.toString('utf8'));
  const byRoute: Record<string, number> = {};
  for (const r of log) byRoute[r.route] = (byRoute[r.route] ?? 0) + 1;
  return { result, requests: log.length, byRoute, log };
}

/** A GET on placement with an admin token (the testbed's placement URL). */
async function placementGet(path: string, token: string): Promise<Record<string, unknown>> {
  const { placementUrl } = JSON.parse(readFileSync(join(testbed().dir, 'testbed.json'), 'utf8')) as {
    placementUrl: string;
  };
  const response = await fetch(`${placementUrl}${path}`, {
    headers: { 'X-Auth-Token': token, 'OpenStack-API-Version': 'placement 1.10' },
  });
  return (await response.json()) as Record<string, unknown>;
}

/**
 * Waits until Nova's scheduler can place servers on `host` again. A host enabled while its
 * nova-compute restarts keeps placement's COMPUTE_STATUS_DISABLED trait until the compute syncs
 * it (nova-api's RPC to it fails meanwhile), and every boot on it meets "No valid host" (seen in
 * the 2026-12-02 run: nova-scheduler logged "Got no allocation candidates" for the 60 boots of
 * N = 60 right after the N = 30 restore).
 */
export async function waitSchedulable(host: string, timeoutMs = 120_000): Promise<void> {
  const token = await issueAdminToken();
  const providers = (await placementGet(`/resource_providers?name=${encodeURIComponent(host)}`, token))
    .resource_providers as { uuid: string }[];
  if (providers.length === 0) throw new Error(`no placement resource provider named ${host}`);
  await until(
    async () => {
      const traits = (await placementGet(`/resource_providers/${providers[0].uuid}/traits`, token)).traits as string[];
      return traits.includes('COMPUTE_STATUS_DISABLED') ? undefined : true;
    },
    `placement to drop ${host}'s COMPUTE_STATUS_DISABLED trait (its nova-compute syncs it once it runs)`,
    timeoutMs,
    1000,
  );
}

/**
 * Room for N more m1.tiny servers evacuated off `host`: the other computes that are up and enabled,
 * each able to take `perDestination` servers (a benchmark budget, not a Nova limit: placement's
 * fake-driver inventory is practically unlimited, the 2-core machine is not), and placement's
 * own free capacity on them (VCPU, MEMORY_MB, DISK_GB × allocation ratio − reserved − used).
 */
export async function evacuationRoom(
  client: OpenStackClient,
  host: string,
  perDestination: number,
): Promise<{ destinations: number; room: number; placementRoom: number }> {
  const services = await client.compute.listServices({ binary: 'nova-compute' });
  const others = services.filter((s) => s.host !== host && s.state === 'up' && s.status === 'enabled' && !s.forcedDown);
  const token = await issueAdminToken();
  const placement = (path: string): Promise<Record<string, unknown>> => placementGet(path, token);
  const flavor = { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 } as Record<string, number>;
  const providers = (await placement('/resource_providers')).resource_providers as { uuid: string; name: string }[];
  let placementRoom = 0;
  for (const provider of providers.filter((p) => others.some((s) => s.host === p.name))) {
    const inventories = (await placement(`/resource_providers/${provider.uuid}/inventories`)).inventories as Record<
      string,
      { total: number; reserved: number; allocation_ratio: number }
    >;
    const usages = (await placement(`/resource_providers/${provider.uuid}/usages`)).usages as Record<string, number>;
    placementRoom += Math.min(
      ...Object.entries(flavor).map(([rc, need]) => {
        const inv = inventories[rc];
        return inv ? Math.floor(((inv.total - inv.reserved) * inv.allocation_ratio - (usages[rc] ?? 0)) / need) : 0;
      }),
    );
  }
  return {
    destinations: others.length,
    room: Math.min(placementRoom, others.length * perDestination),
    placementRoom,
  };
}
