import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  JournalWriter,
  journalPath,
  listRuns,
  newRunId,
  readJournal,
  resumeStateFrom,
} from '../../../src/runner/index.js';
import { secrets } from '../../../src/secrets/index.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

let dir = '';
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-journal-'));
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
  secrets.clear();
});

const started = (runbookName = 'demo') => ({
  event: 'run.started' as const,
  runbook: { name: runbookName, file: 'x.json', sha256: 'abc', text: '{}' },
  params: { host: 'fake1' },
  secretParams: [],
  options: { dryRun: false },
  hosts: ['fake1'],
  machine: 'm',
  pid: 1,
  forcedownVersion: '0.0.0',
});

test('events are stamped, numbered, redacted and durable; files are 0600 in a 0700 dir', async () => {
  secrets.add('hunter2-secret');
  const runId = newRunId('demo');
  const journal = await JournalWriter.open(dir, runId);
  const seen: number[] = [];
  journal.onEvent((e) => seen.push(e.seq));
  await journal.append(started());
  await journal.append({ event: 'step.output', stepId: 's', message: 'password is hunter2-secret' });
  await journal.close();
  const text = await readFile(journalPath(dir, runId), 'utf8');
  assert.not.match(text, 'hunter2-secret');
  assert.equal(seen, [1, 2]);
  assert.is((await stat(journalPath(dir, runId))).mode & 0o777, 0o600);
  assert.is((await stat(join(dir, 'runs'))).mode & 0o777, 0o700);
  const back = await readJournal(dir, runId);
  assert.is(back.events.length, 2);
  assert.is(back.events[1].event, 'step.output');
  assert.not.ok(back.truncatedTail);
});

test('a line cut off by a crash is ignored, and sequence numbers continue after resume', async () => {
  const runId = newRunId('demo');
  const journal = await JournalWriter.open(dir, runId);
  await journal.append(started());
  await journal.append({ event: 'step.started', stepId: 'a', type: 'wait', title: 'a', attempt: 1 });
  await journal.close();
  await appendFile(journalPath(dir, runId), '{"v":1,"seq":3,"ev');
  const back = await readJournal(dir, runId);
  assert.ok(back.truncatedTail);
  const state = resumeStateFrom(back.events);
  assert.ok(state);
  assert.is(state.nextSeq, 3);
  assert.is(state.interruptedStep, 'a');
});

test('resume state: finished steps, failed ones are not done, fences are remembered', async () => {
  const runId = newRunId('demo');
  const journal = await JournalWriter.open(dir, runId);
  await journal.append(started());
  await journal.append({ event: 'step.started', stepId: 'fence', type: 'fence', title: 'f', attempt: 1 });
  await journal.append({
    event: 'safety.fence-confirmed',
    host: 'fake1',
    data: { driver: 'ipmi', target: 'ipmi admin@x', confirmedAt: '2026-01-01T00:00:00Z', stepId: 'fence' },
  });
  await journal.append({
    event: 'step.finished',
    stepId: 'fence',
    type: 'fence',
    status: 'changed',
    summary: 'off',
    outputs: { powerState: 'off' },
    durationMs: 1,
    attempts: 1,
    dryRun: false,
  });
  await journal.append({ event: 'step.started', stepId: 'down', type: 'force-down', title: 'd', attempt: 1 });
  await journal.append({
    event: 'step.finished',
    stepId: 'down',
    type: 'force-down',
    status: 'failed',
    summary: 'x',
    outputs: {},
    durationMs: 1,
    attempts: 1,
    dryRun: false,
  });
  await journal.close();
  const state = resumeStateFrom((await readJournal(dir, runId)).events)!;
  assert.equal([...state.finished.keys()], ['fence']);
  assert.is(state.interruptedStep, undefined);
  assert.is(state.fences[0].host, 'fake1');
  assert.is(state.fences[0].driver, 'ipmi');
});

test('unknown and malformed run ids are input errors (no path traversal)', async () => {
  for (const bad of ['../../etc/passwd', 'nope', '20261125T000000Z-x-zzzzzz']) {
    try {
      await readJournal(dir, bad);
      assert.unreachable();
    } catch (error) {
      assert.is(exitCodeOf(error), 2, bad);
    }
  }
});

test('listRuns shows newest first with status, incomplete when unfinished', async () => {
  const a = newRunId('first', new Date('2026-01-01T00:00:00Z'));
  const b = newRunId('second', new Date('2026-01-02T00:00:00Z'));
  const ja = await JournalWriter.open(dir, a);
  await ja.append(started('first'));
  await ja.append({
    event: 'run.finished',
    summary: {
      status: 'succeeded',
      exitCode: 0,
      steps: { changed: 0, unchanged: 0, skipped: 0, failed: 0, 'not-run': 0 },
      stepResults: [],
      servers: [],
      durationMs: 1,
      dryRun: false,
    },
  });
  await ja.close();
  const jb = await JournalWriter.open(dir, b);
  await jb.append(started('second'));
  await jb.close();
  const runs = await listRuns(dir);
  assert.equal(
    runs.map((r) => [r.runbook, r.status, r.exitCode]),
    [
      ['second', 'incomplete', undefined],
      ['first', 'succeeded', 0],
    ],
  );
  assert.equal(await listRuns(join(dir, 'nothing-here')), []);
});

test('a journal of forcedown 0.1 that powered a host off and ended "invalid" is listed as failed after changes, resumable', async () => {
  const runId = newRunId('old', new Date('2026-01-03T00:00:00Z'));
  // written as 0.1 wrote them: error with exitCode and details, no kind, no summary.changed
  const lines = [
    { v: 1, seq: 1, ts: '2026-01-03T00:00:00.000Z', runId, ...started('old') },
    {
      v: 1,
      seq: 2,
      ts: '2026-01-03T00:00:01.000Z',
      runId,
      event: 'step.finished',
      stepId: 'fence',
      type: 'fence',
      status: 'changed',
      summary: 'fake1 powered off',
      outputs: {},
      durationMs: 1,
      attempts: 1,
      dryRun: false,
    },
    {
      v: 1,
      seq: 3,
      ts: '2026-01-03T00:00:02.000Z',
      runId,
      event: 'step.finished',
      stepId: 'settle',
      type: 'wait',
      status: 'failed',
      summary: 'bad',
      outputs: {},
      durationMs: 0,
      attempts: 0,
      dryRun: false,
      error: { code: 'RESOLVED_STEP_INVALID', message: 'bad', hint: 'fix', exitCode: 2, details: {} },
    },
    {
      v: 1,
      seq: 4,
      ts: '2026-01-03T00:00:03.000Z',
      runId,
      event: 'run.finished',
      summary: {
        status: 'invalid',
        exitCode: 2,
        steps: { changed: 1, unchanged: 0, skipped: 0, failed: 1, 'not-run': 0 },
        stepResults: [],
        servers: [],
        durationMs: 3,
        dryRun: false,
        error: { code: 'RESOLVED_STEP_INVALID', message: 'bad', hint: 'fix', exitCode: 2, details: {} },
      },
    },
  ];
  await JournalWriter.open(dir, runId).then((j) => j.close());
  await appendFile(journalPath(dir, runId), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const [listed] = await listRuns(dir);
  assert.equal(
    [listed.status, listed.exitCode, listed.changed, listed.resumable],
    ['failed-after-changes', 2, ['fence'], true],
  );
  // the resume code still reads it
  const state = resumeStateFrom((await readJournal(dir, runId)).events)!;
  assert.equal([...state.finished.keys()], ['fence']);
});

test.run();
