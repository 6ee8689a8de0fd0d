import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isForcedownError, type ForcedownError } from '../../../src/errors/index.js';
import { spawnHistory } from '../../../src/exec/index.js';
import { loadDesiredState, synthesizeApp } from '../../../src/iac/index.js';
import { loadCloudConfig } from '../../../src/openstack/index.js';
import { doubleEnv, startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';
import { cliIn } from '../../support/captured-output.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

/**
 * Regressions the fuzz suite (test/fuzz) found: invalid input that got past the checks (an
 * invalid inventory reached Keystone and the journal; a plan with one exited 0), YAML that crashed
 * or stalled the config loader, an auth_url that was no URL, `validate` passing desired-state files
 * that `cdktf synth` rejects, and a host named "constructor".
 */
const root = join(import.meta.dirname, '../../..');
let dir = '';
let double: OpenStackDouble;
test.before(async () => {
  double = await startOpenStackDouble();
});
test.after(async () => {
  await double.close();
});
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-hostile-'));
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

const requests = (): number => Object.values(double.calls).reduce((a, b) => a + b, 0);

const cli = (argv: string[], env: Record<string, string> = {}): ReturnType<typeof cliIn> => cliIn(dir, argv, env);

const cloudEnv = (): Record<string, string> => ({
  ...doubleEnv(double),
});

function configError(fn: () => unknown): ForcedownError {
  try {
    fn();
  } catch (error) {
    if (isForcedownError(error)) return error;
    throw new Error(`expected a ForcedownError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected an error');
}

test('plan and run --dry-run with an invalid inventory: exit 2 before any request, spawn or journal', async () => {
  await writeFile(
    join(dir, 'inventory.json'),
    JSON.stringify({ hosts: { fake2: { bmc: { driver: 'ipmi', address: '127.0.0.1' } } } }),
  );
  const before = { requests: requests(), spawn: spawnHistory().at(-1) };
  for (const argv of [
    ['plan', join(root, 'runbooks/host-failure.json'), '--var', 'host=fake2', '--inventory', 'inventory.json'],
    [
      'run',
      join(root, 'runbooks/host-failure.json'),
      '--var',
      'host=fake2',
      '--inventory',
      'inventory.json',
      '--dry-run',
      '--state-dir',
      join(dir, 'state'),
    ],
  ]) {
    const result = await cli(argv, cloudEnv());
    assert.is(result.code, 2, `${argv[0]}: ${result.err}${result.out}`);
    assert.match(result.err, 'inventory');
    assert.match(result.err, 'missing required property "username"');
    assert.match(result.err, 'what to do:');
  }
  assert.is(requests(), before.requests, 'no Keystone/Nova request');
  assert.is(spawnHistory().at(-1), before.spawn, 'no process spawned');
  assert.not.ok(existsSync(join(dir, 'state', 'runs')), 'no journal');
});

test('validate checks a desired-state file as the cdktf app does; a desired state without $schema is recognised', async () => {
  const file = join(dir, 'ds.json');
  await writeFile(
    file,
    JSON.stringify({
      provider: { password: 'x' },
      hosts: {
        fake1: { state: 'failed', fencedReason: 'INC-1', disable: false, disabledReason: 'why' },
        'a.b': { state: 'healthy' },
        a_b: { state: 'healthy' },
      },
    }),
  );
  const result = await cli(['validate', 'ds.json']);
  assert.is(result.code, 2);
  assert.match(result.out, 'ds.json (desired-state): 3 problems');
  assert.match(result.out, 'secrets are not accepted in a desired-state file');
  assert.match(result.out, 'disabledReason is set but disable is false');
  assert.match(result.out, 'both become the Terraform resource name "a_b"');
  assert.throws(() => loadDesiredState(file), /3 problems/);
  // an inventory is still an inventory
  assert.match((await cli(['validate', join(root, 'runbooks/inventory.example.json')])).out, '(inventory)');
});

test('a host named like an Object.prototype member ("constructor", "toString") synthesizes', async () => {
  const file = join(dir, 'ds.json');
  await writeFile(
    file,
    JSON.stringify({
      hosts: {
        constructor: { state: 'healthy' },
        toString: { state: 'failed', fencedReason: 'INC-1' },
        fake2: { state: 'healthy' },
      },
    }),
  );
  let stderr = '';
  const code = synthesizeApp({
    env: { FORCEDOWN_DESIRED_STATE: file },
    outdir: join(dir, 'out'),
    stderr: { write: (t: string) => (stderr += t) },
  });
  assert.is(code, 0, stderr);
  const json = JSON.parse(await readFile(join(dir, 'out', 'stacks', 'forcedown', 'cdk.tf.json'), 'utf8')) as {
    resource: { forcedown_compute_service: Record<string, { host: string }> };
  };
  assert.equal(Object.keys(json.resource.forcedown_compute_service).sort(), ['constructor', 'fake2', 'toString']);
  assert.is(new Map(Object.entries(json.resource.forcedown_compute_service)).get('constructor')?.host, 'constructor');
});

test('clouds.yaml: alias bombs and undefined aliases are invalid YAML (exit 2), not internal errors', async () => {
  const bomb = `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\nclouds: {x: {auth: {auth_url: "${double.keystoneUrl}"}}}\n`;
  await writeFile(join(dir, 'bomb.yaml'), bomb);
  let e = configError(() =>
    loadCloudConfig({ env: { OS_CLIENT_CONFIG_FILE: join(dir, 'bomb.yaml') }, cwd: dir, home: dir, etcDir: dir }),
  );
  assert.equal([e.code, exitCodeOf(e)], ['CLOUD_CONFIG_INVALID_YAML', 2]);
  assert.match(e.message, 'too many aliases');
  await writeFile(join(dir, 'alias.yaml'), 'clouds:\n  x:\n    auth: *nowhere\n');
  e = configError(() =>
    loadCloudConfig({ env: { OS_CLIENT_CONFIG_FILE: join(dir, 'alias.yaml') }, cwd: dir, home: dir, etcDir: dir }),
  );
  assert.equal([e.code, exitCodeOf(e)], ['CLOUD_CONFIG_INVALID_YAML', 2]);
  assert.match(e.message, 'refers to an anchor');
  // through the CLI: exit 2, no request
  const before = requests();
  const result = await cli(['services'], { OS_CLIENT_CONFIG_FILE: join(dir, 'bomb.yaml') });
  assert.is(result.code, 2, result.err);
  assert.not.match(result.err, 'internal error');
  assert.is(requests(), before);
});

test('clouds.yaml: a huge file or brackets nested thousands deep are refused at once (the parser would stall)', () => {
  const deep = join(dir, 'deep.yaml');
  const started = Date.now();
  return writeFile(deep, `clouds: {}\nx: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`).then(async () => {
    let e = configError(() =>
      loadCloudConfig({ env: { OS_CLIENT_CONFIG_FILE: deep }, cwd: dir, home: dir, etcDir: dir }),
    );
    assert.equal([e.code, exitCodeOf(e)], ['CLOUD_CONFIG_INVALID_YAML', 2]);
    assert.match(e.message, 'nested more than 64 deep');
    await writeFile(deep, `${'\n'.repeat(2 * 1024 * 1024)}clouds: {}\n`);
    e = configError(() => loadCloudConfig({ env: { OS_CLIENT_CONFIG_FILE: deep }, cwd: dir, home: dir, etcDir: dir }));
    assert.equal([e.code, exitCodeOf(e)], ['CLOUD_CONFIG_TOO_BIG', 2]);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    // brackets inside quoted scalars and comments do not count
    await writeFile(
      deep,
      `# ${'['.repeat(100)}\nclouds:\n  x:\n    auth: {auth_url: "http://k/${'['.repeat(100)}", username: a, password: '${'{'.repeat(100)}', user_domain_name: D, project_name: p, project_domain_name: D}\n`,
    );
    assert.is(
      loadCloudConfig({ env: { OS_CLIENT_CONFIG_FILE: deep }, cwd: dir, home: dir, etcDir: dir, warn: () => undefined })
        .auth.password,
      '{'.repeat(100),
    );
  });
});

