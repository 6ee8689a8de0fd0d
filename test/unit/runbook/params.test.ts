import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isForcedownError } from '../../../src/errors/index.js';
import type { Runbook } from '../../../src/generated/runbook.types.js';
import { bindParams, parseVars } from '../../../src/runbook/index.js';
import { secrets } from '../../../src/secrets/index.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

const runbook: Runbook = {
  name: 'p',
  params: {
    host: { type: 'string', description: 'compute host', pattern: '[a-z0-9-]+' },
    concurrency: { type: 'integer', description: 'parallel', default: 10, minimum: 1, maximum: 100 },
    dry: { type: 'boolean', description: 'flag', default: false },
    mode: { type: 'string', description: 'mode', enum: ['full', 'lite'], default: 'full' },
    token: { type: 'string', description: 'a secret', secret: true, default: 'x' },
  },
  steps: [{ id: 'w', type: 'wait', duration: '1s' }],
};

test('parseVars splits at the first = and rejects malformed or repeated ones', () => {
  assert.equal(parseVars(['a=b=c', 'x=']), { a: 'b=c', x: '' });
  assert.throws(() => parseVars(['novalue']), /not KEY=VALUE/);
  assert.throws(() => parseVars(['=v']), /not KEY=VALUE/);
  assert.throws(() => parseVars(['a=1', 'a=2']), /given twice/);
});

test('values are converted to the declared types, defaults applied', () => {
  assert.equal(bindParams(runbook, { host: 'cmp-07', concurrency: '5', dry: 'yes' }), {
    host: 'cmp-07',
    concurrency: 5,
    dry: true,
    mode: 'full',
    token: 'x',
  });
});

test('every problem is reported at once, exit 2', () => {
  try {
    bindParams(runbook, { hots: 'x', concurrency: '0', dry: 'maybe', mode: 'heavy' });
    assert.unreachable();
  } catch (error) {
    assert.ok(isForcedownError(error));
    assert.is(exitCodeOf(error), 2);
    const problems = error.data.problems as string[];
    assert.equal(problems, [
      'unknown parameter "hots" (did you mean "host"?); this runbook takes host, concurrency, dry, mode, token',
      'missing --var host=... (compute host)',
      '--var concurrency must be >= 1, not 0',
      '--var dry=maybe: not a boolean',
      '--var mode must be one of "full", "lite", not "heavy"',
    ]);
  }
});

test('pattern must match the whole value; values cannot be templates', () => {
  assert.throws(() => bindParams(runbook, { host: 'CMP 07' }), /must match/);
  assert.throws(() => bindParams(runbook, { host: 'a-${params.x}' }), /must match|must not contain/);
});

test('secret params are registered with the secret registry and never echoed', () => {
  secrets.clear();
  bindParams(runbook, { host: 'h', token: 'super-secret-token' });
  assert.ok(secrets.contains('xx super-secret-token xx'));
  secrets.clear();
});

test.run();
