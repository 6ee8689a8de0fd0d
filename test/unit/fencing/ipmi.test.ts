import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnHistory } from '../../../src/exec/index.js';
import {
  classifyIpmitoolFailure,
  createPowerController,
  fence,
  powerOn,
  type PowerProgress,
  type PowerWaitNotice,
} from '../../../src/fencing/index.js';
import type { IpmiBmc } from '../../../src/generated/inventory.types.js';
import { assertNoSecret, rejection } from './support.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

const fake = join(import.meta.dirname, '../../fixtures/bin/fake-ipmitool.mjs');
const PASSWORD = 'ipmi-Secr3t-pw';
const dir = mkdtempSync(join(tmpdir(), 'forcedown-ipmi-test-'));
const stateFile = join(dir, 'bmc.json');
process.env.FAKE_IPMITOOL_STATE = stateFile;

interface FakeCall {
  argv: string[];
  envPassword: boolean;
  passwordInArgv: boolean;
  action: string;
}
interface FakeState {
  power: 'on' | 'off';
  user: string;
  password: string;
  mode: string;
  failNext: number;
  /** Sleep this long before answering (a slow BMC). */
  delayMs?: number;
  log: FakeCall[];
}

function setBmc(patch: Partial<FakeState> = {}): void {
  writeFileSync(
    stateFile,
    JSON.stringify({ power: 'on', user: 'admin', password: PASSWORD, mode: 'ok', failNext: 0, log: [], ...patch }),
  );
}
function bmcState(): FakeState {
  return JSON.parse(readFileSync(stateFile, 'utf8')) as FakeState;
}
function actions(): string[] {
  return bmcState().log.map((call) => call.action);
}

const entry = (patch: Partial<IpmiBmc> = {}): IpmiBmc => ({
  driver: 'ipmi',
  address: '127.0.0.1',
  port: 9001,
  username: 'admin',
  password: { file: '/etc/forcedown/bmc-fake1' },
  ipmitool: fake,
  ...patch,
});
const controller = (patch: Partial<IpmiBmc> = {}, password = PASSWORD) =>
  createPowerController('fake1', entry(patch), password);
const quick = { pollIntervalMs: 10, retryDelayMs: 10 };

test.before.each(() => setBmc());
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('status runs ipmitool with the documented argv and the password in IPMI_PASSWORD only', async () => {
  const c = controller();
  assert.is(c.driver, 'ipmi');
  assert.is(c.target, 'ipmi admin@127.0.0.1:9001');
  assert.is(await c.status(), 'on');
  const [call] = bmcState().log;
  assert.ok(call);
  assert.equal(call.argv, [
    '-I',
    'lanplus',
    '-C',
    '3',
    '-H',
    '127.0.0.1',
    '-p',
    '9001',
    '-U',
    'admin',
    '-L',
    'ADMINISTRATOR',
    '-v',
    '-E',
    'chassis',
    'power',
    'status',
  ]);
  assert.ok(call.envPassword, 'password arrived through IPMI_PASSWORD');
  assert.not.ok(call.passwordInArgv);
  const spawned = spawnHistory().at(-1);
  assert.ok(spawned);
  assert.is(spawned.file, fake);
  assert.not.ok(JSON.stringify(spawned).includes(PASSWORD));
  setBmc({ power: 'off' });
  assert.is(await c.status(), 'off');
});

test('entry options reach the command line: lan interface (no -C), port, privilege', async () => {
  const c = controller({ interface: 'lan', port: 6230, privilegeLevel: 'OPERATOR', cipherSuite: 17 });
  assert.is(c.target, 'ipmi admin@127.0.0.1:6230 (lan)');
  await c.status();
  const [call] = bmcState().log;
  assert.ok(call);
  assert.equal(call.argv.slice(0, 10), ['-I', 'lan', '-H', '127.0.0.1', '-p', '6230', '-U', 'admin', '-L', 'OPERATOR']);
  assert.not.ok(call.argv.includes('-C'));
});

test('fence powers off and confirms by reading the state back', async () => {
  const events: PowerProgress[] = [];
  const evidence = await fence(controller(), { ...quick, onProgress: (event) => events.push(event) });
  assert.is(evidence.state, 'off');
  assert.is(evidence.alreadyOff, false);
  assert.is(evidence.host, 'fake1');
  assert.is(evidence.driver, 'ipmi');
  assert.is(evidence.target, 'ipmi admin@127.0.0.1:9001');
  assert.ok(evidence.offSentAt && !Number.isNaN(Date.parse(evidence.offSentAt)));
  assert.ok(!Number.isNaN(Date.parse(evidence.confirmedAt)));
  assert.is(evidence.readBacks, 2);
  assert.match(evidence.request ?? '', 'chassis power off');
  assert.not.match(evidence.request ?? '', PASSWORD);
  assert.equal(actions(), ['status', 'off', 'status']);
  assert.is(bmcState().power, 'off');
  assert.ok(bmcState().log.every((call) => call.envPassword && !call.passwordInArgv));
  assert.is(events.at(-1)?.phase, 'confirmed');
});

