/**
 * Issue 14's acceptance on the real testbed (Nova + ipmi_sim + the 3-member etcd): CLI runs that
 * coordinate through etcd. Two runs of host-failure for one host from two state dirs (two
 * "machines"): the second is refused with exit 3 naming the first before its fence (the BMC log
 * gets one power-off). One etcd member stopped mid-run: the run completes. The lease lost between
 * fence and force-down (two members stopped during a wait after the fence): no force-down,
 * exit 3; `resume` from another state dir once etcd is back finds the run in etcd's mirror and
 * completes it. Every member is started again and every host put back, also on failure.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpenStackClient } from '../../../src/openstack/index.js';
import {
  adminClient,
  bootServers,
  computeAlive,
  deleteServers,
  ensureHealthy,
  events,
  forcedown,
  testbed,
  type CliResult,
} from '../support/testbed.js';
import { allMembersUp, dropPrefix, member, testbedEtcd, uniquePrefix } from './etcd-support.js';

const test = suite('runs coordinated through etcd on the real testbed');
const HOST = 'fake2';
const SERVERS = 'e2e-etcd-runs';
const TTL = 6;
const prefix = uniquePrefix('runs');
let client: OpenStackClient;
let dir = '';

/** The etcd settings every run of this suite uses (its own key prefix; a short lease). */
const etcdEnv = (): Record<string, string> => ({
  FORCEDOWN_ETCD_PREFIX: prefix,
  FORCEDOWN_ETCD_LEASE_TTL: String(TTL),
  FORCEDOWN_ETCD_TIMEOUT: '3',
});
const endpoints = (): string => testbedEtcd().endpoints.join(',');
const bmcLog = (): string => readFileSync(join(testbed().logDir, `bmc-${HOST}.log`), 'utf8');
const powerOffs = (log: string): number => (log.match(/set power 0/g) ?? []).length;
const why = (r: CliResult): string => `exit ${r.code}\n${r.stderr}\n${r.stdout.slice(-3000)}`;

/** `forcedown run RUNBOOK --var host=HOST --etcd ... --yes --output json` from `state`. */
function run(
  runbook: string,
  state: string,
  onStdout?: (stdout: string, pid: number) => void,
  extra: readonly string[] = [],
): Promise<CliResult> {
  return forcedown(
    [
      'run',
      runbook,
      '--var',
      `host=${HOST}`,
      ...extra,
      '--inventory',
      testbed().inventory,
      '--etcd',
      endpoints(),
      '--yes',
      '--output',
      'json',
      '--state-dir',
      state,
    ],
    etcdEnv(),
    onStdout ? { onStdout } : {},
  );
}

/** Has the run (its JSON events so far) started step `stepId`? */
const started = (stdout: string, stepId: string): boolean =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('step.started'))
    .some((line) => {
      try {
        const event = JSON.parse(line) as { event?: string; stepId?: string };
        return event.event === 'step.started' && event.stepId === stepId;
      } catch {
        return false; // a line still being written
      }
    });

