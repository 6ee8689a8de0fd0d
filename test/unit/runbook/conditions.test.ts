import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConditionError, evaluateCondition, type Scope, type StepStatus } from '../../../src/runbook/index.js';
import type { Condition } from '../../../src/generated/runbook.types.js';

const scope: Scope = {
  params: { mode: 'full', evac: true, text: 'true' },
  steps: { evacuate: { failed: ['x'], evacuated: [] } },
  run: { id: 'R', startedAt: '', dryRun: false, runbook: 'r' },
  env: {},
  allowedEnv: new Set(),
};
const statuses = new Map<string, StepStatus>([
  ['evacuate', 'changed'],
  ['fence', 'unchanged'],
]);
const is = (c: Condition): boolean => evaluateCondition(c, scope, statuses);

test('literals and boolean references', () => {
  assert.ok(is(true));
  assert.not.ok(is(false));
  assert.ok(is('${params.evac}'));
  assert.ok(is('${params.text}'));
});

test('operators compare data structurally', () => {
  assert.ok(is({ equals: ['${params.mode}', 'full'] }));
  assert.ok(is({ notEquals: ['${params.mode}', 'lite'] }));
  assert.ok(is({ in: ['${params.mode}', ['full', 'lite']] }));
  assert.ok(is({ notEmpty: '${steps.evacuate.failed}' }));
  assert.ok(is({ empty: '${steps.evacuate.evacuated}' }));
  assert.ok(is({ not: { empty: '${steps.evacuate.failed}' } }));
  assert.ok(is({ all: [true, { equals: [1, 1] }] }));
  assert.not.ok(is({ any: [false, { equals: [1, 2] }] }));
  assert.ok(is({ stepStatus: { step: 'evacuate', in: ['changed', 'failed'] } }));
  assert.not.ok(is({ stepStatus: { step: 'fence', in: ['changed'] } }));
  assert.not.ok(is({ stepStatus: { step: 'never-ran', in: ['changed'] } }));
});

test('a non-boolean reference is an error, not a truthiness guess', () => {
  assert.throws(
    () => is('${params.mode}'),
    (e: unknown) => e instanceof ConditionError && /not true or false/.test(e.message),
  );
});

test.run();
