import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadInventory } from '../../../src/inventory/index.js';
import { createRunServices } from '../../../src/cli/run-services.js';
import type { RunEvent, RunServices, StepFinishedEvent } from '../../../src/runner/index.js';
import { runRunbook } from '../../support/run-harness.js';

/**
 * The first fence's power read is started while the run sets up (primePowerStatus) and used by
 * the fence step's check: one read, not two, and never a stale one. A real `command` BMC program
 * logs each call, so the count of reads is the BMC's own.
 */
let dir = '';
let log = '';
let services: RunServices;

async function setUp(
  power: 'on' | 'off',
  maxAgeMs?: number,
  slow?: { readonly sleepSec: number; readonly noticeEveryMs: number },
): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'fd-primed-'));
  log = join(dir, 'calls.log');
  const program = join(dir, 'bmc.sh');
  const delay = slow ? `sleep ${slow.sleepSec}\n` : '';
  writeFileSync(program, `#!/bin/sh\n${delay}echo "$1" >> '${log}'\n[ "$1" = status ] && echo ${power}\nexit 0\n`);
  chmodSync(program, 0o755);
  writeFileSync(log, '');
  const inventoryPath = join(dir, 'inventory.json');
  writeFileSync(inventoryPath, JSON.stringify({ hosts: { cmp1: { bmc: { driver: 'command', command: [program] } } } }));
  const inventory = await loadInventory(inventoryPath, {});
  services = createRunServices({
    inventory,
    inventoryPath,
    env: {},
    cwd: dir,
    warn: () => undefined,
    ...(maxAgeMs !== undefined ? { primedReadMaxAgeMs: maxAgeMs } : {}),
    ...(slow ? { powerNoticeEveryMs: slow.noticeEveryMs } : {}),
  });
}
const calls = (): string[] => readFileSync(log, 'utf8').split('\n').filter(Boolean);

test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a primed read is taken once; a second take reads nothing', async () => {
  await setUp('off');
  services.primePowerStatus!('cmp1');
  services.primePowerStatus!('cmp1'); // priming twice starts one read
  const read = services.takePrimedPowerStatus!('cmp1');
  assert.ok(read);
  assert.is(await read, 'off');
  assert.is(services.takePrimedPowerStatus!('cmp1'), undefined);
  assert.equal(calls(), ['status']);
});

test('a primed read older than its maximum age is not used', async () => {
  await setUp('off', 0);
  services.primePowerStatus!('cmp1');
  await sleep(5);
  assert.is(services.takePrimedPowerStatus!('cmp1'), undefined);
  assert.is(services.takePrimedPowerStatus!('other'), undefined);
});

test('a run that starts with a fence primes its host before its first event, and the check uses that read', async () => {
  await setUp('off');
  const events: RunEvent[] = [];
  let primedAtEvent = -1;
  const spied: RunServices = {
    ...services,
    primePowerStatus: (host) => {
      primedAtEvent = events.length;
      services.primePowerStatus!(host);
    },
  };
  const run = await runRunbook(
    {
      name: 'hf',
      params: { host: { type: 'string', description: 'the host' } },
      steps: [{ id: 'fence', type: 'fence', host: '${params.host}' }],
    },
    { params: { host: 'cmp1' }, services: spied, onEvent: (event) => events.push(event) },
  );
  assert.is(run.exitCode, 0);
  assert.is(primedAtEvent, 0, 'primed before the first event');
  const fence = run.events.find((e): e is StepFinishedEvent => e.event === 'step.finished' && e.stepId === 'fence');
  assert.is(fence?.status, 'unchanged');
  assert.equal(calls(), ['status'], 'one read of the BMC in all');
});

test('a host that is on: one primed read, then power-off at once; a fence out of time is refused (exit 3), not a plain step failure', async () => {
  await setUp('on');
  const run = await runRunbook(
    { name: 'hf', steps: [{ id: 'fence', type: 'fence', host: 'cmp1', timeout: '2s', pollInterval: '100ms' }] },
    { services },
  );
  // the program always answers "on": the fence times out (the step's or the fence's own timer), exit 3
  assert.is(run.exitCode, 3, JSON.stringify(run.summary.error));
  const seen = calls();
  assert.is(seen[0], 'status');
  assert.is(seen[1], 'off', 'the power-off follows the primed read at once (no second read first)');
});

test('a first step with a condition is not primed', async () => {
  await setUp('off');
  let primed = 0;
  const spied: RunServices = { ...services, primePowerStatus: () => void (primed += 1) };
  await runRunbook(
    {
      name: 'hf',
      params: { go: { type: 'boolean', description: 'fence?', default: false } },
      steps: [{ id: 'fence', type: 'fence', host: 'cmp1', when: '${params.go}' }],
    },
    { services: spied },
  );
  assert.is(primed, 0);
});

test("a BMC slow to answer the fence step's calls says so as the step's output (events, journal)", async () => {
  await setUp('on', undefined, { sleepSec: 0.3, noticeEveryMs: 100 });
  const run = await runRunbook(
    { name: 'hf', steps: [{ id: 'fence', type: 'fence', host: 'cmp1', timeout: '2500ms', pollInterval: '100ms' }] },
    { services },
  );
  // the program always answers "on": the fence ends out of time, but it was never silent
  assert.is(run.exitCode, 3);
  const notices = run.events.filter(
    (e) => e.event === 'step.output' && e.stepId === 'fence' && e.message.startsWith('waiting for the BMC of cmp1'),
  );
  assert.ok(notices.length >= 1, JSON.stringify(run.events.map((e) => e.event)));
  assert.ok(
    notices.some((e) => e.event === 'step.output' && /\(command \S+bmc\.sh, power (status|off)\)/.test(e.message)),
  );
  const waits = run.events.filter(
    (e) => e.event === 'step.output' && e.stepId === 'fence' && e.message.includes('waiting for off'),
  );
  assert.ok(waits.length >= 1, 'the read-back loop says what it waits for');
});

test.run();
