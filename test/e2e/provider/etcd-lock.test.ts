// The provider honours the etcd host lock (issue 14), with the real `terraform` and the testbed's
// 3-member etcd: while a CLI run with --etcd holds fake3 (its key <prefix>/<region>/hosts/fake3;
// fenced, forced down, then a long `wait` step), `terraform apply` with the provider's
// `coordination` block fails naming the run, and Nova and the key are unchanged. Then the run is
// stopped (SIGINT) and fake3 is put back: powered on, up, enabled; the suite's keys are dropped.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpenStackClient } from '../../../src/openstack/index.js';
import {
  adminClient as tbClient,
  ensureHealthy,
  events,
  forcedown,
  testbed,
  type CliResult,
} from '../support/testbed.js';
import { dropPrefix, rawClient, testbedEtcd, uniquePrefix } from '../coordination/etcd-support.js';
import { ensureBuilt, loudSkip, terraform, terraformAvailable, workspace, type Workspace } from './harness.js';

const HOST = 'fake3';
const PREFIX = uniquePrefix('provider-lock');
const REGION = 'RegionOne';

interface Context {
  ws: Workspace;
  client: OpenStackClient;
  pid?: number;
  finished?: Promise<CliResult>;
}

const test = suite<Context>('terraform refuses a host a run holds in etcd');

function show(run: { status: number | null; stdout: string; stderr: string }): string {
  return `exit ${String(run.status)}\n${run.stdout}\n${run.stderr}`;
}

const HOLDING = {
  name: 'hold-fake3',
  steps: [
    { id: 'fence', type: 'fence', host: HOST, timeout: '60s' },
    { id: 'force-down', type: 'force-down', host: HOST, disable: true, disabledReason: 'e2e: etcd-lock' },
    { id: 'hold', type: 'wait', duration: '10m' },
  ],
};

if (!terraformAvailable()) {
  loudSkip('test/e2e/provider/etcd-lock.test.ts');
  test.skip('terraform apply of a host locked in etcd fails naming the run', () => undefined);
} else {
  test.before(async (ctx) => {
    ensureBuilt();
    ctx.ws = workspace();
    ctx.client = await tbClient();
    await ensureHealthy(ctx.client, HOST);
  });

  test.after(async (ctx) => {
    try {
      if (ctx.pid !== undefined) {
        try {
          process.kill(ctx.pid, 'SIGINT');
        } catch {
          // already gone
        }
        await ctx.finished;
      }
      if (ctx.client !== undefined) await ensureHealthy(ctx.client, HOST);
    } finally {
      await ctx.client?.close();
      await dropPrefix(PREFIX);
      if (ctx.ws !== undefined) rmSync(ctx.ws.dir, { recursive: true, force: true });
    }
  });

  test('while a run holds fake3 in etcd, terraform apply with a coordination block fails naming the run', async (ctx) => {
    const { ws, client } = ctx;
    const file = join(ws.dir, 'hold.json');
    writeFileSync(file, JSON.stringify(HOLDING));
    let holding: (value: string) => void = () => undefined;
    const held = new Promise<string>((resolve) => (holding = resolve));
    ctx.finished = forcedown(
      [
        'run',
        file,
        '--inventory',
        testbed().inventory,
        '--yes',
        '--output',
        'json',
        '--state-dir',
        join(ws.dir, 'state'),
        '--etcd',
        testbedEtcd().endpoints.join(','),
      ],
      { FORCEDOWN_ETCD_PREFIX: PREFIX, FORCEDOWN_ETCD_REGION: REGION, FORCEDOWN_ETCD_TIMEOUT: '3' },
      {
        onStdout: (stdout, pid) => {
          ctx.pid = pid;
          const started = events(stdout.slice(0, stdout.lastIndexOf('\n') + 1));
          if (started.some((e) => e.event === 'step.started' && e.stepId === 'hold'))
            holding(String(started[0]?.runId));
        },
      },
    );
    const runId = await Promise.race([
      held,
      ctx.finished.then((r) => {
        throw new Error(`the run ended before holding ${HOST}:\n${r.stdout}\n${r.stderr}`);
      }),
    ]);
    const before = await client.compute.findComputeService(HOST);
    assert.ok(before.forcedDown && before.status === 'disabled', `held: ${JSON.stringify(before)}`);
    assert.match(before.disabledReason ?? '', `[forcedown:${runId}]`);
    const key = `${PREFIX}/${REGION}/hosts/${HOST}`;
    const etcd = rawClient();
    const lockValue = async (): Promise<string | null> => etcd.get(key).string();
    const locked = await lockValue();
    assert.match(locked ?? '', `"runId":"${runId}"`, `the run holds ${key}`);

    const dir = join(ws.dir, 'tf');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'main.tf.json'),
      JSON.stringify({
        terraform: { required_providers: { forcedown: { source: 'registry.forcedown.dev/forcedown/forcedown' } } },
        provider: {
          forcedown: [
            {
              cloud: 'testbed-admin',
              coordination: { endpoints: [...testbedEtcd().endpoints], prefix: PREFIX, region: REGION, timeout: 3 },
            },
          ],
        },
        resource: { forcedown_compute_service: { held: { host: HOST, forced_down: false } } },
      }),
    );
    const init = terraform(ws, dir, 'init');
    assert.is(init.status, 0, show(init));
    const apply = terraform(ws, dir, 'apply', '-auto-approve');
    assert.is(apply.status, 1, show(apply));
    assert.match(apply.stderr, `locked in etcd by forcedown run ${runId}`);
    assert.match(apply.stderr, 'What to do');
    try {
      assert.is(await lockValue(), locked, 'the etcd key is unchanged');
    } finally {
      etcd.close();
    }
    const after = await client.compute.findComputeService(HOST);
    assert.equal(
      [after.forcedDown, after.status, after.disabledReason],
      [before.forcedDown, before.status, before.disabledReason],
      'Nova unchanged',
    );

    // the run still holds the host; stopping it releases its marker
    process.kill(ctx.pid!, 'SIGINT');
    const result = await ctx.finished;
    ctx.pid = undefined;
    assert.ok(
      result.code !== 0,
      `stopped: ${show({ status: result.code, stdout: result.stdout, stderr: result.stderr })}`,
    );
    const released = await client.compute.findComputeService(HOST);
    assert.match(released.disabledReason ?? '', `[forcedown:${runId} released]`);
    const etcdAfter = rawClient();
    try {
      assert.is(await etcdAfter.get(key).string(), null, 'the run released its etcd lock');
    } finally {
      etcdAfter.close();
    }
  });
}

test.run();
