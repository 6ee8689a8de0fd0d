/**
 * The real testbed (test/e2e/testbed/up.sh) as the end-to-end suites see it: its description
 * (testbed.json), an admin client for fixtures and checks, server fixtures (boot N servers onto a
 * host, some SHUTOFF, some in ERROR), the BMCs through ipmitool, putting a host back to healthy,
 * and the real CLI binary with the testbed's clouds.yaml/secure.yaml.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  connect,
  loadCloudConfig,
  type ComputeService,
  type OpenStackClient,
  type Server,
} from '../../../src/openstack/index.js';

export const root = join(import.meta.dirname, '../../..');
const testbedDir = process.env.FORCEDOWN_TESTBED_DIR ?? '/tmp/forcedown-testbed';

export interface TestbedCompute {
  readonly host: string;
  readonly bmc: {
    readonly address: string;
    readonly port: number;
    readonly username: string;
    readonly passwordFile: string;
    readonly cipherSuite: number;
  };
  readonly pidFile: string;
  readonly log: string;
}

export interface Testbed {
  readonly dir: string;
  readonly keystoneUrl: string;
  readonly novaUrl: string;
  readonly cloudsYaml: string;
  readonly secureYaml: string;
  readonly inventory: string;
  readonly computes: readonly TestbedCompute[];
  readonly imageId: string;
  readonly flavorId: string;
  readonly logDir: string;
}

/** testbed.json; throws with the way to start it when the testbed is not up. */
export function testbed(): Testbed {
  const file = join(testbedDir, 'testbed.json');
  if (!existsSync(file))
    throw new Error(`${file} is missing: start the testbed with test/e2e/testbed/up.sh (npm run test:e2e does it)`);
  return JSON.parse(readFileSync(file, 'utf8')) as Testbed;
}

/** Environment for anything that reads the testbed's clouds.yaml as the admin (or demo) cloud. */
export function cloudEnv(cloud: 'testbed-admin' | 'testbed-demo' = 'testbed-admin'): Record<string, string> {
  const tb = testbed();
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !key.startsWith('OS_')) env[key] = value;
  return { ...env, OS_CLIENT_CONFIG_FILE: tb.cloudsYaml, OS_CLIENT_SECURE_FILE: tb.secureYaml, OS_CLOUD: cloud };
}

/** An admin client of the testbed (fixtures and checks). */
export function adminClient(): Promise<OpenStackClient> {
  return connect(
    loadCloudConfig({
      env: cloudEnv(),
      cwd: '/nonexistent',
      home: '/nonexistent',
      etcDir: '/nonexistent',
      warn: () => undefined,
    }),
    { warn: () => undefined },
  );
}

