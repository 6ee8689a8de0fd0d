// The ipmi driver and fence/powerOn against the testbed's real BMCs: one OpenIPMI ipmi_sim per
// compute host, whose chassis power *is* that host's nova-compute process (test/e2e/testbed).
// Needs /tmp/forcedown-testbed/testbed.json (written by test/e2e/testbed/up.sh; override with
// FORCEDOWN_TESTBED_JSON). Powers fake3 off and on again; leaves it powered on.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnHistory } from '../../../src/exec/index.js';
import {
  FencingError,
  createPowerController,
  fence,
  powerOn,
  type PowerController,
} from '../../../src/fencing/index.js';
import type { BmcConfig } from '../../../src/generated/inventory.types.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

interface TestbedCompute {
  host: string;
  bmc: { address: string; port: number; username: string; passwordFile: string; cipherSuite: number };
  pidFile: string;
}
interface Testbed {
  dir: string;
  inventory: string;
  computes: TestbedCompute[];
}

const testbedPath = process.env.FORCEDOWN_TESTBED_JSON ?? '/tmp/forcedown-testbed/testbed.json';
const testbed = JSON.parse(readFileSync(testbedPath, 'utf8')) as Testbed;
const inventory = JSON.parse(readFileSync(testbed.inventory, 'utf8')) as { hosts: Record<string, { bmc: BmcConfig }> };
const HOST = 'fake3';
const compute = testbed.computes.find((c) => c.host === HOST);
if (!compute) throw new Error(`the testbed has no ${HOST}`);

function passwordOf(c: TestbedCompute): string {
  return readFileSync(c.bmc.passwordFile, 'utf8').split('\n')[0] ?? '';
}

function controllerFor(host: string, password?: string): PowerController {
  const entry = inventory.hosts[host];
  const c = testbed.computes.find((item) => item.host === host);
  if (!entry || !c) throw new Error(`no inventory entry for ${host}`);
  return createPowerController(host, entry.bmc, password ?? passwordOf(c));
}

/** PID of the host's nova-compute if that process is alive (and is the testbed's), else undefined. */
function novaComputePid(c: TestbedCompute): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(c.pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return state !== 'Z' && state !== 'X' && cmdline.includes(testbed.dir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

const opts = { timeoutMs: 30_000, pollIntervalMs: 250 };
let pidBeforeFence: number | undefined;

test.after(async () => {
  // leave fake3 powered on, whatever happened above
  await powerOn(controllerFor(HOST), opts);
});

test('status of every compute host reads on through its ipmi_sim BMC', async () => {
  for (const c of testbed.computes) {
    const controller = controllerFor(c.host);
    assert.is(controller.target, `ipmi ${c.bmc.username}@${c.bmc.address}:${c.bmc.port}`);
    assert.is(await controller.status(), 'on', c.host);
    assert.ok(novaComputePid(c), `${c.host}: nova-compute runs`);
  }
  const passwords = testbed.computes.map(passwordOf);
  const argv = JSON.stringify(spawnHistory());
  for (const password of passwords) assert.not.ok(argv.includes(password), 'no BMC password in any argv');
});

test('a wrong password fails with the auth-failure error (exit 3) and leaves the host on', async () => {
  const pid = novaComputePid(compute);
  assert.ok(pid, 'nova-compute runs before');
  const wrong = 'wrongPassw0rd'; // <= 20 bytes, or ipmitool refuses it before asking the BMC
  let error: unknown;
  try {
    await fence(controllerFor(HOST, wrong), opts);
  } catch (caught) {
    error = caught;
  }
  assert.instance(error, FencingError);
  const e = error as FencingError;
  assert.is(e.code, 'FENCE_AUTH_FAILED');
  assert.is(exitCodeOf(e), 3);
  assert.ok(e.isAuthFailure);
  assert.match(e.message, 'RAKP 2 HMAC is invalid');
  assert.match(e.message, HOST);
  assert.not.match(e.message + e.hint + JSON.stringify(e.toJSON()), wrong);
  assert.not.match(e.message + e.hint + JSON.stringify(e.toJSON()), passwordOf(compute));
  assert.is(await controllerFor(HOST).status(), 'on');
  assert.is(novaComputePid(compute), pid, 'the same nova-compute still runs');
});

test('a password longer than IPMI allows is reported as a configuration error, host untouched', async () => {
  const pid = novaComputePid(compute);
  let error: unknown;
  try {
    await fence(controllerFor(HOST, 'a-password-longer-than-twenty-bytes'), opts);
  } catch (caught) {
    error = caught;
  }
  assert.instance(error, FencingError);
  assert.is((error as FencingError).code, 'FENCE_CONFIG_INVALID');
  assert.match((error as FencingError).message, 'lanplus: password is longer than 20 bytes.');
  assert.is(novaComputePid(compute), pid);
});

test('dry-run fence reads the real BMC and sends nothing', async () => {
  const pid = novaComputePid(compute);
  const report = await fence(controllerFor(HOST), { ...opts, dryRun: true });
  assert.ok(report.dryRun);
  if (report.dryRun) {
    assert.is(report.currentState, 'on');
    assert.match(report.wouldSend ?? '', 'chassis power off');
  }
  assert.is(novaComputePid(compute), pid);
});

test('fence of fake3 really powers it off: read back off, its nova-compute is gone', async () => {
  pidBeforeFence = novaComputePid(compute);
  assert.ok(pidBeforeFence, 'nova-compute runs before the fence');
  const evidence = await fence(controllerFor(HOST), opts);
  assert.is(evidence.state, 'off');
  assert.is(evidence.alreadyOff, false);
  assert.ok(evidence.offSentAt);
  assert.ok(evidence.readBacks >= 2);
  assert.is(novaComputePid(compute), undefined, 'nova-compute process is gone');
  assert.is(await controllerFor(HOST).status(), 'off');
  // fencing again is idempotent: confirmed without sending anything
  const again = await fence(controllerFor(HOST), opts);
  assert.ok(again.alreadyOff);
});

test('powerOn brings fake3 back: read back on, a new nova-compute process runs', async () => {
  assert.is(novaComputePid(compute), undefined, 'off before power-on');
  const evidence = await powerOn(controllerFor(HOST), opts);
  assert.is(evidence.state, 'on');
  assert.is(evidence.alreadyOn, false);
  const pid = novaComputePid(compute);
  assert.ok(pid, 'a nova-compute process runs again');
  assert.is.not(pid, pidBeforeFence, 'it is a new process');
  assert.is(await controllerFor(HOST).status(), 'on');
});

test.run();
