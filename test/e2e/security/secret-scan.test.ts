import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse as parseYaml } from 'yaml';
import type { OpenStackClient } from '../../../src/openstack/index.js';
import {
  adminClient,
  bootServers,
  deleteServers,
  ensureHealthy,
  events,
  forcedown,
  testbed,
  type CliResult,
} from '../support/testbed.js';

/**
 * Secret scan after full runs through the CLI binary against the real testbed, on fake2 (the
 * host the suites share for this; always put back healthy):
 *   plan; a run with a wrong BMC password (exit 3); host-failure with two servers; host-recovery;
 *   services as the demo user (exit 4, also with --debug: stack traces are printed then);
 *   services with an application credential created for this test (deleted afterwards); runs.
 * Scanned: stdout, stderr, the JSON events and error messages in them, every line of every file
 * in the state directory, the spawn audit (FORCEDOWN_SPAWN_AUDIT: argv as the children got it),
 * and the argv of every process the forcedown processes started, sampled from /proc/PID/cmdline
 * every few milliseconds by proc-sampler.mjs (the sampler must have seen ipmitool, or the scan
 * proves nothing). Searched for: the admin and demo passwords (the testbed's secure.yaml), the
 * BMC passwords (bmc-passwords/*), the wrong password, the application credential's secret, a
 * Keystone token issued here for the admin user, and any Keystone fernet token (tokens differ per
 * issue, so forcedown's own ones are caught by their shape: gAAAAA + 40 or more base64url
 * characters; the token issued here proves the shape).
 * Also checked on the real run: state directory, runs/ and locks/ 0700; journal files 0600;
 * lock files 0600 while the run holds them (seen by the sampler). TLS verification by default is
 * covered by test/unit/openstack/tls.test.ts (an untrusted certificate is refused unless
 * insecure), webhook URLs and password files by test/unit/security.
 */
const test = suite('secret scan of full runs on the real testbed');
const HOST = 'fake2';
const FERNET = /gAAAAA[A-Za-z0-9_-]{40,}/;

let client: OpenStackClient;
let dir = '';
let stateDir = '';
let audit = '';
let sampler: ChildProcess | undefined;
let samplerOut = '';
const secrets = new Map<string, string>(); // value -> what it is
const results: { name: string; result: CliResult }[] = [];
let appCredential: { id: string; userId: string; token: string } | undefined;

