import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpenStackClient } from '../../../src/openstack/index.js';
import { adminClient, computeAlive, ensureHealthy, events, forcedown, testbed } from '../support/testbed.js';

/**
 * Issue 13's acceptance on the real testbed: a run checks everything before its first action.
 * A runbook whose step after the fence gets an invalid value through a param never powers the
 * host off: the BMC's own log (ipmi_sim's, /tmp/forcedown-testbed/log/bmc-<host>.log) shows no
 * call at all, and Nova is untouched. A host real Nova does not know is found by pre-flight's
 * reads, again before the BMC is called.
 */
const test = suite('pre-flight on the real testbed');
const HOST = 'fake1';
let client: OpenStackClient;
let dir = '';

const bmcLog = (): string => readFileSync(join(testbed().logDir, `bmc-${HOST}.log`), 'utf8');

/** `forcedown run RUNBOOK --var ... --yes --output json` against the testbed, with this suite's state dir. */
const runOnTestbed = (runbook: string, inventory: string, vars: readonly string[]): ReturnType<typeof forcedown> =>
  forcedown([
    'run',
    runbook,
    ...vars.flatMap((v) => ['--var', v]),
    '--inventory',
    inventory,
    '--yes',
    '--output',
    'json',
    '--state-dir',
    join(dir, 'state'),
  ]);

test.before(async () => {
  client = await adminClient();
  dir = await mkdtemp(join(tmpdir(), 'fd-e2e-preflight-'));
  await ensureHealthy(client, HOST);
});

test.after(async () => {
  try {
    await ensureHealthy(client, HOST);
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a bad value for the wait after the fence: exit 2, the BMC never called, Nova untouched', async () => {
  const runbook = join(dir, 'fence-then-wait.json');
  await writeFile(
    runbook,
    JSON.stringify({
      name: 'fence-then-wait',
      params: {
        host: { type: 'string', description: 'the host' },
        settle: { type: 'string', description: 'how long to let the host settle after the fence' },
      },
      steps: [
        { id: 'fence', type: 'fence', host: '${params.host}' },
        { id: 'settle', type: 'wait', duration: '${params.settle}' },
        { id: 'down', type: 'force-down', host: '${params.host}' },
      ],
    }),
  );
  const before = bmcLog();
  const result = await runOnTestbed(runbook, testbed().inventory, [`host=${HOST}`, 'settle=30 seconds']);
  assert.is(result.code, 2, result.stderr + result.stdout.slice(-2000));
  assert.is(bmcLog(), before, `the BMC log has no new line:\n${bmcLog().slice(before.length)}`);
  assert.ok(computeAlive(HOST), 'the host is still powered');
  const service = await client.compute.findComputeService(HOST);
  assert.equal([service.forcedDown, service.status], [false, 'enabled']);
  const evs = events(result.stdout);
  assert.not.ok(
    evs.some((e) => e.event === 'step.started'),
    'no step started',
  );
  const failed = evs.filter((e) => e.event === 'step.finished');
  assert.equal(
    failed.map((e) => [e.stepId, (e.error as { code: string }).code]),
    [['settle', 'RESOLVED_STEP_INVALID']],
  );
  const runs = await forcedown(['runs', '--state-dir', join(dir, 'state')]);
  assert.match(runs.stdout, 'invalid (nothing done) (exit 2)');
});

test('a host Nova does not know: pre-flight reads Nova and stops, exit 2, before the BMC is called', async () => {
  const inventory = JSON.parse(await readFile(testbed().inventory, 'utf8')) as { hosts: Record<string, unknown> };
  inventory.hosts['fake-unknown'] = inventory.hosts[HOST]; // its BMC is fake1's: a call would show in that log
  const file = join(dir, 'inventory.json');
  await writeFile(file, JSON.stringify(inventory));
  const before = bmcLog();
  const result = await runOnTestbed('runbooks/host-failure.json', file, ['host=fake-unknown']);
  assert.is(result.code, 2, result.stderr + result.stdout.slice(-2000));
  assert.is(bmcLog(), before, `the BMC log has no new line:\n${bmcLog().slice(before.length)}`);
  const failed = events(result.stdout).filter((e) => e.event === 'step.finished');
  assert.is(failed.length, 1);
  assert.is(failed[0].stepId, 'force-down');
  assert.match((failed[0].error as { message: string }).message, 'fake-unknown');
  assert.ok(computeAlive(HOST));
});

test.run();