test('fence of a host already off sends no power-off', async () => {
  setBmc({ power: 'off' });
  const evidence = await fence(controller(), quick);
  assert.is(evidence.alreadyOff, true);
  assert.is(evidence.offSentAt, undefined);
  assert.is(evidence.readBacks, 1);
  assert.equal(actions(), ['status']);
});

test('a wrong password is an auth failure: exit 3, host stays on, no password anywhere', async () => {
  const wrong = 'wrong-Passw0rd';
  const error = await rejection(fence(controller({}, wrong), quick));
  assert.is(error.code, 'FENCE_AUTH_FAILED');
  assert.is(exitCodeOf(error), 3);
  assert.ok(error.isAuthFailure);
  assert.not.ok(error.isUnreachable);
  assert.match(error.message, 'fake1');
  assert.match(error.message, 'ipmi admin@127.0.0.1:9001');
  assert.match(error.message, 'RAKP 2 HMAC is invalid');
  assert.match(error.hint, 'file /etc/forcedown/bmc-fake1');
  assert.match(error.hint, '--assume-fenced');
  assert.equal(actions(), ['status'], 'auth failures are not retried and nothing is sent');
  assert.is(bmcState().power, 'on');
  assertNoSecret(error, wrong, PASSWORD);
});

test('a password longer than IPMI allows is a configuration error, not a wrong password', async () => {
  const error = await rejection(fence(controller({}, 'x'.repeat(21)), quick));
  assert.is(error.code, 'FENCE_CONFIG_INVALID');
  assert.is(exitCodeOf(error), 3);
  assert.match(error.message, 'lanplus: password is longer than 20 bytes.');
  assert.match(error.hint, '20 bytes with lanplus, 16 with lan');
  const lan = await rejection(controller({ interface: 'lan' }, 'y'.repeat(17)).status());
  assert.ok(lan.isConfigError);
  assert.match(lan.message, 'lan: password is longer than 16 bytes.');
});

test('an unknown user is an auth failure too', async () => {
  const error = await rejection(fence(controller({ username: 'nobody' }), quick));
  assert.ok(error.isAuthFailure);
  assert.match(error.message, 'unauthorized name');
});

test('an unreachable BMC: status retried, then FENCE_UNREACHABLE (exit 3)', async () => {
  setBmc({ mode: 'unreachable' });
  const error = await rejection(fence(controller(), { ...quick, statusRetries: 2 }));
  assert.is(error.code, 'FENCE_UNREACHABLE');
  assert.is(exitCodeOf(error), 3);
  assert.ok(error.isUnreachable);
  assert.match(error.message, 'Unable to establish IPMI v2 / RMCP+ session');
  assert.match(error.hint, 'network');
  assert.equal(actions(), ['status', 'status', 'status']);
  assertNoSecret(error, PASSWORD);
});

test('a transient status failure is retried and the fence still succeeds', async () => {
  setBmc({ failNext: 1 });
  const evidence = await fence(controller(), quick);
  assert.is(evidence.state, 'off');
  assert.equal(actions(), ['status', 'status', 'off', 'status']);
});

test('ipmitool that never answers is killed at the call timeout and reported unreachable', async () => {
  setBmc({ mode: 'hang' });
  const error = await rejection(fence(controller({ callTimeoutSec: 0.3 }), { ...quick, statusRetries: 0 }));
  assert.ok(error.isUnreachable);
  assert.is(exitCodeOf(error), 3);
  assert.match(error.message, 'no answer within 0.3 s');
  assert.is(error.data.callTimedOut, true);
});

test('a BMC that cannot say its power state is an unknown state', async () => {
  setBmc({ mode: 'status-fails' });
  let error = await rejection(fence(controller(), quick));
  assert.is(error.code, 'FENCE_STATE_UNKNOWN');
  assert.ok(error.isUnknownState);
  assert.match(error.message, 'Get Chassis Power Status failed: Unspecified error');
  setBmc({ mode: 'garbage' });
  error = await rejection(controller().status());
  assert.is(error.code, 'BMC_STATE_UNKNOWN');
  assert.is(exitCodeOf(error), 1);
  assert.match(error.message, 'Chassis Power is flickering');
});

test('a refused power-off is re-read, not resent, and rejects the fence', async () => {
  setBmc({ mode: 'set-fails' });
  const error = await rejection(fence(controller(), quick));
  assert.is(error.code, 'FENCE_REJECTED');
  assert.ok(error.isRejected);
  assert.is(exitCodeOf(error), 3);
  assert.match(error.message, 'Set Chassis Power Control to Down/Off failed: Unspecified error');
  assert.equal(actions(), ['status', 'off', 'status']);
  assert.is(error.lastState, 'on');
});

