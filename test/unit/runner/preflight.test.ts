import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunEvent, RunFinishedEvent, StepFinishedEvent } from '../../../src/runner/index.js';
import { cliIn } from '../../support/captured-output.js';
import { commandBmc, type CommandBmc } from '../../support/command-bmc.js';
import { doubleEnv, startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';

/**
 * Pre-flight (issue 13), through the CLI in-process: a run checks everything it needs before its
 * first action. The BMC is a real `command` driver program that logs every call it gets, and the
 * Nova/Keystone double counts every request: a run stopped by pre-flight leaves both untouched
 * (or, for a problem only Nova can tell, Keystone and Nova reads only).
 */
const test = suite('pre-flight');
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
  dir = await mkdtemp(join(tmpdir(), 'fd-preflight-'));
  bmc = commandBmc(dir, ['fake1', 'fake9']);
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bmcCalls = (): string[] => bmc.calls();
const requests = (): Record<string, number> => ({ ...double.calls });
const total = (calls: Record<string, number>): number => Object.values(calls).reduce((a, b) => a + b, 0);
const events = (out: string): RunEvent[] =>
  out
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as RunEvent);
const finishedSteps = (list: readonly RunEvent[]): StepFinishedEvent[] =>
  list.filter((e): e is StepFinishedEvent => e.event === 'step.finished');

function writeRunbook(steps: unknown[], params: Record<string, unknown> = {}): string {
  const file = join(dir, 'runbook.json');
  writeFileSync(file, JSON.stringify({ name: 'preflight', params, steps }));
  return file;
}

const runArgs = (runbook: string, ...more: string[]): string[] => [
  'run',
  runbook,
  '--inventory',
  'inventory.json',
  '--yes',
  '--state-dir',
  join(dir, 'state'),
  ...more,
];

test('no cloud configuration: exit 2 before any BMC call or request; the run is listed "invalid (nothing done)"', async () => {
  const before = requests();
  const result = await cliIn(dir, runArgs(join(root, 'runbooks/host-failure.json'), '--var', 'host=fake1'));
  assert.is(result.code, 2, result.err + result.out);
  assert.equal(bmcCalls(), [], 'the BMC was not called (no primed read either)');
  assert.equal(requests(), before, 'no Keystone or Nova request');
  assert.match(result.out, 'pre-flight stopped the run before its first action');
  assert.match(result.out, 'error: ');
  assert.not.match(result.out, 'continue with: forcedown resume', 'nothing to resume');
  const runs = await cliIn(dir, ['runs', '--state-dir', join(dir, 'state')]);
  assert.match(runs.out, 'invalid (nothing done) (exit 2)');
  assert.not.match(runs.out, 'forcedown resume');
});

test('a bad --var that only a later wait uses: exit 2 before the fence touches the BMC, each problem named', async () => {
  const runbook = writeRunbook(
    [
      { id: 'fence', type: 'fence', host: '${params.host}' },
      { id: 'settle', type: 'wait', duration: '${params.settle}' },
      { id: 'down', type: 'force-down', host: '${params.host}' },
    ],
    {
      host: { type: 'string', description: 'the host' },
      settle: { type: 'string', description: 'how long to wait after the fence' },
    },
  );
  const before = total(requests());
  const result = await cliIn(
    dir,
    runArgs(runbook, '--var', 'host=fake1', '--var', 'settle=30 seconds', '--output', 'json'),
    doubleEnv(double),
  );
  assert.is(result.code, 2, result.err + result.out);
  assert.equal(bmcCalls(), [], 'the BMC was not called');
  assert.is(total(requests()), before, 'no Keystone or Nova request: a local problem stops pre-flight before sign-in');
  const list = events(result.out);
  assert.equal(
    finishedSteps(list).map((e) => [e.stepId, e.status, e.error?.code]),
    [['settle', 'failed', 'RESOLVED_STEP_INVALID']],
  );
  assert.not.ok(
    list.some((e) => e.event === 'step.started'),
    'no step started',
  );
  const summary = (list.at(-1) as RunFinishedEvent).summary;
  assert.equal([summary.status, summary.exitCode, summary.preflightFailed], ['invalid', 2, true]);
  assert.match(summary.error!.message, '30 seconds');
});

