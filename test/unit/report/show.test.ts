import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildStory, formatStoryText, loadStory, type RunStory } from '../../../src/report/index.js';
import type { RunEvent } from '../../../src/runner/index.js';
import { cliIn } from '../../support/captured-output.js';

/**
 * The story of the fixture journal (a fence retried once, one server evacuated on its second
 * attempt, one refused by Nova, one skipped) and `forcedown show` in each output.
 */
const test = suite('forcedown show');
const root = join(import.meta.dirname, '../../..');
const stateDir = join(root, 'test/fixtures/journals/state');
const RUN_ID = '20261125T114710Z-host-failure-3f9a1c';

test('the story: steps, safety record, down, every server from -> to with attempts and seconds', async () => {
  const story: RunStory = await loadStory(stateDir, RUN_ID);
  // a forcedown 0.1 journal (summary "failed" after changes): named as `forcedown runs` names it
  assert.equal([story.status, story.exitCode, story.durationMs], ['failed-after-changes', 1, 17_950]);
  assert.equal(
    [story.changed, story.resumable, story.preflightFailed],
    [['fence', 'force-down', 'reset-failed'], true, false],
  );
  assert.equal(
    story.steps.map((s) => [s.id, s.status, s.attempts, s.durationMs, s.retries.length]),
    [
      ['fence', 'changed', 2, 3290, 1],
      ['force-down', 'changed', 1, 200, 0],
      ['evacuate', 'failed', 1, 14_080, 0],
      ['reset-failed', 'changed', 1, 280, 0],
    ],
  );
  assert.equal(story.safety, [
    {
      kind: 'fence-confirmed',
      host: 'cmp-07.example.net',
      at: '2026-11-25T11:47:13.290Z',
      driver: 'ipmi',
      target: 'ipmi://10.20.3.107:623',
      stepId: 'fence',
    },
  ]);
  assert.is(story.downAt, '2026-11-25T11:47:13.520Z');
  assert.equal(
    story.servers.map((s) => [s.name, s.result, s.fromHost, s.toHost, s.attempts, s.seconds, s.failedAttempts.length]),
    [
      ['web-1', 'evacuated', 'cmp-07.example.net', 'cmp-08.example.net', 1, 6.2, 0],
      ['web-2', 'evacuated', 'cmp-07.example.net', 'cmp-09.example.net', 2, 13.99, 1],
      ['db-1 <primary>', 'failed', 'cmp-07.example.net', undefined, 1, 0.28, 0],
      ['scratch', 'skipped', 'cmp-07.example.net', undefined, 0, undefined, 0],
    ],
  );
});