test('a user without power privilege is an auth failure', async () => {
  setBmc({ mode: 'no-privilege' });
  const error = await rejection(fence(controller(), quick));
  assert.ok(error.isAuthFailure);
  assert.match(error.message, 'Insufficient privilege level');
  assert.equal(actions(), ['status', 'off', 'status']);
});

test('a power-off whose answer was lost is confirmed by the re-read, not sent twice', async () => {
  setBmc({ mode: 'set-lost' });
  const evidence = await fence(controller(), quick);
  assert.is(evidence.state, 'off');
  assert.equal(actions(), ['status', 'off', 'status']);
});

test('a power-off accepted but never carried out times out (exit 3, timedOut)', async () => {
  setBmc({ mode: 'ignore-off' });
  const error = await rejection(fence(controller(), { ...quick, timeoutMs: 200 }));
  assert.is(error.code, 'FENCE_TIMEOUT');
  assert.ok(error.timedOut);
  assert.is(exitCodeOf(error), 3);
  assert.is(error.lastState, 'on');
  assert.match(error.message, 'still reports on');
  assert.is(actions().filter((a) => a === 'off').length, 1, 'off is sent once');
});

test('dry-run reads the state but sends nothing', async () => {
  const report = await fence(controller(), { ...quick, dryRun: true });
  assert.ok(report.dryRun);
  if (!report.dryRun) return;
  assert.is(report.currentState, 'on');
  assert.match(report.wouldSend ?? '', '-E chassis power off');
  assert.not.match(report.wouldSend ?? '', PASSWORD);
  assert.equal(actions(), ['status']);
  assert.is(bmcState().power, 'on');
});

test('powerOn brings the host back and confirms on', async () => {
  setBmc({ power: 'off' });
  const evidence = await powerOn(controller(), quick);
  assert.is(evidence.state, 'on');
  assert.is(evidence.alreadyOn, false);
  assert.ok(evidence.onSentAt);
  assert.equal(actions(), ['status', 'on', 'status']);
});

test('powerOn failures exit 1, not 3', async () => {
  setBmc({ power: 'off' });
  const error = await rejection(powerOn(controller({}, 'not-the-Password'), quick));
  assert.is(error.code, 'POWER_ON_AUTH_FAILED');
  assert.is(exitCodeOf(error), 1);
  assert.ok(error.isAuthFailure);
});

test('a missing ipmitool is a configuration error', async () => {
  const error = await rejection(fence(controller({ ipmitool: join(dir, 'no-such-ipmitool') }), quick));
  assert.ok(error.isConfigError);
  assert.is(error.code, 'FENCE_CONFIG_INVALID');
  assert.is(exitCodeOf(error), 3);
  assert.match(error.hint, 'apt-get install ipmitool');
});

test('a password equal to the user name would land in argv: refused before anything runs', async () => {
  const before = spawnHistory().length;
  const error = await rejection(controller({ username: 'samesame-admin' }, 'samesame-admin').status());
  assert.ok(error.isConfigError);
  assert.is(exitCodeOf(error), 2);
  assert.is(spawnHistory().length, before);
  assert.equal(actions(), []);
});

test('an unsupported cipher suite is a configuration error with a hint', async () => {
  setBmc({ mode: 'bad-cipher' });
  const error = await rejection(controller().status());
  assert.ok(error.isConfigError);
  assert.match(error.hint, 'cipherSuite');
});

test('no password for an ipmi entry is refused at creation (exit 2)', () => {
  try {
    createPowerController('fake1', entry(), undefined);
    assert.unreachable('should throw');
  } catch (error) {
    const e = error as { code: string; message: string };
    assert.is(e.code, 'BMC_CONFIG_INVALID');
    assert.is(exitCodeOf(e), 2);
    assert.match(e.message, 'fake1');
  }
});

