import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../../src/cli/main.js';
import { captureOutput, cliIn } from '../../support/captured-output.js';
import { commandBmc, type CommandBmc } from '../../support/command-bmc.js';
import { doubleEnv, startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';

/**
 * `plan` exits non-zero when a step could not be planned and names each distinct problem once;
 * `runs` tells apart how runs ended and marks only the runs `resume` can continue (issue 13).
 */
const test = suite('plan exit codes and runs labels');
const root = join(import.meta.dirname, '../../..');
let double: OpenStackDouble;
let dir = '';
let bmc: CommandBmc;

test.before(async () => {
  double = await startOpenStackDouble();
});
test.after(async () => {
  await double.close();
});
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-plan-runs-'));
  bmc = commandBmc(dir, ['fake1', 'h']);
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

const occurrences = (text: string, part: string): number => text.split(part).length - 1;
const plan = (...more: string[]): string[] => [
  'plan',
  join(root, 'runbooks/host-failure.json'),
  '--var',
  'host=fake1',
  '--inventory',
  'inventory.json',
  ...more,
];

test('plan with no cloud configuration: exit 2, the problem shown once, later steps refer to it', async () => {
  const result = await cliIn(dir, plan());
  assert.is(result.code, 2, result.err + result.out);
  assert.is(occurrences(result.out, 'no clouds.yaml found'), 1, result.out);
  assert.match(result.out, 'the same problem as step 2 (force-down): CLOUD_CONFIG_NOT_FOUND');
  assert.match(result.out, 'not every step could be planned: 1 problem (CLOUD_CONFIG_NOT_FOUND); plan exits 2');
  assert.match(result.out, /~ {2}1\. fence \(fence\) — will change/, 'what could be planned still is');
  const json = await cliIn(dir, plan('--output', 'json'));
  assert.is(json.code, 2);
  const parsed = JSON.parse(json.out) as {
    problems: { code: string; exitCode: number; steps: string[] }[];
    steps: { id: string; error?: { exitCode: number } }[];
  };
  assert.equal(parsed.problems, [
    {
      ...parsed.problems[0],
      code: 'CLOUD_CONFIG_NOT_FOUND',
      exitCode: 2,
      steps: ['force-down', 'evacuate'],
    },
  ]);
  assert.is(parsed.steps[1].error?.exitCode, 2);
});

test('plan with a cloud whose credentials are wrong: exit 4; with a good cloud every step is planned: exit 0', async () => {
  const wrong = await cliIn(dir, plan(), { ...doubleEnv(double), OS_PASSWORD: 'not-the-password' });
  assert.is(wrong.code, 4, wrong.err + wrong.out);
  assert.is(occurrences(wrong.out, 'Keystone answered 401'), 1, wrong.out);
  const good = await cliIn(dir, plan(), doubleEnv(double));
  assert.is(good.code, 0, good.err + good.out);
  assert.match(good.out, '0 refused, 0 errors');
});

/** Runs a runbook of `steps` through the CLI in-process; `abortAfterMs` sends "Ctrl+C". */
async function runOf(name: string, steps: unknown[], more: string[] = [], abortAfterMs?: number): Promise<number> {
  const file = join(dir, `${name}.json`);
  await writeFile(
    file,
    JSON.stringify({ name, params: { d: { type: 'string', description: 'd', default: '1ms' } }, steps }),
  );
  const io = captureOutput();
  const controller = new AbortController();
  if (abortAfterMs !== undefined)
    setTimeout(() => controller.abort(Object.assign(new Error('SIGINT'), { name: 'AbortError' })), abortAfterMs);
  const argv = ['run', file, '--inventory', 'inventory.json', '--yes', '--state-dir', join(dir, 'state'), ...more];
  return main(argv, { stdout: io.stdout, stderr: io.stderr, env: { HOME: dir }, cwd: dir, signal: controller.signal });
}

test('runs: succeeded, failed, failed after changes, refused, invalid (nothing done), interrupted, dry runs; * only where resume can go on', async () => {
  assert.is(await runOf('ok', [{ id: 'w', type: 'wait', duration: '1ms' }]), 0);
  assert.is(await runOf('fails', [{ id: 'x', type: 'command', command: ['false'] }]), 1);
  assert.is(await runOf('invalid', [{ id: 'w', type: 'wait', duration: '${params.d}' }], ['--var', 'd=soon']), 2);
  assert.is(
    await runOf('after-changes', [
      { id: 'fence', type: 'fence', host: 'fake1', pollInterval: '50ms' },
      { id: 'w', type: 'wait', duration: '${steps.fence.powerState}' },
    ]),
    1,
  );
  // host h is held by another live run on this machine
  await mkdir(join(dir, 'state', 'locks'), { recursive: true });
  await writeFile(
    join(dir, 'state', 'locks', 'h.lock'),
    JSON.stringify({ runId: 'other-run', pid: process.pid, machine: hostname(), since: new Date().toISOString() }),
  );
  assert.is(await runOf('refused', [{ id: 'fence', type: 'fence', host: 'h' }]), 3);
  assert.is(await runOf('stopped', [{ id: 'w', type: 'wait', duration: '30s' }], [], 300), 130);
  assert.is(await runOf('dry', [{ id: 'x', type: 'command', command: ['false'] }], ['--dry-run']), 0);
  assert.is(
    await runOf('dry-invalid', [{ id: 'w', type: 'wait', duration: '${params.d}' }], ['--var', 'd=soon', '--dry-run']),
    2,
  );

  const listed = await cliIn(dir, ['runs', '--state-dir', join(dir, 'state')]);
  assert.is(listed.code, 0);
  const row = (runbook: string): string =>
    listed.out.split('\n').find((line) => line.split(/ {2,}/)[1] === runbook) ?? '';
  assert.match(row('ok'), /succeeded \(exit 0\)$/);
  assert.match(row('fails'), /failed \(exit 1\) \*$/);
  assert.match(row('invalid'), /invalid \(nothing done\) \(exit 2\)$/);
  assert.match(row('after-changes'), /failed after changes \(exit 1\) \*$/);
  assert.match(row('refused'), /refused \(exit 3\) \*$/);
  assert.match(row('stopped'), /interrupted \(exit 130\) \*$/);
  assert.match(row('dry'), /succeeded \(exit 0\) dry-run$/);
  assert.match(row('dry-invalid'), /invalid \(nothing done\) \(exit 2\) dry-run$/);
  assert.match(listed.out, '* can be continued: forcedown resume RUN-ID');
});

test('the end-of-run summary offers resume only for a run that can be resumed, never for a dry run', async () => {
  const file = join(dir, 'f.json');
  await writeFile(file, JSON.stringify({ name: 'f', steps: [{ id: 'fence', type: 'fence', host: 'h' }] }));
  bmc.setPower('banana'); // the BMC answers no power state: the fence is refused
  const base = ['run', file, '--inventory', 'inventory.json', '--yes', '--state-dir', join(dir, 'state')];
  const real = await cliIn(dir, base);
  assert.is(real.code, 3, real.err + real.out);
  assert.match(real.out, 'continue with: forcedown resume');
  const dry = await cliIn(dir, [...base, '--dry-run']);
  assert.is(dry.code, 3, dry.err + dry.out);
  assert.match(dry.out, 'refused (dry run: nothing was changed)');
  assert.not.match(dry.out, 'forcedown resume');
});

test.run();