test('a host Nova does not know: exit 2 after Keystone and Nova reads only, the BMC untouched', async () => {
  const before = requests();
  const result = await cliIn(
    dir,
    runArgs(join(root, 'runbooks/host-failure.json'), '--var', 'host=fake9', '--output', 'json'),
    doubleEnv(double),
  );
  assert.is(result.code, 2, result.err + result.out);
  assert.equal(bmcCalls(), [], 'the BMC was not called');
  const after = requests();
  const sent = Object.keys(after).filter((route) => after[route] !== (before[route] ?? 0));
  assert.ok(sent.length > 0, 'pre-flight signed in and read Nova');
  for (const route of sent) assert.ok(/^GET |^POST \/v3\/auth\/tokens/.test(route), `only reads: ${route}`);
  const problem = finishedSteps(events(result.out))[0];
  assert.equal([problem.stepId, problem.error?.kind], ['force-down', 'invalid-input']);
  assert.match(problem.error!.message, 'fake9');
});

test('an approve gate nobody can pass (unattended, no --approve): exit 3 before the fence touches the BMC', async () => {
  const runbook = writeRunbook(
    [
      { id: 'fence', type: 'fence', host: '${params.host}' },
      { id: 'ok-to-evacuate', type: 'approve', message: 'evacuate ${params.host}?' },
      {
        id: 'late',
        type: 'approve',
        message: 'only if fenced',
        when: { stepStatus: { step: 'fence', in: ['changed'] } },
      },
    ],
    { host: { type: 'string', description: 'the host' } },
  );
  const result = await cliIn(dir, runArgs(runbook, '--var', 'host=fake1', '--output', 'json'), doubleEnv(double));
  assert.is(result.code, 3, result.err + result.out);
  assert.equal(bmcCalls(), [], 'the BMC was not called');
  const list = events(result.out);
  assert.not.ok(
    list.some((e) => e.event === 'step.started'),
    'no step started',
  );
  assert.equal(
    finishedSteps(list).map((e) => [e.stepId, e.error?.code]),
    [['ok-to-evacuate', 'APPROVAL_REQUIRED']],
    'a gate whose "when" is not known yet may still be skipped: not refused in advance',
  );
  assert.match(finishedSteps(list)[0].error!.message, 'evacuate fake1?');
});

test('an approve gate passed in advance, or a dry run, passes pre-flight', async () => {
  const runbook = writeRunbook([{ id: 'gate', type: 'approve', message: 'go?' }]);
  const approved = await cliIn(dir, runArgs(runbook, '--approve', 'gate'), doubleEnv(double));
  assert.is(approved.code, 0, approved.err + approved.out);
  const all = await cliIn(dir, runArgs(runbook, '--approve', 'all'), doubleEnv(double));
  assert.is(all.code, 0, all.err + all.out);
  const dry = await cliIn(dir, runArgs(runbook, '--dry-run'), doubleEnv(double));
  assert.is(dry.code, 0, dry.err + dry.out);
  assert.match(dry.out, 'needs --approve gate');
});

test('wait-service names its host: pre-flight looks up its compute service (unknown host, exit 2, nothing waited)', async () => {
  const runbook = writeRunbook([{ id: 'up', type: 'wait-service', host: 'fake9', state: 'up', timeout: '1m' }]);
  const started = Date.now();
  const result = await cliIn(dir, runArgs(runbook, '--output', 'json'), doubleEnv(double));
  assert.is(result.code, 2, result.err + result.out);
  assert.ok(Date.now() - started < 20_000, 'it did not wait for the service');
  const list = events(result.out);
  assert.not.ok(
    list.some((e) => e.event === 'step.started'),
    'stopped in pre-flight',
  );
  assert.match(finishedSteps(list)[0].error!.message, 'fake9');
});