test('classification of the texts ipmitool 1.8.19 printed against ipmi_sim', () => {
  const v2 = 'Error: Unable to establish IPMI v2 / RMCP+ session';
  const cases: [string, string][] = [
    [`Loading IANA PEN Registry...\n> RAKP 2 HMAC is invalid\n${v2}`, 'auth'],
    [`Loading IANA PEN Registry...\nRAKP 2 message indicates an error : unauthorized name\n${v2}`, 'auth'],
    [
      `Loading IANA PEN Registry...\nGet Auth Capabilities error\nError issuing Get Channel Authentication Capabilities request\n${v2}`,
      'unreachable',
    ],
    [`Address lookup for no-such-bmc.invalid failed\nCould not open socket!\n${v2}`, 'unreachable'],
    [v2, 'unreachable'],
    [
      'Loading IANA PEN Registry...\nActivate Session command failed\nError: Unable to establish LAN session\nError: Unable to establish IPMI v1.5 / RMCP session',
      'auth',
    ],
    [
      'Loading IANA PEN Registry...\nInvalid user name\nError: Unable to establish LAN session\nError: Unable to establish IPMI v1.5 / RMCP session',
      'auth',
    ],
    [
      'Loading IANA PEN Registry...\nGet Auth Capabilities command failed\nError: Unable to establish LAN session\nError: Unable to establish IPMI v1.5 / RMCP session',
      'unreachable',
    ],
    [
      'Get HPM.x Capabilities request failed, compcode = d4\nSet Chassis Power Control to Down/Off failed: Insufficient privilege level',
      'auth',
    ],
    ['Set Chassis Power Control to Down/Off failed: Unspecified error', 'rejected'],
    ['Get Chassis Power Status failed: Unspecified error', 'unknown-state'],
    [`Error in open session response message : invalid authentication algorithm\n\n${v2}`, 'config'],
    [`Unable to read password from environment\nPassword: ${v2}`, 'config'],
    ['lanplus: password is longer than 20 bytes.', 'config'],
    ['lan: password is longer than 16 bytes.', 'config'],
  ];
  for (const [stderr, expected] of cases) {
    assert.is(classifyIpmitoolFailure(stderr, 'status').failure, expected, stderr);
  }
});

// --- wait notices: a slow BMC is never silent ----------------------------------------------

const noticing = (noticeEveryMs: number, patch: Partial<IpmiBmc> = {}) => {
  const notices: PowerWaitNotice[] = [];
  const c = createPowerController('fake1', entry(patch), PASSWORD, {
    onWait: (notice) => notices.push(notice),
    noticeEveryMs,
  });
  return { c, notices };
};

test('an ipmitool that is slow to answer says what it waits for after the threshold', async () => {
  setBmc({ delayMs: 700 });
  const { c, notices } = noticing(100);
  assert.is(await c.status(), 'on');
  assert.ok(notices.length >= 1, 'at least one notice while ipmitool slept');
  const [first] = notices;
  assert.ok(first);
  assert.ok(first.waitedMs >= 100, `the first notice came after the threshold (${first.waitedMs} ms)`);
  assert.is(first.host, 'fake1');
  assert.is(first.driver, 'ipmi');
  assert.is(first.bmc, '127.0.0.1:9001');
  assert.is(first.action, 'power status');
  assert.is(first.timeoutMs, 20_000);
  assert.match(
    first.message,
    /^waiting for the BMC of fake1 \(ipmi 127\.0\.0\.1:9001, power status\): no answer yet after \d+(\.\d)? s; gives up after 20 s$/,
  );
  const seen = notices.length;
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.is(notices.length, seen, 'no notice once the call has ended');
});

test('an ipmitool that answers before the threshold says nothing', async () => {
  setBmc({ delayMs: 200 });
  const { c, notices } = noticing(10_000);
  assert.is(await c.status(), 'on');
  assert.equal(notices, []);
});

test('a power off against a BMC that never answers is noticed until the call timeout, with its timeout', async () => {
  setBmc({ mode: 'hang' });
  const { c, notices } = noticing(100, { callTimeoutSec: 0.6 });
  const error = await rejection(c.off());
  assert.ok(error.isUnreachable);
  assert.ok(notices.length >= 1);
  assert.ok(notices.every((n) => n.action === 'power off' && n.timeoutMs === 600));
  assert.match(notices[0].message, 'power off): no answer yet after');
  assert.match(notices[0].message, 'gives up after 0.6 s');
});

test('ipmi wait notices never hold the BMC password or the user name', async () => {
  setBmc({ delayMs: 400 });
  const { c, notices } = noticing(50);
  await fence(c, quick);
  assert.ok(notices.length >= 2, 'the status and the off calls both waited');
  const text = JSON.stringify(notices);
  assert.not.ok(text.includes(PASSWORD), 'password in a notice');
  assert.not.ok(text.includes('admin'), 'user name in a notice');
});

test('the read-back loop says what power state it waits for, how long so far and when it gives up', async () => {
  setBmc({ mode: 'ignore-off' });
  const progress: PowerProgress[] = [];
  const error = await rejection(
    fence(controller(), { ...quick, timeoutMs: 300, onProgress: (event) => progress.push(event) }),
  );
  assert.ok(error.timedOut);
  const waits = progress.filter((event) => event.phase === 'wait');
  assert.ok(waits.length >= 1);
  assert.match(
    waits[0].message,
    /^fake1: power is on, waiting for off \(ipmi admin@127\.0\.0\.1:9001, \d+ reads; waited \d+(\.\d)? s of 0\.3 s\)$/,
  );
});

test.run();
