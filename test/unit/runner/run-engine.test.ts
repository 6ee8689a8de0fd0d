import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { StepFinishedEvent } from '../../../src/runner/index.js';
import { cleanup, runRunbook } from '../../support/run-harness.js';

let dir = '';
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-engine-'));
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

const finished = (events: readonly { event: string }[]): StepFinishedEvent[] =>
  events.filter((e): e is StepFinishedEvent => e.event === 'step.finished');

test('steps run in order; outputs feed later steps; when:false skips; exit 0', async () => {
  const run = await runRunbook(
    {
      name: 'ok',
      params: { who: { type: 'string', description: 'x' } },
      steps: [
        { id: 'hello', type: 'command', command: ['echo', 'hello ${params.who}'] },
        { id: 'echo', type: 'command', command: ['echo', 'got ${steps.hello.stdout} in ${run.runbook}'] },
        { id: 'never', type: 'command', command: ['false'], when: { equals: ['${steps.hello.stdout}', 'nope'] } },
      ],
    },
    { params: { who: 'world' } },
  );
  assert.is(run.exitCode, 0);
  assert.equal(
    finished(run.events).map((e) => [e.stepId, e.status]),
    [
      ['hello', 'changed'],
      ['echo', 'changed'],
      ['never', 'skipped'],
    ],
  );
  assert.is(finished(run.events)[1].outputs.stdout, 'got hello world in ok');
  assert.is(run.events[0].event, 'run.started');
  assert.is(run.events.at(-1)!.event, 'run.finished');
  assert.equal(run.summary.steps, { changed: 2, unchanged: 0, skipped: 1, failed: 0, 'not-run': 0 });
  await cleanup(run);
});

test('a failing step stops the run (exit 1); later steps are not run', async () => {
  const run = await runRunbook({
    name: 'fail',
    steps: [
      { id: 'boom', type: 'command', command: ['sh', '-c', 'exit 7'] },
      { id: 'after', type: 'command', command: ['true'] },
    ],
  });
  assert.is(run.exitCode, 1);
  assert.equal(
    run.summary.stepResults.map((s) => s.status),
    ['failed', 'not-run'],
  );
  assert.is(finished(run.events)[0].error?.code, 'EXEC_FAILED');
  assert.is(run.summary.status, 'failed');
  await cleanup(run);
});

test('continueOnError: the run goes on and still exits 1', async () => {
  const run = await runRunbook({
    name: 'soft',
    steps: [
      { id: 'boom', type: 'command', command: ['false'], continueOnError: true },
      { id: 'after', type: 'command', command: ['true'] },
    ],
  });
  assert.is(run.exitCode, 1);
  assert.equal(
    run.summary.stepResults.map((s) => s.status),
    ['failed', 'changed'],
  );
  await cleanup(run);
});

test('retries with delay: a step that fails once then succeeds is changed after 2 attempts', async () => {
  const marker = join(dir, 'marker');
  const run = await runRunbook({
    name: 'retry',
    steps: [
      {
        id: 'flaky',
        type: 'command',
        command: ['sh', '-c', `if [ -e ${marker} ]; then echo second; else touch ${marker}; exit 1; fi`],
        retries: 2,
        retryDelay: '50ms',
      },
    ],
  });
  assert.is(run.exitCode, 0);
  const retrying = run.events.filter((e) => e.event === 'step.retrying');
  assert.is(retrying.length, 1);
  assert.is(finished(run.events)[0].attempts, 2);
  assert.is(run.events.filter((e) => e.event === 'step.started').length, 2);
  await cleanup(run);
});

test('retries are exhausted, then the step fails', async () => {
  const run = await runRunbook({
    name: 'retry',
    steps: [{ id: 'never', type: 'command', command: ['false'], retries: 2, retryDelay: '10ms' }],
  });
  assert.is(run.exitCode, 1);
  assert.is(finished(run.events)[0].attempts, 3);
  await cleanup(run);
});

test('a per-step timeout stops a hung step', async () => {
  const run = await runRunbook({
    name: 'slow',
    steps: [{ id: 'hang', type: 'command', command: ['sleep', '30'], timeout: '300ms' }],
  });
  assert.is(run.exitCode, 1);
  assert.ok(
    ['STEP_TIMEOUT', 'EXEC_CANCELED', 'EXEC_TIMEOUT'].includes(finished(run.events)[0].error!.code),
    finished(run.events)[0].error!.code,
  );
  await cleanup(run);
});

test('cancellation (Ctrl+C) ends the run with exit 130 and a consistent journal', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(Object.assign(new Error('SIGINT'), { name: 'AbortError' })), 300);
  const run = await runRunbook(
    {
      name: 'stop',
      steps: [
        { id: 'w', type: 'wait', duration: '30s' },
        { id: 'after', type: 'command', command: ['true'] },
      ],
    },
    { signal: controller.signal },
  );
  assert.is(run.exitCode, 130);
  assert.is(run.summary.status, 'interrupted');
  assert.equal(
    run.summary.stepResults.map((s) => s.status),
    ['failed', 'not-run'],
  );
  const journal = (await readFile(run.journalPath, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { event: string });
  assert.is(journal.at(-1)!.event, 'run.finished');
  await cleanup(run);
});

test('a check that exits 0 makes the step unchanged (idempotency)', async () => {
  const run = await runRunbook({
    name: 'idem',
    steps: [{ id: 'done', type: 'command', check: ['true'], command: ['false'] }],
  });
  assert.is(run.exitCode, 0);
  assert.is(finished(run.events)[0].status, 'unchanged');
  await cleanup(run);
});

test('dry-run changes nothing and reports what would change', async () => {
  const target = join(dir, 'created');
  const run = await runRunbook(
    { name: 'dry', steps: [{ id: 'make', type: 'command', command: ['touch', target] }] },
    { run: { dryRun: true } },
  );
  assert.is(run.exitCode, 0);
  assert.not.ok(existsSync(target));
  const fin = finished(run.events)[0];
  assert.is(fin.status, 'changed');
  assert.ok(fin.dryRun);
  assert.match(fin.summary, 'would run');
  await cleanup(run);
});

test('a reference that resolves to an invalid value is an input error (exit 2) at that step', async () => {
  const run = await runRunbook(
    {
      name: 'bad',
      params: { d: { type: 'string', description: 'duration' } },
      steps: [{ id: 'w', type: 'wait', duration: '${params.d}' }],
    },
    { params: { d: 'soon' } },
  );
  assert.is(run.exitCode, 2);
  assert.match(finished(run.events)[0].error!.message, 'after interpolation');
  await cleanup(run);
});

test('events never carry registered secrets', async () => {
  const { secrets } = await import('../../../src/secrets/index.js');
  secrets.add('pa55-in-output');
  const run = await runRunbook({
    name: 'leak',
    steps: [{ id: 'say', type: 'command', command: ['sh', '-c', 'echo pa55-in-output'] }],
  });
  const text = JSON.stringify(run.events) + (await readFile(run.journalPath, 'utf8'));
  assert.not.match(text, 'pa55-in-output');
  secrets.clear();
  await cleanup(run);
});

test.run();
