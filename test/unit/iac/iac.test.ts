import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isForcedownError } from '../../../src/errors/index.js';
import { buildApp, checkDesiredState, loadDesiredState, resourceName, synthesizeApp } from '../../../src/iac/index.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

const root = join(import.meta.dirname, '../../..');
const valid = join(root, 'test/fixtures/desired-state.json');
const invalid = join(root, 'test/fixtures/desired-state.invalid.json');
const main = join(root, 'src/iac/main.ts');

type Synth = {
  resource: { forcedown_compute_service: Record<string, Record<string, unknown>> };
  provider: { forcedown: Record<string, unknown>[] };
  output: Record<string, unknown>;
  terraform: { backend?: { local?: { path: string } } };
};

const made: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'forcedown-iac-'));
  made.push(dir);
  return dir;
}
test.after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

test('a valid desired state synthesizes one resource per host, named after the host', () => {
  const { stack } = buildApp({ env: { FORCEDOWN_DESIRED_STATE: valid }, outdir: tmp() });
  const synthesized = Testing.synth(stack, true);
  const json = JSON.parse(synthesized) as Synth;
  assert.equal(Object.keys(json.resource.forcedown_compute_service).sort(), ['fake2', 'fake3']);
  const fake2 = json.resource.forcedown_compute_service.fake2 ?? {};
  assert.equal(
    [fake2.host, fake2.forced_down, fake2.fenced_reason, fake2.disabled],
    ['fake2', true, 'INC-4711: BMC power-off confirmed', true],
  );
  const fake3 = json.resource.forcedown_compute_service.fake3 ?? {};
  assert.equal([fake3.forced_down, fake3.disabled], [false, false]);
  assert.ok(Testing.toHaveProviderWithProperties(synthesized, 'forcedown', { cloud: 'testbed', region: 'RegionOne' }));
  assert.ok('services' in json.output);
});

test('every problem of an invalid file at once, with JSON paths and lines; exit code 2', () => {
  try {
    loadDesiredState(invalid);
    assert.unreachable('should throw');
  } catch (error) {
    assert.ok(isForcedownError(error));
    assert.is(exitCodeOf(error), 2);
    assert.is(error.code, 'DESIRED_STATE_INVALID');
    const pointers = (error.data.problems as { pointer: string }[]).map((p) => p.pointer);
    assert.equal(pointers, [
      '/stack',
      '/provider/password',
      '/hosts/fake2',
      '/hosts/fake3/state',
      '/hosts/bad host',
      '/hosts/fake1/disabledReason',
      '/hosts/fake4/forcedDown',
    ]);
    assert.match(
      error.message,
      'desired-state.invalid.json:6:14 /hosts/fake2: missing required property "fencedReason"',
    );
    assert.match(error.message, 'set OS_PASSWORD in the environment');
    assert.not.match(error.message, 'do-not-put-me-here', 'the secret value is not echoed');
  }
});

test('names that collide as Terraform resource names are refused', () => {
  const { problems } = checkDesiredState(
    JSON.stringify({ hosts: { 'cmp-1.a': { state: 'healthy' }, 'cmp-1_a': { state: 'healthy' } } }),
    'x.json',
  );
  assert.is(problems.length, 1);
  assert.match(problems[0]?.message ?? '', 'both become the Terraform resource name "cmp-1_a"');
  assert.is(resourceName('7host'), 'host_7host');
});

test('statePath is resolved against the file; the stack uses it as its local backend', () => {
  const dir = tmp();
  const file = join(dir, 'ds.json');
  writeFileSync(
    file,
    JSON.stringify({
      stack: 'ops',
      statePath: 'state/ops.tfstate',
      hosts: { fake3: { state: 'maintenance', reason: 'CHG-1' } },
    }),
  );
  const { stack } = buildApp({ env: { FORCEDOWN_DESIRED_STATE: file }, outdir: dir });
  const json = JSON.parse(Testing.synth(stack)) as Synth;
  assert.is(json.terraform.backend?.local?.path, join(dir, 'state/ops.tfstate'));
  assert.equal(json.resource.forcedown_compute_service.fake3?.disabled_reason, 'CHG-1');
  rmSync(dir, { recursive: true, force: true });
});

test('the app as cdktf runs it: writes cdk.tf.json to CDKTF_OUTDIR', () => {
  const out = tmp();
  const result = spawnSync(process.execPath, ['--import', 'tsx', main], {
    cwd: root,
    env: { ...process.env, FORCEDOWN_DESIRED_STATE: valid, CDKTF_OUTDIR: out },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.is(result.status, 0, result.stderr);
  const json = JSON.parse(readFileSync(join(out, 'stacks/forcedown/cdk.tf.json'), 'utf8')) as Synth;
  assert.ok(json.resource.forcedown_compute_service.fake2);
  rmSync(out, { recursive: true, force: true });
});

test('the app process with an invalid file: exit 2, every problem on stderr, no stack trace', () => {
  const out = tmp();
  const result = spawnSync(process.execPath, ['--import', 'tsx', main], {
    cwd: root,
    env: { ...process.env, FORCEDOWN_DESIRED_STATE: invalid, CDKTF_OUTDIR: out },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.is(result.status, 2, result.stderr);
  assert.match(result.stderr, '7 problems');
  assert.match(result.stderr, 'hint:');
  assert.not.match(result.stderr, /\n\s+at /, 'no stack trace');
  rmSync(out, { recursive: true, force: true });
});

test('no file named, or an unreadable one: exit 2 with what to do', () => {
  for (const [value, code] of [
    ['', 'FORCEDOWN_DESIRED_STATE is not set'],
    ['/nonexistent/ds.json', 'cannot read the desired-state file /nonexistent/ds.json (ENOENT)'],
  ] as const) {
    let stderr = '';
    const exit = synthesizeApp({
      env: { FORCEDOWN_DESIRED_STATE: value },
      outdir: tmp(),
      stderr: { write: (text: string) => (stderr += text) },
    });
    assert.is(exit, 2);
    assert.match(stderr, code);
    assert.match(stderr, 'hint:');
  }
});

test.run();
