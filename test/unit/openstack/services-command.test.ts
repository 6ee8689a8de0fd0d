import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ForcedownError } from '../../../src/errors/index.js';
import { command } from '../../../src/cli/commands/services.js';
import type { CommandContext, ParsedArgs } from '../../../src/cli/command.interface.js';
import { startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';
import { envFor, rejection } from './helpers.js';
import { captureOutput } from '../../support/captured-output.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

let double: OpenStackDouble;
test.before(async () => {
  double = await startOpenStackDouble();
});
test.after(async () => {
  await double.close();
});

function run(
  values: ParsedArgs['values'],
  env: Record<string, string>,
): { done: Promise<number>; out: () => string; err: () => string } {
  const { stdout, stderr, out, err } = captureOutput();
  const context: CommandContext = {
    stdout,
    stderr,
    env,
    cwd: '/nonexistent',
    signal: new AbortController().signal,
    debug: false,
  };
  return { done: command.run({ values, positionals: [] }, context), out, err };
}

test('table: one row per service with the documented columns', async () => {
  double.setForcedDown('fake2', true);
  const r = run({}, envFor(double));
  assert.is(await r.done, 0);
  const lines = r.out().trim().split('\n');
  assert.match(lines[0] ?? '', /^host\s+binary\s+zone\s+status\s+state\s+forced_down\s+disabled_reason\s+updated_at$/);
  const fake2 = lines.find((l) => l.startsWith('fake2')) ?? '';
  assert.match(fake2, /^fake2\s+nova-compute\s+nova\s+enabled\s+down\s+true\s+-\s+\d{4}-/);
  assert.ok(lines.some((l) => l.startsWith('vm ') && l.includes('nova-scheduler')));
  assert.match(r.err(), 'compute API 2.53');
  double.setForcedDown('fake2', false);
});

test('json: an array, filtered by --host', async () => {
  const r = run({ host: 'fake1', output: 'json' }, envFor(double));
  assert.is(await r.done, 0);
  const parsed = JSON.parse(r.out()) as { host: string; binary: string; forcedDown: boolean; state: string }[];
  assert.ok(Array.isArray(parsed));
  assert.is(parsed.length, 1);
  assert.equal(
    { host: parsed[0]?.host, binary: parsed[0]?.binary, forcedDown: parsed[0]?.forcedDown, state: parsed[0]?.state },
    { host: 'fake1', binary: 'nova-compute', forcedDown: false, state: 'up' },
  );
});

test('unknown host: exit-2 error listing the hosts', async () => {
  const error = await rejection(run({ host: 'cmp-99' }, envFor(double)).done);
  assert.is(exitCodeOf(error), 2);
  assert.match((error as Error).message, 'fake1, fake2, fake3, vm');
});

test('non-admin: exit-4 error with the policy name', async () => {
  const error = await rejection(run({}, envFor(double, 'demo')).done);
  assert.is(exitCodeOf(error), 4);
  assert.match((error as ForcedownError).hint, 'os_compute_api:os-services:list');
});

test('bad --output is a usage error', async () => {
  const error = await rejection(run({ output: 'yaml' }, envFor(double)).done);
  assert.is((error as ForcedownError).code, 'USAGE');
});

test('--insecure turns verification off and warns on stderr', async () => {
  const r = run({ insecure: true }, envFor(double));
  assert.is(await r.done, 0);
  assert.match(r.err(), 'verification is OFF');
});

test.run();
