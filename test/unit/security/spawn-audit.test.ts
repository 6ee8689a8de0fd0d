import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isForcedownError } from '../../../src/errors/index.js';
import { SPAWN_AUDIT_ENV, run, spawnHistory } from '../../../src/exec/index.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

/**
 * FORCEDOWN_SPAWN_AUDIT=<file>: every spawn appends its argv exactly as the child gets it (so a
 * secret scan can check it), the names (never the values) of the extra environment, to a 0600
 * file; a spawn whose line cannot be written does not happen.
 */
const echo = join(import.meta.dirname, '../../fixtures/bin/echo-env.mjs');
let dir = '';
const previous = process.env[SPAWN_AUDIT_ENV];
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-audit-'));
});
test.after.each(async () => {
  if (previous === undefined) delete process.env[SPAWN_AUDIT_ENV];
  else process.env[SPAWN_AUDIT_ENV] = previous;
  await rm(dir, { recursive: true, force: true });
});

test('each spawn appends one line: argv as given, env names only, file 0600', async () => {
  const audit = join(dir, 'spawns.jsonl');
  process.env[SPAWN_AUDIT_ENV] = audit;
  await run(echo, ['a b', '-E', 'chassis'], { env: { SHOW_VAR: 'PW', PW: 'value-never-written' } });
  await run(echo, ['second'], {});
  const lines = (await readFile(audit, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { file: string; args: string[]; envKeys: string[]; pid: number });
  assert.equal(
    lines.map((l) => [l.file, l.args, l.envKeys]),
    [
      [echo, ['a b', '-E', 'chassis'], ['PW', 'SHOW_VAR']],
      [echo, ['second'], []],
    ],
  );
  assert.is(lines[0].pid, process.pid);
  assert.not.match(await readFile(audit, 'utf8'), 'value-never-written');
  assert.is((await stat(audit)).mode & 0o777, 0o600);
});

test('unset: no file; dry run: no line (nothing is spawned)', async () => {
  delete process.env[SPAWN_AUDIT_ENV];
  await run(echo, ['x'], {});
  process.env[SPAWN_AUDIT_ENV] = join(dir, 'dry.jsonl');
  await run(echo, ['x'], { dryRun: true });
  assert.not.ok(existsSync(join(dir, 'dry.jsonl')));
});

test('an audit file that cannot be written: exit-2 error and nothing spawned', async () => {
  process.env[SPAWN_AUDIT_ENV] = dir; // a directory
  const before = spawnHistory().at(-1);
  try {
    await run(echo, ['x'], {});
    assert.unreachable('spawned without an audit line');
  } catch (error) {
    assert.ok(isForcedownError(error));
    assert.equal([error.code, exitCodeOf(error)], ['EXEC_AUDIT_FAILED', 2]);
    assert.match(error.message, 'EISDIR');
  }
  assert.is(spawnHistory().at(-1), before);
});

test.run();
