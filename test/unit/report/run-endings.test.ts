import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadStory, renderStoryHtml } from '../../../src/report/index.js';
import { cliIn } from '../../support/captured-output.js';
import { commandBmc, type CommandBmc } from '../../support/command-bmc.js';

/**
 * The story of journals the runner writes today (not hand-made fixtures): a run pre-flight
 * stopped (nothing done; several problems listed once each) and a run that failed after it had
 * changed something (what changed, resumable), with a step's `step.output` line. Each through
 * `forcedown run` in-process with a real `command` BMC program, then `forcedown show`.
 */
const test = suite('story of run endings');
let dir = '';
let bmc: CommandBmc;

test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-endings-'));
  bmc = commandBmc(dir, ['fake1']);
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

function writeRunbook(steps: unknown[], params: Record<string, unknown> = {}): string {
  const file = join(dir, 'runbook.json');
  writeFileSync(file, JSON.stringify({ name: 'endings', params, steps }));
  return file;
}

/** Runs the runbook unattended and returns its run id. */
async function runOf(runbook: string, ...more: string[]): Promise<{ runId: string; code: number }> {
  const args = ['run', runbook, '--inventory', bmc.inventory, '--yes', '--state-dir', join(dir, 'state')];
  const result = await cliIn(dir, [...args, ...more, '--output', 'json']);
  const first = JSON.parse(result.out.split('\n')[0]) as { runId: string };
  return { runId: first.runId, code: result.code };
}

const show = (runId: string, output = 'text') =>
  cliIn(dir, ['show', runId, '--state-dir', join(dir, 'state'), '--output', output]);

test('pre-flight stop: "invalid (nothing done)", each problem with its step, no resume offered', async () => {
  const runbook = writeRunbook(
    [
      { id: 'fence', type: 'fence', host: 'nowhere' },
      { id: 'settle', type: 'wait', duration: '${params.settle}' },
    ],
    { settle: { type: 'string', description: 'how long' } },
  );
  const { runId, code } = await runOf(runbook, '--var', 'settle=soon');
  assert.is(code, 2);
  assert.equal(bmc.calls(), []);
  const story = await loadStory(join(dir, 'state'), runId);
  assert.equal([story.status, story.exitCode, story.preflightFailed, story.resumable], ['invalid', 2, true, false]);
  assert.equal([story.changed, story.error?.code, story.error?.kind], [[], 'PREFLIGHT_FAILED', 'invalid-input']);
  assert.equal(story.error?.problems, [
    { stepId: 'fence', code: 'HOST_NOT_IN_INVENTORY' },
    { stepId: 'settle', code: 'RESOLVED_STEP_INVALID' },
  ]);
  assert.equal(
    story.steps.map((s) => [s.id, s.status, s.attempts]),
    [
      ['fence', 'failed', 0],
      ['settle', 'failed', 0],
    ],
  );
  const text = await show(runId);
  assert.is(text.code, 0, text.err);
  assert.match(text.out, 'invalid (nothing done) (exit 2)');
  assert.match(
    text.out,
    'pre-flight stopped the run before its first action: nothing was changed, no BMC was contacted',
  );
  assert.not.match(text.out, 'forcedown resume');
  const markdown = await show(runId, 'markdown');
  assert.match(markdown.out, '- pre-flight stopped the run before its first action');
  const junit = await show(runId, 'junit');
  assert.match(junit.out, /failures="2"/);
  assert.match(junit.out, '<property name="outcome" value="pre-flight stopped the run');
});

test('failed after changes: exit 1, what changed, step output, resume offered', async () => {
  const runbook = writeRunbook([
    { id: 'fence', type: 'fence', host: 'fake1', pollInterval: '50ms' },
    { id: 'note', type: 'command', command: ['echo', 'ticket INC-4711 updated'] },
    // known only once the fence has run: "off" is no duration
    { id: 'settle', type: 'wait', duration: '${steps.fence.powerState}' },
  ]);
  const { runId, code } = await runOf(runbook);
  assert.is(code, 1);
  const story = await loadStory(join(dir, 'state'), runId);
  assert.equal(
    [story.status, story.exitCode, story.preflightFailed, story.resumable],
    ['failed-after-changes', 1, false, true],
  );
  assert.ok(story.changed.includes('fence'), story.changed.join());
  assert.is(story.error?.kind, 'invalid-input');
  assert.equal(
    story.steps.find((s) => s.id === 'note')?.output.map((o) => o.message),
    ['ticket INC-4711 updated'],
  );
  assert.equal(
    story.safety.map((r) => [r.kind, r.host, r.driver]),
    [['fence-confirmed', 'fake1', 'command']],
  );
  const text = await show(runId);
  assert.match(text.out, 'failed after changes (exit 1)');
  assert.match(text.out, /changed before the run stopped: fence/);
  assert.match(text.out, /\nstep output:\n( {2}.*\n)* {2}note \+\d+\.\d\d s: ticket INC-4711 updated\n/);
  assert.match(text.out, `continue with: forcedown resume ${runId}`);
  const html = renderStoryHtml(story);
  assert.match(html, 'class="status-failed-after-changes"');
  assert.match(html, '<p class="outcome">changed before the run stopped: fence');
  assert.match(html, /<ul id="step-output">(<li>.*<\/li>\n)*<li>note \+[0-9.]+ s: ticket INC-4711 updated<\/li>/);
});

test.run();
