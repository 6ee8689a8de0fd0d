import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRunbookText } from '../../../src/runbook/index.js';

/**
 * The corpus of broken runbooks: each file's exact problems (JSON pointer, line, message).
 * Every file must be listed here, and every problem must be exactly as written.
 */
const dir = join(import.meta.dirname, '../../fixtures/runbooks/invalid');

const expected: Record<string, [pointer: string, line: number, message: string][]> = {
  '01-not-json.json': [['', 1, 'not valid JSON: trailing comma before ]']],
  '02-empty.json': [['', 1, 'not valid JSON: the file is empty; expected a JSON object']],
  '03-duplicate-key.json': [
    ['', 3, 'not valid JSON: duplicate key "name" (JSON would silently keep only the last one)'],
  ],
  '04-missing-steps.json': [['', 1, 'missing required property "steps"']],
  '05-unknown-top-level.json': [
    [
      '/stpes',
      3,
      'unknown property "stpes" (did you mean "steps"?); allowed: name, description, params, env, inventory, coordination, steps',
    ],
  ],
  '06-bad-name.json': [['/name', 2, 'must be lower-case letters, digits and dashes (at most 63), not "Host Failure"']],
  '07-unknown-step-type.json': [
    [
      '/steps/0/type',
      4,
      'unknown step type "fense" (did you mean "fence"?); expected one of fence, power-on, force-down, clear-force-down, disable, enable, wait-service, evacuate, reset-state, approve, notify, command, wait',
    ],
  ],
  '08-missing-host.json': [['/steps/0', 4, 'missing required property "host"']],
  '09-unknown-step-field.json': [
    [
      '/steps/0/concurency',
      4,
      'unknown property "concurency" (did you mean "concurrency"?); allowed: type, host, concurrency, targetHost, onlyTagged, skipNamePattern, skipError, resetNonEvacuable, serverTimeout, serverRetries, lockServers, lateRequestGrace, pollInterval, id, title, description, when, retries, retryDelay, timeout, continueOnError',
    ],
  ],
  '10-bad-concurrency.json': [
    ['/steps/0/concurrency', 4, 'must be an integer from 1 to 100 or a reference such as ${params.name}, not number 0'],
  ],
  '11-bad-duration.json': [
    [
      '/steps/0/duration',
      4,
      'must be a duration such as 500ms, 30s, 5m or 1h or a reference such as ${params.name}, not the string "5 minutes"',
    ],
  ],
  '12-duplicate-step-id.json': [['/steps/1/id', 5, 'duplicate step id "w" (also step 1); step ids must be unique']],
  '13-undefined-param.json': [
    [
      '/steps/0/host',
      5,
      '${params.hots} refers to an undefined parameter "hots" (did you mean "host"?); declare it under "params"',
    ],
  ],
  '14-later-step-output.json': [
    [
      '/steps/0/only',
      4,
      '${steps.evacuate.failed} refers to a later step (step 2, "evacuate"); a step can only use outputs of steps before it',
    ],
  ],
  '15-unknown-output.json': [
    [
      '/steps/1/only',
      5,
      '${steps.evacuate.failures}: an evacuate step has no output "failures"; its outputs are evacuated, failed, skipped, results, total, concurrency',
    ],
  ],
  '16-unknown-step-ref.json': [['/steps/0/command/1', 4, '${steps.nosuch.stdout} refers to an unknown step "nosuch"']],
  '17-expression.json': [
    [
      '/steps/0/command/1',
      5,
      '${params.n + 1} is not a reference: references only name data (no expressions, operators or spaces); expected ${params.NAME}',
    ],
  ],
  '18-env-not-declared.json': [
    ['/steps/0/url', 4, '${env.WEBHOOK_URL}: add "WEBHOOK_URL" to the runbook\'s "env" list to allow reading it'],
  ],
  '19-bad-param-type.json': [
    ['/params/host/type', 3, 'must be one of "string", "integer", "number", "boolean", not "hostname"'],
  ],
  '20-param-default-mismatch.json': [['/params/concurrency/default', 3, 'default must be an integer, not "ten"']],
  '21-bad-when.json': [['/steps/1/when/equals', 5, 'must have at least 2 items']],
  '22-stepstatus-later.json': [
    ['/steps/0/when/stepStatus/step', 4, 'stepStatus refers to a later step; only earlier steps have a status'],
  ],
  '23-bad-regex.json': [['/steps/0/skipNamePattern', 4, 'invalid regular expression: Unterminated character class']],
  '24-reset-without-target.json': [['/steps/0', 4, 'needs "host" or "only"']],
  '25-bad-reset-state.json': [['/steps/0/state', 4, 'must be one of "error", "active", not "stopped"']],
  '26-missing-id.json': [['/steps/0', 4, 'missing required property "id"']],
  '27-unclosed-reference.json': [['/steps/0/host', 5, 'unclosed reference "${params.host" (missing "}")']],
  '28-self-reference.json': [
    [
      '/steps/0/command/1',
      4,
      '${steps.a.stdout} refers to this step itself; a step can only use outputs of steps before it',
    ],
  ],
  '29-steps-empty.json': [['/steps', 3, 'must have at least 1 item']],
  '30-single-quotes.json': [['', 2, "not valid JSON: unexpected '''; expected a \"quoted\" property name"]],
};

test('the corpus has at least 20 broken runbooks, all listed', async () => {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 20, `only ${files.length} files`);
  assert.equal(files, Object.keys(expected).sort());
});

for (const [file, problems] of Object.entries(expected)) {
  test(`${file}: exact problems`, async () => {
    const text = await readFile(join(dir, file), 'utf8');
    const check = checkRunbookText(text, file);
    assert.not.ok(check.ok, 'must be invalid');
    if (check.ok) return;
    assert.equal(
      check.problems.map((p) => [p.pointer, p.position?.line, p.message]),
      problems,
    );
    for (const problem of check.problems) assert.is(problem.file, file);
  });
}

test('all problems of a file are reported at once', () => {
  const text = JSON.stringify({
    name: 'Bad Name',
    extra: 1,
    steps: [
      { id: 'a', type: 'wait', duration: 'soon' },
      { id: 'a', type: 'evacuate', host: 'h', concurrency: 500 },
    ],
  });
  const check = checkRunbookText(text, 'x.json');
  assert.not.ok(check.ok);
  if (check.ok) return;
  // schema problems first (semantic checks need a schema-valid document)
  assert.equal(check.problems.map((p) => p.pointer).sort(), [
    '/extra',
    '/name',
    '/steps/0/duration',
    '/steps/1/concurrency',
  ]);
});

test.run();
