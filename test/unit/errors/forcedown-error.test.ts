import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ForcedownError,
  invalidInput,
  isForcedownError,
  refused,
  toForcedownError,
} from '../../../src/errors/index.js';
import { ExitCode, exitCodeName, exitCodeOf } from '../../../src/cli/exit-codes.js';

test('shortcuts set the documented exit codes and reason flags', () => {
  const bad = invalidInput('RUNBOOK_INVALID', 'runbook is invalid', 'fix the file');
  assert.is(exitCodeOf(bad), ExitCode.InvalidInput);
  assert.ok(bad.isInvalidInput);
  assert.not.ok(bad.isRefused);
  const no = refused('NOT_FENCED', 'host not fenced', 'fence it first', { host: 'cmp-07' });
  assert.is(exitCodeOf(no), 3);
  assert.ok(no.isRefused);
  assert.equal(no.toJSON(), {
    code: 'NOT_FENCED',
    kind: 'refused',
    message: 'host not fenced',
    hint: 'fence it first',
    data: { host: 'cmp-07' },
  });
});

test('isForcedownError recognises the brand, not the shape', () => {
  assert.ok(isForcedownError(new ForcedownError('x', { code: 'X', hint: 'y' })));
  assert.not.ok(isForcedownError({ code: 'X', hint: 'y', kind: 'failed' }));
  assert.not.ok(isForcedownError(new Error('plain')));
});

test('toForcedownError wraps unknown errors as internal errors and aborts as interruptions', () => {
  const wrapped = toForcedownError(new TypeError('boom'));
  assert.is(wrapped.code, 'INTERNAL_ERROR');
  assert.is(exitCodeOf(wrapped), ExitCode.StepFailed);
  assert.match(wrapped.hint, /--debug/);
  const abort = new Error('aborted');
  abort.name = 'AbortError';
  assert.is(exitCodeOf(toForcedownError(abort)), ExitCode.Interrupted);
  const own = refused('A', 'b', 'c');
  assert.is(toForcedownError(own), own);
});

test('exit code names', () => {
  assert.equal([0, 1, 2, 3, 4, 10, 11, 130, 9].map(exitCodeName), [
    'ok',
    'step-failed',
    'invalid-input',
    'refused',
    'auth',
    'found-work',
    'held-back',
    'interrupted',
    'exit-9',
  ]);
});

test.run();