test('several problems at once: each once, on the first step it concerns; the summary lists them all', async () => {
  const runbook = writeRunbook(
    [
      { id: 'fence', type: 'fence', host: 'nowhere' },
      { id: 'wait', type: 'wait', duration: '${params.settle}' },
      { id: 'down', type: 'force-down', host: 'nowhere' },
      { id: 'evacuate', type: 'evacuate', host: 'nowhere' },
    ],
    { settle: { type: 'string', description: 'x' } },
  );
  const result = await cliIn(dir, runArgs(runbook, '--var', 'settle=soon', '--output', 'json'));
  assert.is(result.code, 2, result.err + result.out);
  const list = events(result.out);
  const failures = finishedSteps(list).map((e) => [e.stepId, e.error?.code]);
  assert.is(failures.length, 3, JSON.stringify(failures));
  assert.equal(failures[0], ['fence', 'HOST_NOT_IN_INVENTORY']);
  assert.equal(failures[1], ['wait', 'RESOLVED_STEP_INVALID']);
  assert.is(failures[2][0], 'down', 'the cloud configuration problem once, on the first Nova step');
  const summary = (list.at(-1) as RunFinishedEvent).summary;
  assert.is(summary.error?.code, 'PREFLIGHT_FAILED');
  assert.match(summary.error!.message, 'pre-flight found 3 problems');
  assert.equal(bmcCalls(), []);
});

test('invalid input met after a change: exit 1 "failed after changes", the change listed, resumable', async () => {
  const runbook = writeRunbook([
    { id: 'fence', type: 'fence', host: 'fake1', pollInterval: '50ms' },
    // known only once the fence has run: "off" is no duration
    { id: 'settle', type: 'wait', duration: '${steps.fence.powerState}' },
  ]);
  const result = await cliIn(dir, runArgs(runbook));
  assert.is(result.code, 1, result.err + result.out);
  assert.equal(bmcCalls(), ['fake1 status', 'fake1 off', 'fake1 status']);
  assert.match(result.out, /run \S+ failed after changes: 1 changed/);
  assert.match(result.out, 'changed before the run stopped:\n  fence: fake1 powered off');
  assert.match(result.out, 'continue with: forcedown resume');
  const runs = await cliIn(dir, ['runs', '--state-dir', join(dir, 'state'), '--output', 'json']);
  const [listed] = JSON.parse(runs.out) as {
    status: string;
    exitCode: number;
    changed: string[];
    resumable: boolean;
  }[];
  assert.equal(
    [listed.status, listed.exitCode, listed.changed, listed.resumable],
    ['failed-after-changes', 1, ['fence'], true],
  );
});

test('resume runs pre-flight too: a resume whose cloud cannot be configured does nothing, and stays resumable', async () => {
  const runbook = writeRunbook([
    { id: 'fence', type: 'fence', host: 'fake1', pollInterval: '50ms' },
    { id: 'gate', type: 'command', command: ['false'] },
    { id: 'down', type: 'force-down', host: 'fake1' },
  ]);
  const first = await cliIn(dir, runArgs(runbook, '--output', 'json'), doubleEnv(double));
  assert.is(first.code, 1, first.err);
  const runId = (events(first.out)[0] as { runId: string }).runId;
  bmc.clearCalls();
  const resumed = await cliIn(dir, ['resume', runId, '--yes', '--state-dir', join(dir, 'state')]);
  assert.is(resumed.code, 1, `invalid input after the fence's change exits 1: ${resumed.err}${resumed.out}`);
  assert.equal(bmcCalls(), [], 'not even the fence was confirmed from the BMC');
  assert.match(resumed.out, 'pre-flight stopped the run before its first action');
  assert.match(resumed.out, 'continue with: forcedown resume');
  const journal = await readFile(join(dir, 'state', 'runs', `${runId}.jsonl`), 'utf8');
  assert.match(journal, '"run.resumed"');
});

test.run();
