import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnHistory } from '../../../src/exec/index.js';
import { createPowerController, fence, powerOn, type PowerWaitNotice } from '../../../src/fencing/index.js';
import type { CommandBmc } from '../../../src/generated/inventory.types.js';
import { assertNoSecret, rejection } from './support.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

const program = join(import.meta.dirname, '../../fixtures/bin/fake-power-command.mjs');
const PASSWORD = 'pdu-Secr3t-pw';
const dir = mkdtempSync(join(tmpdir(), 'forcedown-command-test-'));
const stateFile = join(dir, 'pdu.json');
const quick = { pollIntervalMs: 10, retryDelayMs: 10 };

interface Call {
  argv: string[];
  host: string | null;
  passwordSet: boolean;
  passwordOk: boolean;
  passwordInArgv: boolean;
  rack: string | null;
}
function setPdu(patch: Record<string, unknown> = {}): void {
  writeFileSync(stateFile, JSON.stringify({ power: 'on', password: PASSWORD, mode: 'ok', log: [], ...patch }));
}
function pdu(): { power: string; log: Call[] } {
  return JSON.parse(readFileSync(stateFile, 'utf8')) as { power: string; log: Call[] };
}
const actions = (): string[] => pdu().log.map((call) => call.argv.at(-1) ?? '');

const entry = (patch: Partial<CommandBmc> = {}): CommandBmc => ({
  driver: 'command',
  command: [program, stateFile],
  env: { RACK: 'r7' },
  password: { env: 'PDU_PASSWORD' },
  ...patch,
});

test.before.each(() => setPdu());
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('status appends the action, sets FORCEDOWN_HOST, the password env and the entry env', async () => {
  const c = createPowerController('fake4', entry(), PASSWORD);
  assert.is(c.driver, 'command');
  assert.is(c.target, `command ${program} ${stateFile}`);
  assert.is(await c.status(), 'on');
  const [call] = pdu().log;
  assert.ok(call);
  assert.equal(call.argv, [stateFile, 'status']);
  assert.is(call.host, 'fake4');
  assert.ok(call.passwordOk);
  assert.not.ok(call.passwordInArgv);
  assert.is(call.rack, 'r7');
  assert.not.ok(JSON.stringify(spawnHistory()).includes(PASSWORD));
  setPdu({ power: 'off' });
  assert.is(await c.status(), 'off');
});

test('without a password entry, FORCEDOWN_BMC_PASSWORD is not set', async () => {
  setPdu({ password: undefined });
  const c = createPowerController('fake4', entry({ password: undefined }), undefined);
  await c.status();
  assert.not.ok(pdu().log[0]?.passwordSet);
});

test('fence and powerOn through the program, read back each time', async () => {
  const c = createPowerController('fake4', entry(), PASSWORD);
  const off = await fence(c, quick);
  assert.is(off.state, 'off');
  assert.equal(actions(), ['status', 'off', 'status']);
  assert.match(off.request ?? '', `${stateFile} off`);
  const on = await powerOn(c, quick);
  assert.is(on.state, 'on');
  assert.equal(actions(), ['status', 'off', 'status', 'status', 'on', 'status']);
  assert.is(pdu().power, 'on');
});

test('status output other than on/off is an unknown state; the fence refuses (exit 3)', async () => {
  setPdu({ mode: 'garbage' });
  const error = await rejection(fence(createPowerController('fake4', entry(), PASSWORD), quick));
  assert.is(error.code, 'FENCE_STATE_UNKNOWN');
  assert.is(exitCodeOf(error), 3);
  assert.match(error.message, '"maybe"');
  assert.equal(actions(), ['status']);
});

test('a failing program is reported with its stderr, and no password', async () => {
  setPdu({ mode: 'fail' });
  const error = await rejection(fence(createPowerController('fake4', entry(), PASSWORD), quick));
  assert.is(error.code, 'FENCE_FAILED');
  assert.is(exitCodeOf(error), 3);
  assert.match(error.message, 'exited 2');
  assert.match(error.message, 'PDU outlet 7 refused status');
  assert.is(error.data.commandExitCode, 2);
  assertNoSecret(error, PASSWORD);
});

test('a program that hangs is killed at the call timeout: unreachable', async () => {
  setPdu({ mode: 'hang' });
  const error = await rejection(
    fence(createPowerController('fake4', entry({ callTimeoutSec: 0.3 }), PASSWORD), { ...quick, statusRetries: 0 }),
  );
  assert.ok(error.isUnreachable);
  assert.is(error.data.callTimedOut, true);
});

test('a missing program is a configuration error', async () => {
  const error = await rejection(
    createPowerController('fake4', entry({ command: [join(dir, 'nope')] }), PASSWORD).status(),
  );
  assert.ok(error.isConfigError);
  assert.is(exitCodeOf(error), 2);
});

test('dry-run runs status only', async () => {
  const report = await fence(createPowerController('fake4', entry(), PASSWORD), { ...quick, dryRun: true });
  assert.ok(report.dryRun);
  if (report.dryRun) assert.match(report.wouldSend ?? '', `${stateFile} off`);
  assert.equal(actions(), ['status']);
  assert.is(pdu().power, 'on');
});

test('cancellation kills the running program: exit 130', async () => {
  setPdu({ mode: 'hang' });
  const abort = new AbortController();
  // abort once the program is running (it has logged its call)
  const watcher = setInterval(() => {
    let started = false;
    try {
      started = pdu().log.length > 0;
    } catch {
      // the program is writing its state file right now
    }
    if (started) {
      clearInterval(watcher);
      abort.abort();
    }
  }, 10);
  const error = await rejection(
    fence(createPowerController('fake4', entry(), PASSWORD), { ...quick, signal: abort.signal }),
  );
  assert.ok(error.isCanceled);
  assert.is(exitCodeOf(error), 130);
  assert.equal(actions(), ['status']);
});

test('a slow power program says what it waits for after the threshold, never before, and never the password', async () => {
  setPdu({ delayMs: 600 });
  const notices: PowerWaitNotice[] = [];
  const c = createPowerController('fake4', entry(), PASSWORD, { onWait: (n) => notices.push(n), noticeEveryMs: 100 });
  assert.is(await c.status(), 'on');
  assert.ok(notices.length >= 1);
  assert.ok(
    notices.every((n) => n.waitedMs >= 100),
    'no notice before the threshold',
  );
  const status = notices.find((n) => n.action === 'power status');
  assert.ok(status);
  assert.is(status.bmc, `${program} ${stateFile}`);
  assert.match(
    status.message,
    `waiting for the BMC of fake4 (command ${program} ${stateFile}, power status): no answer yet after`,
  );
  assert.match(status.message, 'gives up after 20 s');
  assert.not.ok(JSON.stringify(notices).includes(PASSWORD));

  const quiet: PowerWaitNotice[] = [];
  const fast = createPowerController('fake4', entry(), PASSWORD, {
    onWait: (n) => quiet.push(n),
    noticeEveryMs: 10_000,
  });
  setPdu({ delayMs: 200 });
  assert.is(await fast.status(), 'on');
  assert.equal(quiet, [], 'a call that answers before the threshold says nothing');
});

test.run();