/** Polls `check` until it returns a value other than undefined/false. */
export async function until<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A Nova call made without forcedown's client (fixtures must not depend on what they test). */
async function rawNova(method: string, path: string, microversion: string, body?: unknown): Promise<Response> {
  const tb = testbed();
  const token = await issueAdminToken();
  return fetch(`${tb.novaUrl}${path}`, {
    method,
    headers: {
      'X-Auth-Token': token,
      'OpenStack-API-Version': `compute ${microversion}`,
      'Content-Type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).then(async (response) => {
    if (!response.ok) throw new Error(`${method} ${path} -> ${response.status} ${await response.text()}`);
    return response;
  });
}

let cachedToken: { token: string; at: number } | undefined;
/** A token of the testbed's admin from Keystone directly (raw calls; reused for 30 minutes). */
export async function issueAdminToken(): Promise<string> {
  if (cachedToken && Date.now() - cachedToken.at < 30 * 60_000) return cachedToken.token;
  const tb = testbed();
  const secure = readFileSync(tb.secureYaml, 'utf8');
  const password = /testbed-admin:\s*\n\s*auth:\s*\n\s*password:\s*"?([^"\n]+)"?/.exec(secure)?.[1] ?? 'adminpass';
  const response = await fetch(`${tb.keystoneUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { name: 'Default' }, password } },
        },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  });
  const token = response.headers.get('x-subject-token');
  await response.arrayBuffer();
  if (!token) throw new Error(`Keystone did not issue a token (${response.status})`);
  cachedToken = { token, at: Date.now() };
  return token;
}

/** Options of {@link bootServers}. */
export interface BootOptions {
  /** How many end SHUTOFF. @defaultValue 0 */
  readonly shutoff?: number;
  /** How many end in ERROR (os-resetState). @defaultValue 0 */
  readonly error?: number;
  /** Name prefix (used to clean up). @defaultValue `e2e` */
  readonly prefix?: string;
}

/** Boots `count` servers onto `host` (2.74 `host`, no network) and waits until they are settled. */
export async function bootServers(
  client: OpenStackClient,
  host: string,
  count: number,
  options: BootOptions = {},
): Promise<Server[]> {
  const tb = testbed();
  const prefix = options.prefix ?? 'e2e';
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const response = await rawNova('POST', '/servers', '2.74', {
      server: {
        name: `${prefix}-${host}-${String(i).padStart(2, '0')}`,
        imageRef: tb.imageId,
        flavorRef: tb.flavorId,
        networks: 'none',
        host,
      },
    });
    ids.push(((await response.json()) as { server: { id: string } }).server.id);
  }
  const servers = await until(
    async () => {
      const list = await Promise.all(ids.map((id) => client.compute.getServer(id)));
      if (list.some((s) => s.status === 'ERROR' && s.taskState === null && s.host !== host))
        throw new Error(`a boot failed: ${JSON.stringify(list.filter((s) => s.status === 'ERROR'))}`);
      return list.every((s) => s.status === 'ACTIVE' && s.taskState === null) ? list : undefined;
    },
    `${count} servers ACTIVE on ${host}`,
    Math.max(120_000, count * 3000),
  ).catch(async (error: unknown) => {
    // servers that never reached a host are invisible to deleteServers (it lists by host): delete them here
    for (const id of ids) await rawNova('DELETE', `/servers/${id}`, '2.53').catch(() => undefined);
    throw error;
  });
  const shutoff = ids.slice(0, options.shutoff ?? 0);
  const error = ids.slice(shutoff.length, shutoff.length + (options.error ?? 0));
  for (const id of shutoff) await client.compute.stopServer(id);
  for (const id of error) await client.compute.resetState(id, 'error');
  await until(async () => {
    const list = await Promise.all(shutoff.map((id) => client.compute.getServer(id)));
    return list.every((s) => s.status === 'SHUTOFF' && s.taskState === null) ? true : undefined;
  }, 'SHUTOFF servers');
  return Promise.all(servers.map((s) => client.compute.getServer(s.id)));
}

/**
 * Deletes every server whose name starts with `prefix` (all projects; on `hosts` only when given)
 * and waits until they are gone. Returns what it deleted, as `name (host)`.
 */
export async function deleteServers(
  client: OpenStackClient,
  prefix = 'e2e',
  hosts: readonly string[] = testbed().computes.map((c) => c.host),
): Promise<string[]> {
  const ids: string[] = [];
  const deleted: string[] = [];
  for (const host of hosts) {
    for (const server of await client.compute.listServersOnHost(host))
      if (server.name.startsWith(prefix)) {
        ids.push(server.id);
        deleted.push(`${server.name} (${host})`);
      }
  }
  for (const id of ids) {
    await rawNova('POST', `/servers/${id}/action`, '2.53', { 'os-resetState': { state: 'active' } }).catch(
      () => undefined,
    );
    await rawNova('DELETE', `/servers/${id}`, '2.53').catch(() => undefined);
  }
  await until(
    async () => {
      const left = await Promise.all(
        ids.map((id) =>
          client.compute.getServer(id).then(
            () => id,
            () => undefined,
          ),
        ),
      );
      return left.every((id) => id === undefined) ? true : undefined;
    },
    'servers deleted',
    120_000,
  );
  return deleted;
}

/** `ipmitool ... chassis power <action>` against a host's ipmi_sim BMC (password through the environment). */
export function ipmitool(
  host: string,
  action: 'status' | 'on' | 'off',
  password?: string,
): { status: number | null; stdout: string; stderr: string } {
  const compute = testbed().computes.find((c) => c.host === host);
  if (!compute) throw new Error(`no compute ${host} in the testbed`);
  const result = spawnSync(
    'ipmitool',
    [
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
    {
      encoding: 'utf8',
      env: { ...process.env, IPMI_PASSWORD: password ?? readFileSync(compute.bmc.passwordFile, 'utf8').trim() },
      timeout: 30_000,
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Is the host's nova-compute process alive (its "power")? A zombie awaiting its reaper is not. */
export function computeAlive(host: string): boolean {
  const compute = testbed().computes.find((c) => c.host === host)!;
  try {
    const pid = Number(readFileSync(compute.pidFile, 'utf8').trim());
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Restarts a host's nova-compute (completes its `done` evacuation records). */
export function restartCompute(host: string): void {
  const result = spawnSync('bash', [join(root, 'test/e2e/testbed/restart-compute.sh'), host], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`restart-compute.sh ${host} failed: ${result.stderr}`);
}

/**
 * Puts a host back to healthy: powered on, not forced down, enabled, up (within `upTimeoutMs`,
 * default 120 s, of being enabled: a nova-compute that restarts with many instances takes longer).
 */
export async function ensureHealthy(
  client: OpenStackClient,
  host: string,
  upTimeoutMs = 120_000,
): Promise<ComputeService> {
  if (!/is on/.test(ipmitool(host, 'status').stdout)) ipmitool(host, 'on');
  let service = await client.compute.findComputeService(host);
  if (service.forcedDown) {
    try {
      service = await client.compute.setForcedDown(service, false);
    } catch {
      restartCompute(host);
      service = await until(
        async () => {
          try {
            return await client.compute.setForcedDown(await client.compute.findComputeService(host), false);
          } catch {
            return undefined;
          }
        },
        `clearing forced_down of ${host}`,
        90_000,
        1000,
      );
    }
  }
  if (service.status !== 'enabled') await client.compute.enableService(service);
  return until(
    async () => {
      const s = await client.compute.findComputeService(host);
      return s.state === 'up' ? s : undefined;
    },
    `${host} up`,
    upTimeoutMs,
    1000,
  );
}

/** Result of a CLI run. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly pid: number;
}

/** Runs the real CLI binary against the testbed (admin cloud unless `env` says otherwise). */
export function forcedown(
  args: readonly string[],
  env: Record<string, string> = {},
  options: { onStdout?: (chunk: string, pid: number) => void } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/forcedown.js'), ...args], {
      cwd: root,
      env: { ...cloudEnv(), NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      options.onStdout?.(stdout, child.pid!);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, pid: child.pid! }));
  });
}

/** The JSON events of a `--output json` run. */
export function events(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Stops nova-api (SIGTERM, by its saved PID) and returns a function that starts it again with
 * the same command line (saving the new PID where the testbed's scripts look for it).
 */
export async function stopNovaApi(): Promise<() => Promise<void>> {
  const tb = testbed();
  const pidFile = join(tb.dir, 'run', 'nova-api.pid');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  process.kill(pid, 'SIGTERM');
  await until(
    async () => {
      try {
        process.kill(pid, 0);
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z' ? true : undefined;
      } catch {
        return true;
      }
    },
    'nova-api to stop',
    30_000,
    100,
  );
  return async () => {
    const { openSync, writeFileSync } = await import('node:fs');
    const log = openSync(join(tb.logDir, 'nova-api.log'), 'a');
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    writeFileSync(pidFile, `${child.pid}\n`);
    await until(
      async () => {
        try {
          const response = await fetch(`${tb.novaUrl}/`);
          await response.arrayBuffer();
          return response.status < 500 ? true : undefined;
        } catch {
          return undefined;
        }
      },
      'nova-api back',
      120_000,
      250,
    );
  };
}
