/**
 * "A forcedown run holds the host" for the provider e2e suites that check Terraform refuses such a
 * host (held-host.test.ts: the Nova marker; etcd-lock.test.ts: the etcd lock): the suite's
 * hooks (provider built, workspace, admin client, the host healthy before and after, a run still
 * holding it stopped by SIGINT), the CLI run that fences the host, forces it down (disabled with
 * its `[forcedown:<run-id>]` marker) and then waits 10 minutes, `terraform apply` of
 * forced_down = false on it, and the stop that releases it.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ComputeService, OpenStackClient } from '../../../src/openstack/index.js';
import {
  adminClient as tbClient,
  ensureHealthy,
  events,
  forcedown,
  testbed,
  type CliResult,
} from '../support/testbed.js';
import { ensureBuilt, terraform, workspace, type Run, type Workspace } from './harness.js';

/** The suite's context: `pid` and `finished` while the holding run is alive. */
export interface HeldRunContext {
  ws: Workspace;
  client: OpenStackClient;
  pid?: number;
  finished?: Promise<CliResult>;
}

/** A process result for assertion messages. */
export function show(run: { status: number | null; stdout: string; stderr: string }): string {
  return `exit ${String(run.status)}\n${run.stdout}\n${run.stderr}`;
}

/** The runbook that holds `host`: fence, force down (disabled, `disabledReason`), then a 10-minute wait. */
function holdingRunbook(host: string, disabledReason: string): Record<string, unknown> {
  return {
    name: `hold-${host}`,
    steps: [
      { id: 'fence', type: 'fence', host, timeout: '60s' },
      { id: 'force-down', type: 'force-down', host, disable: true, disabledReason },
      { id: 'hold', type: 'wait', duration: '10m' },
    ],
  };
}

/**
 * Registers the suite's hooks. Before: provider built, workspace, admin client, `host` healthy.
 * After: a holding run still alive stopped (SIGINT, waited for), `host` healthy; then, whatever
 * failed, the client closed, `afterClose` (e.g. the suite's etcd keys dropped), the workspace removed.
 */
export function heldRunHooks(test: Test<HeldRunContext>, host: string, afterClose?: () => Promise<void>): void {
  test.before(async (ctx) => {
    ensureBuilt();
    ctx.ws = workspace();
    ctx.client = await tbClient();
    await ensureHealthy(ctx.client, host);
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
      if (ctx.client !== undefined) await ensureHealthy(ctx.client, host);
    } finally {
      await ctx.client?.close();
      await afterClose?.();
      if (ctx.ws !== undefined) rmSync(ctx.ws.dir, { recursive: true, force: true });
    }
  });
}

/**
 * Starts the CLI run that holds `host` (`extraArgs` after `--state-dir`, `env` on top of the
 * testbed's) and waits until it is in its `wait` step; asserts Nova shows the host forced down,
 * disabled and marked with the run id. Returns the run id and that service.
 */
export async function holdHost(
  ctx: HeldRunContext,
  host: string,
  disabledReason: string,
  extraArgs: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<{ runId: string; before: ComputeService }> {
  const file = join(ctx.ws.dir, 'hold.json');
  writeFileSync(file, JSON.stringify(holdingRunbook(host, disabledReason)));
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
      join(ctx.ws.dir, 'state'),
      ...extraArgs,
    ],
    env,
    {
      onStdout: (stdout, pid) => {
        ctx.pid = pid;
        const started = events(stdout.slice(0, stdout.lastIndexOf('\n') + 1));
        if (started.some((e) => e.event === 'step.started' && e.stepId === 'hold')) holding(String(started[0]?.runId));
      },
    },
  );
  const runId = await Promise.race([
    held,
    ctx.finished.then((r) => {
      throw new Error(`the run ended before holding ${host}:\n${r.stdout}\n${r.stderr}`);
    }),
  ]);
  const before = await ctx.client.compute.findComputeService(host);
  assert.ok(before.forcedDown && before.status === 'disabled', `held: ${JSON.stringify(before)}`);
  assert.match(before.disabledReason ?? '', `[forcedown:${runId}]`);
  return { runId, before };
}

/** Stops the holding run (SIGINT) and asserts it stopped unsuccessfully and released its marker on `host`. */
export async function releaseHold(ctx: HeldRunContext, host: string, runId: string): Promise<void> {
  process.kill(ctx.pid!, 'SIGINT');
  const result = await ctx.finished!;
  ctx.pid = undefined;
  assert.ok(
    result.code !== 0,
    `stopped: ${show({ status: result.code, stdout: result.stdout, stderr: result.stderr })}`,
  );
  const released = await ctx.client.compute.findComputeService(host);
  assert.match(released.disabledReason ?? '', `[forcedown:${runId} released]`);
}

/**
 * `terraform init` (asserted to succeed) and `terraform apply` (asserted to exit 1) in `<ws>/tf` of
 * forcedown_compute_service `held` with forced_down = false on `host`, `provider` its provider
 * block. Returns the apply for the suite's assertions on the refusal.
 */
export function applyOnHeldHost(ctx: HeldRunContext, host: string, provider: Record<string, unknown>): Run {
  const { ws } = ctx;
  const dir = join(ws.dir, 'tf');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'main.tf.json'),
    JSON.stringify({
      terraform: { required_providers: { forcedown: { source: 'registry.forcedown.dev/forcedown/forcedown' } } },
      provider: { forcedown: [provider] },
      resource: { forcedown_compute_service: { held: { host, forced_down: false } } },
    }),
  );
  const init = terraform(ws, dir, 'init');
  assert.is(init.status, 0, show(init));
  const apply = terraform(ws, dir, 'apply', '-auto-approve');
  assert.is(apply.status, 1, show(apply));
  return apply;
}

/** Asserts Nova shows `host` as it was `before` (forced down, status, disabled reason). */
export async function assertNovaUnchanged(ctx: HeldRunContext, host: string, before: ComputeService): Promise<void> {
  const after = await ctx.client.compute.findComputeService(host);
  assert.equal(
    [after.forcedDown, after.status, after.disabledReason],
    [before.forcedDown, before.status, before.disabledReason],
    'Nova unchanged',
  );
}
