import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acquireRunLocks, readLock } from '../../../src/runner/index.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

let dir = '';
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-locks-'));
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a second run on the same host is refused (exit 3) naming the holder; release frees it', async () => {
  const first = await acquireRunLocks({ stateDir: dir, runId: 'run-a', hosts: ['fake1', 'fake2'] });
  try {
    await acquireRunLocks({ stateDir: dir, runId: 'run-b', hosts: ['fake2'] });
    assert.unreachable();
  } catch (error) {
    const e = error as { code: string; message: string };
    assert.is(exitCodeOf(e), 3);
    assert.is(e.code, 'HOST_LOCKED');
    assert.match(e.message, 'run-a');
  }
  await first.release('finished');
  const second = await acquireRunLocks({ stateDir: dir, runId: 'run-b', hosts: ['fake2'] });
  assert.equal(second.hosts, ['fake2']);
  await second.release('finished');
  assert.is(await readLock(dir, 'fake2'), undefined);
});

test('a refused run does not keep the locks it took before the refusal', async () => {
  const first = await acquireRunLocks({ stateDir: dir, runId: 'run-a', hosts: ['b-host'] });
  try {
    await acquireRunLocks({ stateDir: dir, runId: 'run-b', hosts: ['a-host', 'b-host'] });
    assert.unreachable();
  } catch {
    // expected
  }
  assert.is(await readLock(dir, 'a-host'), undefined);
  await first.release('finished');
});

test('a stale lock (dead pid) still needs --break-lock, which reports the previous holder', async () => {
  await mkdir(join(dir, 'locks'), { recursive: true });
  await writeFile(
    join(dir, 'locks', 'fake1.lock'),
    JSON.stringify({ runId: 'old-run', pid: 2 ** 22 + 12345, machine: hostname(), since: '2026-01-01T00:00:00Z' }),
  );
  try {
    await acquireRunLocks({ stateDir: dir, runId: 'new-run', hosts: ['fake1'] });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, 'looks stale');
    assert.match((error as { hint: string }).hint, '--break-lock');
  }
  const held = await acquireRunLocks({
    stateDir: dir,
    runId: 'new-run',
    hosts: ['fake1'],
    breakLock: 'old run crashed, checked by J. Doe',
  });
  assert.equal(
    held.broken.map((b) => b.previousHolder.runId),
    ['old-run'],
  );
  assert.is((await readLock(dir, 'fake1'))?.runId, 'new-run');
  await held.release('finished');
});

test('a resumed run takes over its own lock', async () => {
  await mkdir(join(dir, 'locks'), { recursive: true });
  await writeFile(
    join(dir, 'locks', 'fake1.lock'),
    JSON.stringify({ runId: 'run-x', pid: 2 ** 22 + 1, machine: hostname(), since: '2026-01-01T00:00:00Z' }),
  );
  const held = await acquireRunLocks({ stateDir: dir, runId: 'run-x', hosts: ['fake1'], resume: true });
  assert.equal(held.broken, []);
  assert.is((await readLock(dir, 'fake1'))?.pid, process.pid);
  await held.release('finished');
});

test.run();
