import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EVACUATION_FAILED } from '../../../src/openstack/compute/vocabulary.js';
import type { OpenStackClient, Server } from '../../../src/openstack/index.js';
import {
  adminClient,
  bootServers,
  computeAlive,
  deleteServers,
  ensureHealthy,
  events,
  forcedown,
  ipmitool,
  testbed,
  until,
} from '../support/testbed.js';

/**
 * Issue 12's acceptance on the real testbed, through the CLI binary: 30 servers (2 SHUTOFF, 1
 * PAUSED, 1 SUSPENDED, 1 locked by its owner) evacuated with `concurrency 30`, three rounds in a
 * row, each ending with every server in its original state on another host, none in ERROR, every
 * lock this run took released and the owner's kept; and a server whose evacuation really fails
 * twice (to a disabled target host: NoValidHost) reported failed and left in ERROR.
 */
const test = suite('evacuation under Nova’s failure modes, real testbed');
const PREFIX = 'e2e-evac';
const ROUNDS = ['fake1', 'fake2', 'fake3'];
const OWNER_REASON = 'owner: maintenance, do not touch';
let client: OpenStackClient;
let dir = '';

test.before(async () => {
  client = await adminClient();
  dir = await mkdtemp(join(tmpdir(), 'fd-e2e-evac-'));
  await deleteServers(client, PREFIX);
  for (const compute of testbed().computes) await ensureHealthy(client, compute.host);
});
test.after(async () => {
  try {
    for (const compute of testbed().computes) await ensureHealthy(client, compute.host);
    await deleteServers(client, PREFIX);
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
});

/** 30 servers on `host`: 2 SHUTOFF, then one PAUSED, one SUSPENDED, one locked by its owner (the admin project). */
async function thirtyOn(host: string): Promise<{ servers: Server[]; owned: string }> {
  const booted = await bootServers(client, host, 30, { shutoff: 2, prefix: `${PREFIX}-${host}` });
  const [paused, suspended, owned] = booted.slice(2, 5).map((s) => s.id);
  await client.compute.pauseServer(paused);
  await client.compute.suspendServer(suspended);
  await client.compute.lockServer(owned, { reason: OWNER_REASON });
  await until(
    async () =>
      (await client.compute.getServer(paused)).vmState === 'paused' &&
      (await client.compute.getServer(suspended)).vmState === 'suspended',
    'PAUSED and SUSPENDED',
  );
  return { servers: await Promise.all(booted.map((s) => client.compute.getServer(s.id))), owned };
}

/** Powers the host off through its BMC (the operator's own fence) and waits until Nova may act. */
function fenceByHand(host: string): void {
  ipmitool(host, 'off');
  assert.match(ipmitool(host, 'status').stdout, 'is off');
  assert.not.ok(computeAlive(host));
}

/** What went wrong in a run, in a few lines: its error and the servers it did not evacuate. */
function why(result: { stdout: string; stderr: string }): string {
  const finished = events(result.stdout).find((e) => e.event === 'run.finished') as
    | {
        summary: {
          error?: { code: string; message: string };
          servers: { name: string; result: string; reason?: string }[];
        };
      }
    | undefined;
  if (finished === undefined) return result.stderr.slice(-3000);
  const bad = finished.summary.servers.filter((s) => s.result !== 'evacuated' && s.result !== 'reset');
  return `${finished.summary.error?.code ?? ''}: ${finished.summary.error?.message.slice(0, 1500) ?? ''}
${bad
  .map((s) => `${s.name} ${s.result}: ${s.reason ?? ''}`)
  .join('\n')
  .slice(0, 3000)}`;
}

for (const [round, host] of ROUNDS.entries()) {
  test(`round ${round + 1}/3: 30 servers from ${host}, concurrency 30: all in their original state elsewhere, none in ERROR`, async () => {
    const { servers, owned } = await thirtyOn(host);
    try {
      await oneRound(round, host, servers, owned);
    } finally {
      await ensureHealthy(client, host);
      await deleteServers(client, `${PREFIX}-${host}`);
    }
  });
}

async function oneRound(round: number, host: string, servers: readonly Server[], owned: string): Promise<void> {
  fenceByHand(host);
  const lockSeen: Promise<Server>[] = [];
  const result = await forcedown(
    [
      'run',
      'runbooks/evacuate-only.json',
      '--var',
      `host=${host}`,
      '--var',
      'concurrency=30',
      '--assume-fenced',
      `e2e round ${round + 1}: powered off through its BMC by the test`,
      '--yes',
      '--output',
      'json',
      '--state-dir',
      join(dir, `state-${round}`),
    ],
    {},
    {
      onStdout: (stdout) => {
        // while the run goes on: the first accepted server (not the owner's) is locked, with a reason naming the run
        if (lockSeen.length > 0) return;
        const line = stdout
          .split('\n')
          .find((l) => l.includes('"evacuation.accepted"') && !l.includes(owned) && l.endsWith('}'));
        if (line === undefined) return;
        const id = String((JSON.parse(line) as { data: { serverId: string } }).data.serverId);
        lockSeen.push(client.compute.getServer(id));
      },
    },
  );
  assert.is(result.code, 0, why(result));
  const evs = events(result.stdout);
  const runId = String(evs[0].runId);
  const during = await lockSeen[0];
  assert.ok(during.locked, 'locked during its evacuation');
  assert.match(String(during.lockedReason), `forcedown run ${runId}`);

  for (const before of servers) {
    const after = await client.compute.getServer(before.id);
    assert.ok(after.host !== null && after.host !== host, `${before.name} moved (now on ${after.host})`);
    assert.is(after.vmState, before.vmState, `${before.name}: ${before.vmState} before, ${after.vmState} after`);
    assert.is(after.taskState, null);
    if (before.id === owned) {
      assert.equal([after.locked, after.lockedReason], [true, OWNER_REASON], "the owner's lock is kept");
    } else {
      assert.equal([after.locked, after.lockedReason], [false, null], `${before.name} unlocked`);
    }
    const migrations = await client.compute.listMigrations({ instanceUuid: before.id, migrationType: 'evacuation' });
    const succeeded = migrations.filter((m) => !EVACUATION_FAILED.has(m.status));
    assert.is(succeeded.length, 1, `${before.name}: one evacuation that was not a failed attempt`);
  }
  const evacuate = evs.find((e) => e.event === 'step.finished' && e.stepId === 'evacuate')!;
  const outputs = evacuate.outputs as { evacuated: string[]; failed: string[]; concurrency: Record<string, number> };
  assert.is(outputs.evacuated.length, 30);
  assert.equal(outputs.failed, []);
  const attempts = evs.filter((e) => e.event === 'step.progress' && e.kind === 'evacuation.failed-attempt');
  console.log(
    `  round ${round + 1} (${host}): concurrency ${JSON.stringify(outputs.concurrency)}; failed attempts retried: ${attempts.length}${attempts.length ? ` (${[...new Set(attempts.map((e) => String((e.data as { cause: string }).cause)))].join(', ')})` : ''}; ${String(evacuate.summary)}`,
  );
}

test('an evacuation that really fails twice (target host disabled: NoValidHost) is reported failed, left in ERROR, exit 1', async () => {
  const host = 'fake1';
  const [server] = await bootServers(client, host, 1, { prefix: `${PREFIX}-fail` });
  const target = await client.compute.findComputeService('fake3');
  await client.compute.disableService(target, 'e2e: evacuation target disabled on purpose');
  try {
    fenceByHand(host);
    const runbook = join(dir, 'to-disabled.json');
    await writeFile(
      runbook,
      JSON.stringify({
        name: 'to-disabled',
        params: { host: { type: 'string', description: 'Nova service host' } },
        steps: [
          { id: 'force-down', type: 'force-down', host: '${params.host}' },
          { id: 'evacuate', type: 'evacuate', host: '${params.host}', targetHost: 'fake3', serverRetries: 1 },
          { id: 'reset-failed', type: 'reset-state', only: '${steps.evacuate.failed}', state: 'error' },
        ],
      }),
    );
    const result = await forcedown([
      'run',
      runbook,
      '--var',
      `host=${host}`,
      '--assume-fenced',
      'e2e: powered off through its BMC by the test',
      '--yes',
      '--output',
      'json',
      '--state-dir',
      join(dir, 'state-fail'),
    ]);
    assert.is(result.code, 1, result.stderr.slice(-3000));
    const evs = events(result.stdout);
    const attempts = evs.filter((e) => e.event === 'step.progress' && e.kind === 'evacuation.failed-attempt');
    assert.is(attempts.length, 1, 'one failed attempt retried, the second one final');
    assert.match(String((attempts[0].data as { reason: string }).reason), 'No valid host was found');
    const outputs = evs.find((e) => e.event === 'step.finished' && e.stepId === 'evacuate')!.outputs as {
      failed: string[];
    };
    assert.equal(outputs.failed, [server.id]);
    const after = await client.compute.getServer(server.id);
    assert.equal([after.vmState, after.host, after.locked], ['error', host, false]);
    const migrations = await client.compute.listMigrations({ instanceUuid: server.id, migrationType: 'evacuation' });
    assert.equal(
      migrations.map((m) => m.status),
      ['error', 'error'],
    );
    assert.match(String((evs.at(-1)!.summary as { error: { code: string } }).error.code), 'SERVERS_NOT_EVACUATED');
  } finally {
    await client.compute.enableService(await client.compute.findComputeService('fake3'));
    await ensureHealthy(client, host);
    await deleteServers(client, `${PREFIX}-fail`);
  }
});

test('an evacuation whose retry succeeds (the target host re-enabled after a NoValidHost) is reported evacuated, exit 0', async () => {
  const host = 'fake1';
  const servers = await bootServers(client, host, 2, { prefix: `${PREFIX}-retry` });
  const target = await client.compute.findComputeService('fake3');
  await client.compute.disableService(target, 'e2e: evacuation target disabled until the first failure');
  let enabled: Promise<unknown> | undefined;
  try {
    fenceByHand(host);
    const runbook = join(dir, 'to-fake3.json');
    await writeFile(
      runbook,
      JSON.stringify({
        name: 'to-fake3',
        params: { host: { type: 'string', description: 'Nova service host' } },
        steps: [
          { id: 'force-down', type: 'force-down', host: '${params.host}' },
          { id: 'evacuate', type: 'evacuate', host: '${params.host}', targetHost: 'fake3', serverRetries: 5 },
          { id: 'reset-failed', type: 'reset-state', only: '${steps.evacuate.failed}', state: 'error' },
        ],
      }),
    );
    const result = await forcedown(
      [
        'run',
        runbook,
        '--var',
        `host=${host}`,
        '--assume-fenced',
        'e2e: powered off through its BMC by the test',
        '--yes',
        '--output',
        'json',
        '--state-dir',
        join(dir, 'state-retry'),
      ],
      {},
      {
        onStdout: (stdout) => {
          // Nova failed a first attempt: the operator fixes the cause while forcedown retries
          if (enabled === undefined && stdout.includes('"evacuation.failed-attempt"'))
            enabled = client.compute.enableService(target);
        },
      },
    );
    assert.is(result.code, 0, why(result));
    const evs = events(result.stdout);
    const attempts = evs.filter((e) => e.event === 'step.progress' && e.kind === 'evacuation.failed-attempt');
    assert.ok(attempts.length >= 1, 'at least one attempt failed first');
    assert.match(String((attempts[0].data as { reason: string }).reason), 'No valid host was found');
    const outputs = evs.find((e) => e.event === 'step.finished' && e.stepId === 'evacuate')!.outputs as {
      evacuated: string[];
      results: { id: string; attempts: number }[];
    };
    assert.equal([...outputs.evacuated].sort(), servers.map((s) => s.id).sort());
    assert.ok(
      outputs.results.some((r) => r.attempts > 1),
      'reported evacuated after more than one attempt',
    );
    for (const server of servers) {
      const after = await client.compute.getServer(server.id);
      assert.equal([after.vmState, after.host, after.locked], ['active', 'fake3', false]);
    }
  } finally {
    await enabled;
    await client.compute.enableService(await client.compute.findComputeService('fake3'));
    await ensureHealthy(client, host);
    await deleteServers(client, `${PREFIX}-retry`);
  }
});

test.run();
