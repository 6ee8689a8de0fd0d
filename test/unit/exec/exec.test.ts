import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExecError, run, spawnHistory } from '../../../src/exec/index.js';
import { secrets } from '../../../src/secrets/index.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

const fixtures = join(import.meta.dirname, '../../fixtures/bin');
const echo = join(fixtures, 'echo-env.mjs');
const forever = join(fixtures, 'sleep-forever.mjs');

test('runs a program without a shell and returns its output', async () => {
  const result = await run(echo, ['a b', '$HOME', ';', 'ls'], {
    env: { SHOW_VAR: 'X', X: 'hello' },
    input: 'from-stdin',
  });
  assert.is(result.exitCode, 0);
  assert.match(result.stdout, 'args=a b $HOME ; ls');
  assert.match(result.stdout, 'env=hello');
  assert.match(result.stdout, 'stdin=from-stdin');
  assert.is(result.dryRun, false);
});

test('secrets passed through env and stdin are redacted from output and errors', async () => {
  const secret = 'bmc-Pa55word';
  const result = await run(echo, [], { env: { SHOW_VAR: 'PW', PW: secret }, secrets: [secret], input: secret });
  assert.not.match(result.stdout + result.stderr, secret);
  assert.match(result.stdout, 'env=***');
  try {
    await run(echo, [], {
      env: { SHOW_VAR: 'PW', PW: secret, EXIT_CODE: '3' },
      secrets: [secret],
      purpose: 'power status of fake1',
    });
    assert.unreachable('should fail');
  } catch (error) {
    assert.instance(error, ExecError);
    const e = error as ExecError;
    assert.is(e.childExitCode, 3);
    assert.is(e.code, 'EXEC_FAILED');
    assert.match(e.message, 'power status of fake1');
    assert.not.match(e.message + e.stderr + e.stdout + JSON.stringify(e.toJSON()), secret);
    assert.not.match(String((e.cause as Error).message), secret);
  }
});

test('a registered secret in argv is refused before anything starts', async () => {
  secrets.add('registered-secret-1');
  const before = spawnHistory().length;
  try {
    await run(echo, ['--password', 'registered-secret-1']);
    assert.unreachable('should refuse');
  } catch (error) {
    const e = error as ExecError;
    assert.is(e.code, 'EXEC_SECRET_IN_ARGV');
    assert.is(exitCodeOf(e), 2);
    assert.not.match(e.message, 'registered-secret-1');
  } finally {
    secrets.clear();
  }
  assert.is(spawnHistory().length, before, 'nothing spawned');
});

test('per-call secrets in argv are refused too', async () => {
  try {
    await run(echo, ['pw=local-secret-9'], { secrets: ['local-secret-9'] });
    assert.unreachable('should refuse');
  } catch (error) {
    assert.is((error as ExecError).code, 'EXEC_SECRET_IN_ARGV');
  }
});

test('non-zero exit resolves when allowed', async () => {
  const result = await run(echo, [], { env: { EXIT_CODE: '5' }, allowNonZeroExit: true });
  assert.is(result.exitCode, 5);
});

test('timeout kills the child and says so', async () => {
  const started = Date.now();
  try {
    await run(forever, [], { timeoutMs: 300, purpose: 'a slow BMC' });
    assert.unreachable('should time out');
  } catch (error) {
    const e = error as ExecError;
    assert.ok(e.timedOut);
    assert.is(e.code, 'EXEC_TIMEOUT');
    assert.match(e.message, 'a slow BMC');
  }
  assert.ok(Date.now() - started < 10_000);
});

test('cancellation kills the child and maps to exit 130', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  try {
    await run(forever, [], { signal: controller.signal });
    assert.unreachable('should be cancelled');
  } catch (error) {
    const e = error as ExecError;
    assert.ok(e.isCanceled);
    assert.is(exitCodeOf(e), 130);
  }
});

test('a missing program is reported as not found', async () => {
  try {
    await run('/nonexistent/ipmitool', ['power', 'status']);
    assert.unreachable('should fail');
  } catch (error) {
    const e = error as ExecError;
    assert.ok(e.notFound);
    assert.is(e.code, 'EXEC_NOT_FOUND');
  }
});

test('dry-run starts nothing and shows the command', async () => {
  const before = spawnHistory().length;
  const result = await run(echo, ['power', 'off', 'it has spaces'], { dryRun: true });
  assert.ok(result.dryRun);
  assert.match(result.command, "power off 'it has spaces'");
  assert.is(spawnHistory().length, before);
});

test('spawn history records argv', async () => {
  await run(echo, ['recorded-arg']);
  const last = spawnHistory().at(-1);
  assert.ok(last);
  assert.equal(last.args, ['recorded-arg']);
  assert.type(last.pid, 'number');
});

test.run();
