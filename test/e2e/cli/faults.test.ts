import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpenStackClient, Server } from '../../../src/openstack/index.js';
import {
  adminClient,
  bootServers,
  deleteServers,
  ensureHealthy,
  events,
  forcedown,
  stopNovaApi,
  testbed,
} from '../support/testbed.js';

/**
 * Issue 7's acceptance on the real testbed: kill -9 of the runner during the evacuation of 12
 * servers, then `resume` (each server evacuated exactly once); nova-api stopped for 15 s in the
 * middle of a run; a second concurrent run on the same host refused.
 */
const test = suite('faults on the real testbed');
const HOST = 'fake1';
const PREFIX = 'e2e-faults';
let client: OpenStackClient;
let dir = '';

test.before(async () => {
  client = await adminClient();
  dir = await mkdtemp(join(tmpdir(), 'fd-e2e-faults-'));
  await deleteServers(client, PREFIX);
  for (const compute of testbed().computes) await ensureHealthy(client, compute.host);
});
test.after.each(async () => {
  await ensureHealthy(client, HOST);
  await deleteServers(client, PREFIX);
});
test.after(async () => {
  await client.close();
  await rm(dir, { recursive: true, force: true });
});

async function evacuationsOf(server: Server, since: string): Promise<number> {
  const migrations = await client.compute.listMigrations({ instanceUuid: server.id, migrationType: 'evacuation' });
  return migrations.filter((m) => `${m.createdAt}Z` >= since || m.createdAt >= since.slice(0, 19)).length;
}

test('kill -9 during the evacuation of 12 servers, then resume: every server evacuated exactly once', async () => {
  const servers = await bootServers(client, HOST, 12, { shutoff: 1, prefix: PREFIX });
  const since = new Date(Date.now() - 5_000).toISOString().slice(0, 19);
  const state = join(dir, 'state-kill');
  let killed = false;
  const first = await forcedown(
    [
      'run',
      'runbooks/host-failure.json',
      '--var',
      `host=${HOST}`,
      '--var',
      'concurrency=3',
      '--inventory',
      testbed().inventory,
      '--yes',
      '--output',
      'json',
      '--state-dir',
      state,
    ],
    {},
    {
      onStdout: (stdout, pid) => {
        if (!killed && (stdout.match(/"evacuation\.accepted"/g) ?? []).length >= 4) {
          killed = true;
          process.kill(pid, 'SIGKILL');
        }
      },
    },
  );
  assert.ok(killed, 'the runner was killed during the evacuation');
  assert.is(first.code, null, 'killed by a signal');
  const runId = String(events(first.stdout)[0].runId);
  const runs = await forcedown(['runs', '--state-dir', state]);
  assert.match(runs.stdout, `${runId}`);
  assert.match(runs.stdout, 'incomplete');

  const resumed = await forcedown(['resume', runId, '--yes', '--output', 'json', '--state-dir', state]);
  assert.is(resumed.code, 0, resumed.stderr + resumed.stdout.slice(-3000));
  const finished = events(resumed.stdout).filter((e) => e.event === 'step.finished');
  assert.equal(
    finished.map((e) => [e.stepId, e.fromJournal === true]),
    [
      ['fence', true],
      ['force-down', true],
      ['evacuate', false],
      ['reset-failed', false],
    ],
  );
  for (const server of servers) {
    assert.is(await evacuationsOf(server, since), 1, `${server.name}: exactly one evacuation migration`);
    const now = await client.compute.getServer(server.id);
    assert.ok(now.host !== HOST, `${server.name} moved`);
    assert.is(now.vmState, server.vmState, `${server.name} kept ${server.vmState}`);
  }
  const evacuate = finished.find((e) => e.stepId === 'evacuate')!;
  assert.is((evacuate.outputs as { evacuated: string[] }).evacuated.length, 12, 'the resumed run accounts for all 12');
});

test('nova-api stopped for 15 s in the middle of a run is ridden out', async () => {
  const servers = await bootServers(client, HOST, 8, { prefix: PREFIX });
  const since = new Date(Date.now() - 5_000).toISOString().slice(0, 19);
  let outage: Promise<void> | undefined;
  const result = await forcedown(
    [
      'run',
      'runbooks/host-failure.json',
      '--var',
      `host=${HOST}`,
      '--var',
      'concurrency=2',
      '--inventory',
      testbed().inventory,
      '--yes',
      '--output',
      'json',
      '--state-dir',
      join(dir, 'state-api'),
    ],
    {},
    {
      onStdout: (stdout) => {
        if (!outage && stdout.includes('"evacuation.accepted"')) {
          outage = (async () => {
            const restart = await stopNovaApi();
            await new Promise((resolve) => setTimeout(resolve, 15_000));
            await restart();
          })();
        }
      },
    },
  );
  assert.ok(outage, 'nova-api was stopped during the evacuation');
  await outage;
  assert.is(result.code, 0, result.stderr + result.stdout.slice(-3000));
  for (const server of servers) {
    assert.is(await evacuationsOf(server, since), 1, `${server.name}: exactly one evacuation`);
    assert.ok((await client.compute.getServer(server.id)).host !== HOST);
  }
});

test('a second run on the same host is refused (exit 3) naming the holder, on this machine and through Nova', async () => {
  await bootServers(client, HOST, 10, { prefix: PREFIX });
  const state = join(dir, 'state-lock');
  let second: Promise<{ code: number | null; stderr: string; stdout: string }> | undefined;
  let third: Promise<{ code: number | null; stderr: string; stdout: string }> | undefined;
  const args = (stateDir: string): string[] => [
    'run',
    'runbooks/host-failure.json',
    '--var',
    `host=${HOST}`,
    '--var',
    'concurrency=1',
    '--inventory',
    testbed().inventory,
    '--yes',
    '--output',
    'json',
    '--state-dir',
    stateDir,
  ];
  const first = await forcedown(
    args(state),
    {},
    {
      onStdout: (stdout) => {
        if (!second && stdout.includes('"evacuation.accepted"')) {
          // same machine, same state dir: the local lock
          second = forcedown(args(state));
          // "another machine": its own state dir; the marker in Nova's disabled reason
          third = forcedown(args(join(dir, 'state-other-machine')));
        }
      },
    },
  );
  assert.is(first.code, 0, first.stderr);
  const runId = String(events(first.stdout)[0].runId);
  const local = await second!;
  assert.is(local.code, 3, local.stderr);
  assert.match(local.stdout + local.stderr, 'HOST_LOCKED');
  assert.match(local.stdout + local.stderr, runId);
  const remote = await third!;
  assert.is(remote.code, 3, remote.stderr + remote.stdout.slice(-1500));
  assert.match(remote.stdout, 'HOST_LOCKED');
  assert.match(remote.stdout, runId);
  const remoteSteps = events(remote.stdout)
    .filter((e) => e.event === 'step.finished')
    .map((e) => [e.stepId, e.status]);
  assert.equal(remoteSteps, [
    ['fence', 'unchanged'],
    ['force-down', 'failed'],
  ]);
});

test.run();
