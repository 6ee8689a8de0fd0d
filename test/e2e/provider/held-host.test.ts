// The provider honours the one-run-per-host lock, with the real `terraform` against the testbed:
// while a CLI run holds fake3 (fenced, forced down, disabled with its `[forcedown:<run-id>]`
// marker, then in a long `wait` step), `terraform apply` of forcedown_compute_service with
// forced_down = false fails naming the run, and Nova is unchanged. Then the run is stopped
// (SIGINT: it releases its marker) and fake3 is put back: powered on, up, enabled.
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
import { ensureBuilt, loudSkip, terraform, terraformAvailable, workspace, type Workspace } from './harness.js';

const HOST = 'fake3';

interface Context {
  ws: Workspace;
  client: OpenStackClient;
  pid?: number;
  finished?: Promise<CliResult>;
}

const test = suite<Context>('terraform refuses a host a run holds');

function show(run: { status: number | null; stdout: string; stderr: string }): string {
  return `exit ${String(run.status)}\n${run.stdout}\n${run.stderr}`;
}

const HOLDING = {
  name: 'hold-fake3',
  steps: [
    { id: 'fence', type: 'fence', host: HOST, timeout: '60s' },
    { id: 'force-down', type: 'force-down', host: HOST, disable: true, disabledReason: 'e2e: held-host' },
    { id: 'hold', type: 'wait', duration: '10m' },
  ],
};

if (!terraformAvailable()) {
  loudSkip('test/e2e/provider/held-host.test.ts');
  test.skip('terraform apply of a held host fails naming the run', () => undefined);
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
      if (ctx.ws !== undefined) rmSync(ctx.ws.dir, { recursive: true, force: true });
    }
  });

  test('while a run holds fake3, terraform apply with forced_down = false fails naming the run; Nova unchanged', async (ctx) => {
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
      ],
      {},
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

    const dir = join(ws.dir, 'tf');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'main.tf.json'),
      JSON.stringify({
        terraform: { required_providers: { forcedown: { source: 'registry.forcedown.dev/forcedown/forcedown' } } },
        provider: { forcedown: [{ cloud: 'testbed-admin' }] },
        resource: { forcedown_compute_service: { held: { host: HOST, forced_down: false } } },
      }),
    );
    const init = terraform(ws, dir, 'init');
    assert.is(init.status, 0, show(init));
    const apply = terraform(ws, dir, 'apply', '-auto-approve');
    assert.is(apply.status, 1, show(apply));
    assert.match(apply.stderr, `held by forcedown run ${runId}`);
    assert.match(apply.stderr, 'What to do');
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
  });
}

test.run();