async function keystoneToken(
  username: string,
  password: string,
  project: string,
): Promise<{ token: string; userId: string }> {
  const response = await fetch(`${testbed().keystoneUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: username, domain: { name: 'Default' }, password } },
        },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    }),
  });
  const body = (await response.json()) as { token: { user: { id: string } } };
  const token = response.headers.get('x-subject-token');
  if (!token) throw new Error(`Keystone issued no token (${response.status})`);
  return { token, userId: body.token.user.id };
}

async function run(name: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const result = await forcedown(args, { FORCEDOWN_SPAWN_AUDIT: audit, ...env });
  results.push({ name, result });
  return result;
}

test.before(async () => {
  const tb = testbed();
  dir = await mkdtemp(join(tmpdir(), 'fd-e2e-secrets-'));
  stateDir = join(dir, 'state'); // created by forcedown itself
  audit = join(dir, 'spawns.jsonl');
  const secure = parseYaml(await readFile(tb.secureYaml, 'utf8')) as {
    clouds: Record<string, { auth: { password: string } }>;
  };
  for (const [cloud, entry] of Object.entries(secure.clouds))
    secrets.set(entry.auth.password, `password of ${cloud} (secure.yaml)`);
  assert.ok(secrets.size >= 2, 'admin and demo passwords');
  for (const compute of tb.computes)
    secrets.set((await readFile(compute.bmc.passwordFile, 'utf8')).split('\n')[0], `BMC password of ${compute.host}`);
  const admin = [...secrets].find(([, what]) => what.includes('testbed-admin'))![0];
  const issued = await keystoneToken('admin', admin, 'admin');
  assert.match(issued.token, FERNET, 'this Keystone issues fernet tokens: the pattern finds them');
  secrets.set(issued.token, 'a Keystone token issued for admin');

  // an application credential for admin, used by `services` below
  const secret = `fd-appcred-${randomBytes(12).toString('hex')}`;
  const created = await fetch(`${tb.keystoneUrl}/users/${issued.userId}/application_credentials`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Auth-Token': issued.token },
    body: JSON.stringify({
      application_credential: {
        name: `forcedown-e2e-secret-scan-${Date.now()}`,
        secret,
        description: 'test/e2e/security/secret-scan.test.ts (deleted after the test)',
      },
    }),
  });
  const credential = (await created.json()) as { application_credential?: { id: string } };
  assert.is(created.status, 201, JSON.stringify(credential));
  appCredential = { id: credential.application_credential!.id, userId: issued.userId, token: issued.token };
  secrets.set(secret, 'the application credential secret');
  await writeFile(
    join(dir, 'clouds.yaml'),
    `clouds:\n  appcred:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: "${tb.keystoneUrl}"\n      application_credential_id: "${appCredential.id}"\n    region_name: RegionOne\n`,
  );
  await writeFile(
    join(dir, 'secure.yaml'),
    `clouds:\n  appcred:\n    auth:\n      application_credential_secret: "${secret}"\n`,
    { mode: 0o600 },
  );

  client = await adminClient();
  await deleteServers(client, 'e2e-sec');
  await ensureHealthy(client, HOST);
  await bootServers(client, HOST, 2, { prefix: 'e2e-sec' });

  samplerOut = join(dir, 'sampled.json');
  sampler = spawn(process.execPath, [join(import.meta.dirname, 'proc-sampler.mjs'), samplerOut, stateDir], {
    stdio: 'ignore',
  });
});

test.after(async () => {
  try {
    if (sampler && sampler.exitCode === null) sampler.kill('SIGKILL');
    await ensureHealthy(client, HOST);
    await deleteServers(client, 'e2e-sec');
  } finally {
    if (appCredential) {
      await fetch(
        `${testbed().keystoneUrl}/users/${appCredential.userId}/application_credentials/${appCredential.id}`,
        { method: 'DELETE', headers: { 'X-Auth-Token': appCredential.token } },
      ).catch(() => undefined);
    }
    await client?.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('the runs: plan, a wrong BMC password, host-failure, host-recovery, services as demo and with an application credential', async () => {
  const tb = testbed();
  const plan = await run('plan', [
    'plan',
    'runbooks/host-failure.json',
    '--var',
    `host=${HOST}`,
    '--inventory',
    tb.inventory,
    '--output',
    'json',
  ]);
  assert.is(plan.code, 0, plan.stderr);

  const inventory = JSON.parse(await readFile(tb.inventory, 'utf8')) as {
    hosts: Record<string, { bmc: { password: { file: string } } }>;
  };
  const wrong = `wrong-${randomBytes(6).toString('hex')}`;
  secrets.set(wrong, 'the wrong BMC password');
  await writeFile(join(dir, 'wrong-password'), `${wrong}\n`, { mode: 0o600 });
  inventory.hosts[HOST].bmc.password = { file: join(dir, 'wrong-password') };
  await writeFile(join(dir, 'inventory-wrong.json'), JSON.stringify(inventory));
  const failed = await run('run with a wrong BMC password', [
    'run',
    'runbooks/host-failure.json',
    '--var',
    `host=${HOST}`,
    '--inventory',
    join(dir, 'inventory-wrong.json'),
    '--yes',
    '--output',
    'json',
    '--state-dir',
    stateDir,
  ]);
  assert.is(failed.code, 3, failed.stderr + failed.stdout.slice(-1500));

  const hostFailure = await run('host-failure', [
    'run',
    'runbooks/host-failure.json',
    '--var',
    `host=${HOST}`,
    '--var',
    'reason=INC-secret-scan',
    '--inventory',
    tb.inventory,
    '--yes',
    '--output',
    'json',
    '--state-dir',
    stateDir,
  ]);
  assert.is(hostFailure.code, 0, hostFailure.stderr + hostFailure.stdout.slice(-3000));
  assert.equal(
    events(hostFailure.stdout)
      .filter((e) => e.event === 'step.finished')
      .map((e) => e.status),
    ['changed', 'changed', 'changed', 'unchanged'],
  );
  const recovery = await run('host-recovery', [
    'run',
    'runbooks/host-recovery.json',
    '--var',
    `host=${HOST}`,
    '--inventory',
    tb.inventory,
    '--yes',
    '--output',
    'json',
    '--state-dir',
    stateDir,
  ]);
  assert.is(recovery.code, 0, recovery.stderr + recovery.stdout.slice(-3000));

  for (const debug of [[], ['--debug']]) {
    const demo = await run(`services as demo ${debug.join('')}`, ['services', ...debug], { OS_CLOUD: 'testbed-demo' });
    assert.is(demo.code, 4, demo.stderr);
  }
  const appcred = await run('services with an application credential', ['services', '--output', 'json'], {
    OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
    OS_CLIENT_SECURE_FILE: join(dir, 'secure.yaml'),
    OS_CLOUD: 'appcred',
  });
  assert.is(appcred.code, 0, appcred.stderr);
  const wrongSecret = `fd-appcred-wrong-${randomBytes(8).toString('hex')}`;
  secrets.set(wrongSecret, 'a wrong application credential secret');
  await writeFile(
    join(dir, 'secure-wrong.yaml'),
    `clouds:\n  appcred:\n    auth:\n      application_credential_secret: "${wrongSecret}"\n`,
    { mode: 0o600 },
  );
  const rejected = await run('services with a wrong application credential secret', ['services', '--debug'], {
    OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
    OS_CLIENT_SECURE_FILE: join(dir, 'secure-wrong.yaml'),
    OS_CLOUD: 'appcred',
  });
  assert.is(rejected.code, 4, rejected.stderr);
  const runs = await run('runs', ['runs', '--state-dir', stateDir]);
  assert.is(runs.code, 0, runs.stderr);
});

/** The JSON events of a `--output json` run (other outputs, pretty JSON or tables, have none). */
function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.split('\n').flatMap((line) => {
    if (!line.startsWith('{"')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** Every place a secret could leak, as [where, text]. */
async function corpus(): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const { name, result } of results) {
    out.push([`${name}: stdout`, result.stdout], [`${name}: stderr`, result.stderr]);
    for (const event of jsonLines(result.stdout)) {
      const error = (event as { error?: { message?: string; hint?: string } }).error;
      if (error) out.push([`${name}: event error`, `${error.message ?? ''} ${error.hint ?? ''}`]);
    }
  }
  const walk = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) await walk(full);
      else
        (await readFile(full, 'utf8'))
          .split('\n')
          .forEach((line, index) => out.push([`${relative(dir, full)}:${index + 1}`, line]));
    }
  };
  await walk(stateDir);
  if (existsSync(audit))
    (await readFile(audit, 'utf8')).split('\n').forEach((line, index) => out.push([`spawn audit:${index + 1}`, line]));
  return out;
}

test('no secret in any output, event, error, journal line or audited argv', async () => {
  const texts = await corpus();
  assert.ok(texts.length > 50, `${texts.length} texts scanned`);
  const journals = await readdir(join(stateDir, 'runs'));
  assert.ok(journals.length >= 3, `journals of the runs: ${journals.join(', ')}`);
  const leaks: string[] = [];
  for (const [where, text] of texts) {
    for (const [secret, what] of secrets) if (text.includes(secret)) leaks.push(`${where}: ${what}`);
    const token = FERNET.exec(text);
    if (token) leaks.push(`${where}: a Keystone token (${token[0].slice(0, 12)}...)`);
  }
  assert.equal(leaks, []);
  // the scan looked at the right things: the journals carry the run's events, the audit the BMC calls
  assert.ok(
    texts.some(([where, text]) => where.startsWith('state/runs/') && text.includes('"event":"safety.fence-confirmed"')),
    'journal lines scanned',
  );
  const spawns = (await readFile(audit, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { file: string; args: string[]; envKeys: string[] });
  assert.ok(spawns.length >= 4, `${spawns.length} spawns audited`);
  for (const spawned of spawns) {
    assert.is(spawned.file, 'ipmitool', 'only ipmitool is started (no shell)');
    assert.ok(spawned.args.includes('-E'), 'the password goes through the environment');
    assert.equal(spawned.envKeys, ['IPMI_PASSWORD']);
  }
});

test('argv of every process forcedown started (sampled from /proc): no secret; the sampler saw ipmitool', async () => {
  sampler!.kill('SIGTERM');
  await new Promise((resolve) => sampler!.once('exit', resolve));
  const sampled = JSON.parse(await readFile(samplerOut, 'utf8')) as {
    sweeps: number;
    ms: number;
    processes: { pid: number; ppid: number; argv: string[] }[];
    locks: { file: string; mode: number }[];
  };
  const forcedownPids = new Set(results.map(({ result }) => result.pid));
  const parent = new Map(sampled.processes.map((p) => [p.pid, p.ppid]));
  const descends = (pid: number): boolean => {
    for (
      let current: number | undefined = pid, hops = 0;
      current !== undefined && current > 1 && hops < 50;
      current = parent.get(current), hops += 1
    ) {
      if (forcedownPids.has(current)) return true;
    }
    return false;
  };
  const ours = sampled.processes.filter((p) => descends(p.pid));
  const children = ours.filter((p) => !forcedownPids.has(p.pid));
  const ipmitools = children.filter((p) => p.argv[0] === 'ipmitool' || p.argv[0]?.endsWith('/ipmitool'));
  process.stdout.write(
    `\nproc sampler: ${sampled.sweeps} sweeps in ${sampled.ms} ms (${(sampled.ms / sampled.sweeps).toFixed(1)} ms each); ${ours.length} forcedown processes and children seen, ${ipmitools.length} ipmitool\n`,
  );
  const leaks: string[] = [];
  for (const p of ours) {
    const text = p.argv.join(' ');
    for (const [secret, what] of secrets) if (text.includes(secret)) leaks.push(`pid ${p.pid} (${p.argv[0]}): ${what}`);
    if (FERNET.test(text)) leaks.push(`pid ${p.pid} (${p.argv[0]}): a Keystone token`);
  }
  assert.equal(leaks, []);
  // lock files, seen while the runs held them
  assert.ok(
    sampled.locks.some((l) => l.file === `${HOST}.lock`),
    `the sampler saw ${HOST}.lock`,
  );
  for (const lock of sampled.locks) assert.is(lock.mode, 0o600, `${lock.file} is 0600`);
  // the scan could have seen a leak: ipmitool was sampled, with the password in its environment
  assert.ok(ipmitools.length >= 1, 'the sampler saw at least one ipmitool child (it is fast enough to see them)');
  for (const p of ipmitools)
    assert.ok(p.argv.includes('-E'), `ipmitool ${p.argv.join(' ')} takes the password from its environment`);
});

test('state directory, runs/ and locks/ are 0700; journals 0600', async () => {
  for (const path of [stateDir, join(stateDir, 'runs'), join(stateDir, 'locks')])
    assert.is((await stat(path)).mode & 0o777, 0o700, path);
  for (const journal of await readdir(join(stateDir, 'runs')))
    assert.is((await stat(join(stateDir, 'runs', journal))).mode & 0o777, 0o600, journal);
});

test.run();
