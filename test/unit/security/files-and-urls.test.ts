import { chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isForcedownError } from '../../../src/errors/index.js';
import { loadInventory } from '../../../src/inventory/index.js';
import { JournalWriter, acquireRunLocks, journalPath } from '../../../src/runner/index.js';
import { webhookUrl } from '../../../src/steps/notify.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

/**
 * What forcedown trusts on disk and on the network: BMC password files (a 0600 regular file,
 * relative paths from the inventory's directory), the state directory, journals and lock files
 * (0700 / 0600 / 0600, tightened if they exist looser), and webhook URLs (https, or http to
 * loopback only; never credentials in the URL).
 */
let dir = '';
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-sec-'));
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function inventoryWith(file: string): Promise<string> {
  const path = join(dir, 'inv', 'inventory.json');
  await mkdir(join(dir, 'inv'), { recursive: true });
  await writeFile(
    path,
    JSON.stringify({
      hosts: { h1: { bmc: { driver: 'ipmi', address: '10.0.0.1', username: 'u', password: { file } } } },
    }),
  );
  return path;
}

async function passwordError(file: string): Promise<{ code: string; exitCode: number; message: string }> {
  const inventory = await loadInventory(await inventoryWith(file), {});
  try {
    await inventory.password(inventory.host('h1').bmc.password, 'h1');
  } catch (error) {
    if (isForcedownError(error)) return { code: error.code, exitCode: exitCodeOf(error), message: error.message };
    throw error;
  }
  throw new Error(`password file ${file} was accepted`);
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

test('a BMC password file must be a 0600 regular file; relative paths are relative to the inventory', async () => {
  await mkdir(join(dir, 'inv'), { recursive: true });
  await writeFile(join(dir, 'inv', 'pw'), 'secret-1\n', { mode: 0o600 });
  // relative to the inventory's directory, not the working directory
  const inventory = await loadInventory(await inventoryWith('pw'), {});
  assert.is(await inventory.password(inventory.host('h1').bmc.password, 'h1'), 'secret-1');
  await mkdir(join(dir, 'secrets'));
  await writeFile(join(dir, 'secrets', 'pw2'), 'secret-2\n', { mode: 0o600 });
  const up = await loadInventory(await inventoryWith('../secrets/pw2'), {});
  assert.is(await up.password(up.host('h1').bmc.password, 'h1'), 'secret-2');

  // readable by others (also through a symlink: the target's mode counts)
  await writeFile(join(dir, 'open'), 'secret-3\n', { mode: 0o644 });
  await chmod(join(dir, 'open'), 0o644);
  let e = await passwordError(join(dir, 'open'));
  assert.equal([e.code, e.exitCode], ['BMC_PASSWORD_FILE_OPEN', 2]);
  assert.match(e.message, 'mode 644');
  assert.not.match(e.message, 'secret-3');
  await symlink(join(dir, 'open'), join(dir, 'link-to-open'));
  e = await passwordError(join(dir, 'link-to-open'));
  assert.is(e.code, 'BMC_PASSWORD_FILE_OPEN');
  await chmod(join(dir, 'open'), 0o640);
  assert.is((await passwordError(join(dir, 'open'))).code, 'BMC_PASSWORD_FILE_OPEN', 'group-readable too');

  // not a regular file: a directory, a device, a FIFO (which would also block the read)
  assert.is((await passwordError(dir)).code, 'BMC_PASSWORD_MISSING');
  assert.match((await passwordError('/dev/null')).message, 'not a regular file');
  assert.is(spawnSync('mkfifo', [join(dir, 'fifo')]).status, 0);
  await chmod(join(dir, 'fifo'), 0o600);
  assert.match((await passwordError(join(dir, 'fifo'))).message, 'not a regular file');
  // missing, dangling symlink, empty
  assert.match((await passwordError(join(dir, 'nope'))).message, 'does not exist');
  await symlink(join(dir, 'gone'), join(dir, 'dangling'));
  assert.match((await passwordError(join(dir, 'dangling'))).message, 'does not exist');
  await writeFile(join(dir, 'empty'), '', { mode: 0o600 });
  assert.match((await passwordError(join(dir, 'empty'))).message, 'is empty');
  // a NUL in the path is no crash
  assert.is((await passwordError('pw\u0000/../../etc/shadow')).exitCode, 2);
});

test('state directory 0700 (tightened when it exists looser), journals 0600, lock files 0600', async () => {
  const state = join(dir, 'state');
  await mkdir(join(state, 'runs'), { recursive: true, mode: 0o755 });
  await chmod(join(state, 'runs'), 0o755);
  const journal = await JournalWriter.open(state, '20260101T000000Z-x-abcdef');
  await journal.append({ event: 'step.output', stepId: 'a', message: 'hello' });
  await journal.close();
  assert.is(await mode(join(state, 'runs')), 0o700);
  assert.is(await mode(journalPath(state, '20260101T000000Z-x-abcdef')), 0o600);

  const locks = await acquireRunLocks({ stateDir: state, runId: 'run-a', hosts: ['fake2', '../../etc/evil'] });
  assert.is(await mode(join(state, 'locks')), 0o700);
  assert.is(await mode(join(state, 'locks', 'fake2.lock')), 0o600);
  // a host name cannot leave the locks directory
  assert.is(await mode(join(state, 'locks', `${encodeURIComponent('../../etc/evil')}.lock`)), 0o600);
  // taken over with --break-lock: still 0600
  const taken = await acquireRunLocks({ stateDir: state, runId: 'run-b', hosts: ['fake2'], breakLock: 'test' });
  assert.is(await mode(join(state, 'locks', 'fake2.lock')), 0o600);
  await taken.release('finished');
  await locks.release('finished');
});

test('webhook URLs: https, or plain http to loopback only; credentials in the URL are refused', () => {
  const ok = [
    'https://hooks.example.com/T0/x',
    'http://127.0.0.1:8080/hook',
    'http://127.9.9.9/h',
    'http://localhost/h',
    'http://[::1]:9/h',
    'HTTPS://hooks.example.com/x',
    'http://2130706433/h',
  ];
  for (const url of ok) assert.ok(webhookUrl(url, 'tell') instanceof URL, url);
  const refused = [
    'http://hooks.example.com/x',
    'http://127.0.0.1.nip.io/x',
    'http://127.evil.example/x',
    'http://10.0.0.1/x',
    'http://[::ffff:10.0.0.1]/x',
    'https://user:pw@hooks.example.com/x',
    'https://user@hooks.example.com/x',
    'https://:pw@hooks.example.com/x',
    'http://user:pw@127.0.0.1/x',
    'ftp://hooks.example.com/x',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'not a url',
    '',
  ];
  for (const url of refused) {
    try {
      webhookUrl(url, 'tell');
      assert.unreachable(`accepted ${url}`);
    } catch (error) {
      assert.ok(isForcedownError(error), url);
      assert.equal([error.code, exitCodeOf(error)], ['WEBHOOK_URL_INVALID', 2], url);
      assert.not.match(error.message, 'pw@');
    }
  }
});

test.run();