test('show: text, json, markdown and junit', async () => {
  const text = await cliIn(root, ['show', RUN_ID, '--state-dir', stateDir]);
  assert.is(text.code, 0, text.err);
  assert.match(text.out, 'failed after changes (exit 1) in 17.9 s');
  assert.match(text.out, 'changed before the run stopped: fence, force-down, reset-failed');
  assert.match(text.out, 'read back off at 2026-11-25T11:47:13.290Z from its BMC ipmi://10.20.3.107:623 (ipmi)');
  assert.match(text.out, /web-2\s+evacuated\s+cmp-07\.example\.net\s+cmp-09\.example\.net\s+2\s+14\.0/);
  assert.match(text.out, `continue with: forcedown resume ${RUN_ID}`);

  const json = await cliIn(root, ['show', RUN_ID, '--state-dir', stateDir, '--output', 'json']);
  assert.is((JSON.parse(json.out) as RunStory).servers.length, 4);

  const md = await cliIn(root, ['show', RUN_ID, '--state-dir', stateDir, '--output', 'markdown']);
  assert.match(md.out, /^### ❌ forcedown host-failure on cmp-07\.example\.net: failed after changes \(exit 1\)/);
  assert.match(md.out, '| db-1 \\<primary\\> (`0b6d1f0e-3333-4c1a-9a55-000000000003`) | ❌ failed |');

  const junit = await cliIn(root, ['show', RUN_ID, '--state-dir', stateDir, '--output', 'junit']);
  assert.match(junit.out, '<testsuites name="forcedown" tests="8" failures="2"');
  assert.match(junit.out, 'name="db-1 &lt;primary&gt; (0b6d1f0e-3333-4c1a-9a55-000000000003)"');
  assert.match(junit.out, '<skipped message="not tagged evacuable" />');
});

test('show: an unknown run and a bad --output are input errors (exit 2)', async () => {
  const unknown = await cliIn(root, ['show', '20991231T000000Z-x-000000', '--state-dir', stateDir]);
  assert.is(unknown.code, 2);
  assert.match(unknown.err, 'no run 20991231T000000Z-x-000000');
  const bad = await cliIn(root, ['show', RUN_ID, '--state-dir', stateDir, '--output', 'yaml']);
  assert.is(bad.code, 2);
  assert.match(bad.err, '--output must be text, json, markdown, junit');
  const noHtml = await cliIn(root, ['report', RUN_ID, '--state-dir', stateDir]);
  assert.is(noHtml.code, 2);
  assert.match(noHtml.err, '--html FILE is required');
});

test('report --html -: one page on stdout, no scripts, no external references', async () => {
  const page = await cliIn(root, ['report', RUN_ID, '--state-dir', stateDir, '--html', '-']);
  assert.is(page.code, 0, page.err);
  assert.match(page.out, /^<!DOCTYPE html>/);
  assert.not.match(page.out, /<script|<link|src=|@import|url\(/);
  assert.match(page.out, "default-src 'none'");
  assert.match(page.out, 'db-1 &lt;primary&gt;');
});

test('an interrupted run with an asserted fence: incomplete, the assertion in the safety record, a server in flight', () => {
  const base = { v: 1, runId: '20261125T120000Z-evacuate-only-abcdef' };
  let seq = 0;
  const at = (s: number): Pick<RunEvent, 'v' | 'seq' | 'ts' | 'runId'> => ({
    ...base,
    seq: ++seq,
    ts: new Date(Date.UTC(2026, 10, 25, 12, 0, s)).toISOString(),
  });
  const events = [
    {
      ...at(0),
      event: 'run.started',
      runbook: { name: 'evacuate-only', file: 'runbooks/evacuate-only.json', sha256: 'x', text: '{}' },
      params: { host: 'cmp-09' },
      secretParams: [],
      options: { dryRun: false, assumeFenced: 'PDU port 12 off, J. Doe, INC-9' },
      hosts: ['cmp-09'],
      machine: 'ops-2',
      pid: 1,
      forcedownVersion: '0.1.0',
    },
    { ...at(0), event: 'safety.assumed-fenced', host: 'cmp-09', reason: 'PDU port 12 off, J. Doe, INC-9' },
    { ...at(1), event: 'step.started', stepId: 'evacuate', type: 'evacuate', title: 'evacuate', attempt: 1 },
    {
      ...at(2),
      event: 'step.progress',
      stepId: 'evacuate',
      kind: 'evacuation.requested',
      data: { serverId: 's-1', name: 'vm-1', at: new Date(Date.UTC(2026, 10, 25, 12, 0, 2)).toISOString(), attempt: 1 },
    },
  ] as RunEvent[];
  const story = buildStory({ path: '/state/runs/x.jsonl', events, truncatedTail: true });
  assert.is(story.status, 'incomplete');
  assert.equal(story.safety, [
    {
      kind: 'assumed-fenced',
      host: 'cmp-09',
      at: '2026-11-25T12:00:00.000Z',
      reason: 'PDU port 12 off, J. Doe, INC-9',
    },
  ]);
  assert.equal(
    story.steps.map((s) => [s.id, s.status]),
    [['evacuate', 'running']],
  );
  assert.equal(
    story.servers.map((s) => [s.name, s.result, s.attempts]),
    [['vm-1', 'in-flight', 1]],
  );
  const text = formatStoryText(story);
  assert.match(
    text,
    'cmp-09 NOT read back: fence asserted by the operator at 2026-11-25T12:00:00.000Z: "PDU port 12 off, J. Doe, INC-9"',
  );
  assert.match(text, 'the journal ends in a cut-off line');
  assert.match(text, 'continue with: forcedown resume 20261125T120000Z-evacuate-only-abcdef');
});

test.run();
