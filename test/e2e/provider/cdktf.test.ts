// The repo's cdktf app (cdktf.json → dist/iac/main.js) driven by the real cdktf CLI and terraform:
// `cdktf deploy --skip-provider-lock` of a desired state forces fake2 down; `cdktf diff` shows a
// drift made behind its back; changing the host to healthy is an in-place update that brings it
// back; `cdktf destroy` leaves it up and enabled. The host is put back in every case.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpenStackClient } from '../../../src/openstack/index.js';
import {
  adminClient,
  ensureBuilt,
  ensureNodePty,
  loudSkip,
  restore,
  root,
  run,
  settled,
  terraformAvailable,
  workspace,
  type Run,
  type Workspace,
} from './harness.js';

const HOST = 'fake2';
const STACK = 'e2e';

interface Context {
  ws: Workspace;
  client: OpenStackClient;
  file: string;
  out: string;
}

const test = suite<Context>('cdktf deploy of the desired-state app');
const cdktf = join(root, 'node_modules/cdktf-cli/bundle/bin/cdktf');

function show(result: Run): string {
  return `exit ${String(result.status)}\n${result.stdout}\n${result.stderr}`;
}

function desired(ctx: Context, host: Record<string, unknown>): void {
  writeFileSync(
    ctx.file,
    JSON.stringify(
      { stack: STACK, statePath: 'e2e.tfstate', provider: { cloud: 'testbed-admin' }, hosts: { [HOST]: host } },
      null,
      2,
    ),
  );
}

function cdk(ctx: Context, ...args: string[]): Run {
  return run(
    ctx.ws,
    root,
    process.execPath,
    [cdktf, ...args, '--output', ctx.out],
    { FORCEDOWN_DESIRED_STATE: ctx.file, CI: '1', FORCE_COLOR: '0' },
    600_000,
  );
}

if (!terraformAvailable()) {
  loudSkip('test/e2e/provider/cdktf.test.ts');
  test.skip('cdktf deploy / diff / destroy', () => undefined);
} else {
  test.before(async (ctx) => {
    assert.ok(existsSync(cdktf), 'cdktf-cli is a devDependency (npm ci installs it)');
    const pty = ensureNodePty();
    assert.is(pty, undefined, pty);
    ensureBuilt();
    ctx.ws = workspace();
    ctx.file = join(ctx.ws.dir, 'desired-state.json');
    ctx.out = join(ctx.ws.dir, 'cdktf.out');
    mkdirSync(ctx.out, { recursive: true });
    ctx.client = await adminClient(ctx.ws);
    await settled(ctx.client, HOST);
  });

  test.after(async (ctx) => {
    try {
      if (ctx.client !== undefined) await restore(ctx.client, HOST);
    } finally {
      await ctx.client?.close();
      if (ctx.ws !== undefined) rmSync(ctx.ws.dir, { recursive: true, force: true });
    }
  });

  test('deploy forces the failed host down; diff shows drift; healthy brings it back in place; destroy leaves it up', async (ctx) => {
    const { client } = ctx;
    desired(ctx, { state: 'failed', fencedReason: 'e2e: fenced by the cdktf test (testbed)' });
    const deploy = cdk(ctx, 'deploy', STACK, '--auto-approve', '--skip-provider-lock');
    assert.is(deploy.status, 0, show(deploy));
    let svc = await client.compute.findComputeService(HOST);
    assert.equal(
      [svc.forcedDown, svc.status, svc.disabledReason],
      [true, 'disabled', 'forcedown: fenced: e2e: fenced by the cdktf test (testbed)'],
    );
    assert.ok(existsSync(join(ctx.ws.dir, 'e2e.tfstate')), 'state where the desired-state file says');

    await client.compute.setForcedDown(svc, false);
    const diff = cdk(ctx, 'diff', STACK, '--skip-provider-lock');
    assert.is(diff.status, 0, show(diff));
    assert.match(diff.stdout, /forced_down\s+= false -> true/);

    desired(ctx, { state: 'healthy' });
    const recover = cdk(ctx, 'deploy', STACK, '--auto-approve', '--skip-provider-lock');
    assert.is(recover.status, 0, show(recover));
    assert.match(recover.stdout, /1 changed|1 to change|0 added, 1 changed, 0 destroyed/);
    svc = await client.compute.findComputeService(HOST);
    assert.equal([svc.forcedDown, svc.state, svc.status], [false, 'up', 'enabled']);

    const destroy = cdk(ctx, 'destroy', STACK, '--auto-approve', '--skip-provider-lock');
    assert.is(destroy.status, 0, show(destroy));
    svc = await client.compute.findComputeService(HOST);
    assert.equal([svc.forcedDown, svc.state, svc.status], [false, 'up', 'enabled']);
  });
}

test.run();