test.before(async () => {
  await allMembersUp();
  client = await adminClient();
  dir = await mkdtemp(join(tmpdir(), 'fd-e2e-etcd-runs-'));
  await deleteServers(client, SERVERS);
  for (const compute of testbed().computes) await ensureHealthy(client, compute.host);
});
test.after.each(async () => {
  try {
    await allMembersUp();
  } finally {
    await ensureHealthy(client, HOST);
    await deleteServers(client, SERVERS);
  }
});
test.after(async () => {
  try {
    await allMembersUp();
    await dropPrefix(prefix);
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('two runs for one host from two state dirs: the second refused (exit 3, naming the first) before its fence', async () => {
  await bootServers(client, HOST, 4, { prefix: SERVERS });
  const before = bmcLog();
  let second: Promise<CliResult> | undefined;
  const first = await run('runbooks/host-failure.json', join(dir, 'machine-a'), (stdout) => {
    if (!second && started(stdout, 'fence')) second = run('runbooks/host-failure.json', join(dir, 'machine-b'));
  });
  assert.ok(second, `the second run was started while the first held the host; ${why(first)}`);
  const refused = await second;
  assert.is(first.code, 0, why(first));
  const firstId = String(events(first.stdout)[0].runId);
  assert.is(refused.code, 3, why(refused));
  assert.match(refused.stderr + refused.stdout, firstId, 'the refusal names the run holding the host');
  assert.not.ok(
    events(refused.stdout).some((e) => e.event === 'step.started'),
    'the refused run started no step',
  );
  const added = bmcLog().slice(before.length);
  assert.is(powerOffs(added), 1, `exactly one power-off in the BMC log:\n${added}`);
  assert.is((await client.compute.findComputeService(HOST)).forcedDown, true);
});

test('one etcd member stopped in the middle of a run: the run completes', async () => {
  await bootServers(client, HOST, 2, { prefix: SERVERS });
  let stopped = false;
  const result = await run('runbooks/host-failure.json', join(dir, 'machine-c'), (stdout) => {
    if (!stopped && started(stdout, 'fence')) {
      stopped = true;
      member('stop', 1);
    }
  });
  assert.ok(stopped, `a member was stopped during the run; ${why(result)}`);
  assert.is(result.code, 0, why(result));
  assert.equal(
    events(result.stdout)
      .filter((e) => e.event === 'step.finished')
      .map((e) => [e.stepId, e.status]),
    [
      ['fence', 'changed'],
      ['force-down', 'changed'],
      ['evacuate', 'changed'],
      ['reset-failed', 'unchanged'],
    ],
  );
  assert.is((await client.compute.listServersOnHost(HOST)).length, 0);
});

test('lease lost between fence and force-down: no force-down (exit 3); resume from another state dir completes it', async () => {
  await bootServers(client, HOST, 2, { prefix: SERVERS });
  const runbook = join(dir, 'fence-wait-down.json');
  await writeFile(
    runbook,
    JSON.stringify({
      name: 'fence-wait-down',
      params: { host: { type: 'string', description: 'the host' } },
      steps: [
        { id: 'fence', type: 'fence', host: '${params.host}' },
        { id: 'settle', type: 'wait', duration: '25s' },
        { id: 'force-down', type: 'force-down', host: '${params.host}', disable: true },
        { id: 'evacuate', type: 'evacuate', host: '${params.host}', serverTimeout: '5m' },
      ],
    }),
  );
  let cut = false;
  const first = await run(runbook, join(dir, 'machine-d'), (stdout) => {
    if (!cut && started(stdout, 'settle')) {
      cut = true;
      member('stop', 2);
      member('stop', 3);
    }
  });
  assert.ok(cut, `two members were stopped during the wait; ${why(first)}`);
  assert.is(first.code, 3, why(first));
  assert.match(first.stderr + first.stdout, 'COORDINATION_LEASE_LOST');
  const finished = events(first.stdout).filter((e) => e.event === 'step.finished');
  assert.not.ok(
    finished.some((e) => e.stepId === 'force-down' && e.status !== 'failed' && e.status !== 'skipped'),
    'force-down was not applied',
  );
  assert.not.ok(computeAlive(HOST), 'the fence happened');
  const service = await client.compute.findComputeService(HOST);
  assert.equal([service.forcedDown, service.status], [false, 'enabled'], 'Nova not forced down, not disabled');

  await allMembersUp();
  const runId = String(events(first.stdout)[0].runId);
  const resumed = await forcedown(
    ['resume', runId, '--etcd', endpoints(), '--yes', '--output', 'json', '--state-dir', join(dir, 'machine-e')],
    etcdEnv(),
  );
  assert.is(resumed.code, 0, why(resumed));
  const steps = events(resumed.stdout).filter((e) => e.event === 'step.finished');
  assert.equal(
    steps.map((e) => [e.stepId, e.fromJournal === true]),
    [
      ['fence', true],
      ['settle', steps.find((e) => e.stepId === 'settle')?.fromJournal === true],
      ['force-down', false],
      ['evacuate', false],
    ],
  );
  const after = await client.compute.findComputeService(HOST);
  assert.ok(after.forcedDown, 'forced down by the resumed run');
  assert.is((await client.compute.listServersOnHost(HOST)).length, 0, 'evacuated');
});

test('an etcd nobody answers on: refused at lock time (exit 3, what to do:), before the fence', async () => {
  const before = bmcLog();
  const result = await forcedown(
    [
      'run',
      'runbooks/host-failure.json',
      '--var',
      `host=${HOST}`,
      '--inventory',
      testbed().inventory,
      '--etcd',
      'http://127.0.0.1:1',
      '--yes',
      '--output',
      'json',
      '--state-dir',
      join(dir, 'machine-f'),
    ],
    { ...etcdEnv(), FORCEDOWN_ETCD_TIMEOUT: '2' },
  );
  assert.is(result.code, 3, why(result));
  // with --output json the error is in run.finished (text output prints it on stderr)
  const error = (events(result.stdout).at(-1)?.summary as { error?: Record<string, string> } | undefined)?.error;
  assert.is(error?.code, 'COORDINATION_UNAVAILABLE', why(result));
  assert.is(error?.kind, 'refused');
  assert.match(error?.hint ?? '', 'nothing was changed');
  assert.not.match(result.stderr, /INTERNAL_ERROR|\n\s+at /);
  assert.not.ok(
    events(result.stdout).some((e) => e.event === 'step.started'),
    'no step started',
  );
  assert.is(powerOffs(bmcLog().slice(before.length)), 0, 'the BMC was not called');
  assert.ok(computeAlive(HOST));
});

test.run();