test('clouds.yaml: merge keys (<<: *defaults) work as in openstacksdk (PyYAML)', async () => {
  await writeFile(
    join(dir, 'merge.yaml'),
    `defaults: &defaults\n  auth_url: "${double.keystoneUrl}"\n  user_domain_name: Default\n  project_domain_name: Default\nclouds:\n  a:\n    auth:\n      <<: *defaults\n      username: admin\n      password: adminpass\n      project_name: admin\n`,
  );
  const config = loadCloudConfig({
    env: { OS_CLIENT_CONFIG_FILE: join(dir, 'merge.yaml') },
    cwd: dir,
    home: dir,
    etcDir: dir,
    warn: () => undefined,
  });
  assert.equal(
    [config.auth.authUrl, config.auth.userDomainName, config.auth.username],
    [double.keystoneUrl, 'Default', 'admin'],
  );
});

test('clouds.yaml: a merge key of a scalar is invalid YAML; thousands of cloud names are not all listed', async () => {
  await writeFile(join(dir, 'merge.yaml'), 'base: &base "text"\nclouds:\n  a:\n    auth:\n      <<: *base\n');
  const e = configError(() =>
    loadCloudConfig({ env: { OS_CLIENT_CONFIG_FILE: join(dir, 'merge.yaml') }, cwd: dir, home: dir, etcDir: dir }),
  );
  assert.equal([e.code, exitCodeOf(e)], ['CLOUD_CONFIG_INVALID_YAML', 2]);
  assert.match(e.message, 'Merge sources must be maps');
  const clouds = Object.fromEntries(
    Array.from({ length: 3000 }, (_, i) => [`cloud-${i}`, { auth: { auth_url: double.keystoneUrl } }]),
  );
  await writeFile(join(dir, 'many.yaml'), JSON.stringify({ clouds }));
  for (const env of [{}, { OS_CLOUD: 'nope' }]) {
    const many = configError(() =>
      loadCloudConfig({
        env: { OS_CLIENT_CONFIG_FILE: join(dir, 'many.yaml'), ...env },
        cwd: dir,
        home: dir,
        etcDir: dir,
      }),
    );
    assert.match(many.message, 'cloud-19 and 2980 more');
    assert.ok(many.message.length + many.hint.length < 2000, `${many.message.length} characters`);
  }
});

test('an auth_url that is no http(s) URL is invalid configuration (exit 2), not an internal error', async () => {
  for (const url of ['../../etc/passwd', 'keystone.example:5000/v3', 'file:///etc/passwd', '12345']) {
    const e = configError(() =>
      loadCloudConfig({
        env: { ...cloudEnv(), OS_AUTH_URL: url },
        cwd: dir,
        home: dir,
        etcDir: dir,
        warn: () => undefined,
      }),
    );
    assert.equal([e.code, exitCodeOf(e)], ['CLOUD_CONFIG_INVALID_AUTH_URL', 2], url);
  }
  const before = requests();
  const result = await cli(['services'], { ...cloudEnv(), OS_AUTH_URL: '../../etc/passwd' });
  assert.is(result.code, 2);
  assert.match(result.err, 'is not an http:// or https:// URL');
  assert.is(requests(), before);
});

test('services reads ~/.config/openstack of the HOME it runs with', async () => {
  await mkdir(join(dir, 'home', '.config', 'openstack'), { recursive: true });
  await writeFile(
    join(dir, 'home', '.config', 'openstack', 'clouds.yaml'),
    `clouds:\n  mine:\n    auth: {auth_url: "${double.keystoneUrl}", username: admin, password: adminpass, project_name: admin, user_domain_name: Default, project_domain_name: Default}\n`,
  );
  const result = await cli(['services', '--output', 'json'], { HOME: join(dir, 'home') });
  assert.is(result.code, 0, result.err);
  assert.match(result.err, 'cloud mine');
});

test.run();
