// The forcedown provider under the real `terraform` (1.11) against the real testbed: init from the
// filesystem mirror `forcedown provider install` makes, apply forces fake2 down, drift made in
// Nova behind Terraform's back shows as a plan diff (exit 2), import by host and by UUID (fake3,
// not changed), destroy brings fake2 back up and enabled. Hosts are put back in every case.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpenStackClient } from '../../../src/openstack/index.js';
import {
  adminClient,
  ensureBuilt,
  loudSkip,
  restore,
  settled,
  terraform,
  terraformAvailable,
  workspace,
  type Workspace,
} from './harness.js';

const FAILED = 'fake2';
const IMPORTED = 'fake3';
const REASON = 'e2e: fake2 is fenced (testbed, not really powered off)';

interface Context {
  ws: Workspace;
  client: OpenStackClient;
}

const test = suite<Context>('provider with real terraform');
const available = terraformAvailable();

function config(resources: Record<string, Record<string, unknown>>): string {
  return JSON.stringify(
    {
      terraform: { required_providers: { forcedown: { source: 'registry.forcedown.dev/forcedown/forcedown' } } },
      provider: { forcedown: [{ cloud: 'testbed-admin' }] },
      resource: { forcedown_compute_service: resources },
    },
    null,
    2,
  );
}

function show(run: { status: number | null; stdout: string; stderr: string }): string {
  return `exit ${String(run.status)}\n${run.stdout}\n${run.stderr}`;
}

if (!available) {
  loudSkip('test/e2e/provider/terraform.test.ts');
  test.skip('apply / drift / destroy with real terraform', () => undefined);
  test.skip('import by host and by UUID with real terraform', () => undefined);
} else {
  test.before(async (ctx) => {
    ensureBuilt();
    ctx.ws = workspace();
    ctx.client = await adminClient(ctx.ws);
    await settled(ctx.client, FAILED);
    await settled(ctx.client, IMPORTED);
  });

  test.after(async (ctx) => {
    try {
      if (ctx.client !== undefined) await restore(ctx.client, FAILED);
    } finally {
      await ctx.client?.close();
      if (ctx.ws !== undefined) rmSync(ctx.ws.dir, { recursive: true, force: true });
    }
  });

  test('apply forces fake2 down; drift behind Terraform is a plan diff (exit 2); destroy brings it back up and enabled', async ({
    ws,
    client,
  }) => {
    const dir = join(ws.dir, 'apply');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'main.tf.json'),
      config({ failed: { host: FAILED, forced_down: true, fenced_reason: REASON, disabled: true } }),
    );

    const init = terraform(ws, dir, 'init');
    assert.is(init.status, 0, show(init));
    assert.match(init.stdout, 'registry.forcedown.dev/forcedown/forcedown');

    const apply = terraform(ws, dir, 'apply', '-auto-approve');
    assert.is(apply.status, 0, show(apply));
    let svc = await client.compute.findComputeService(FAILED);
    assert.equal(
      [svc.forcedDown, svc.state, svc.status, svc.disabledReason],
      [true, 'down', 'disabled', `forcedown: fenced: ${REASON}`],
    );

    const clean = terraform(ws, dir, 'plan', '-detailed-exitcode');
    assert.is(clean.status, 0, `no changes expected:\n${show(clean)}`);

    // someone clears forced_down in Nova, behind Terraform's back
    await client.compute.setForcedDown(svc, false);
    const drift = terraform(ws, dir, 'plan', '-detailed-exitcode');
    assert.is(drift.status, 2, show(drift));
    assert.match(drift.stdout, /~ forced_down\s+= false -> true/);
    assert.match(drift.stdout, '1 to change');

    const converge = terraform(ws, dir, 'apply', '-auto-approve');
    assert.is(converge.status, 0, show(converge));
    svc = await client.compute.findComputeService(FAILED);
    assert.is(svc.forcedDown, true);

    const destroy = terraform(ws, dir, 'destroy', '-auto-approve');
    assert.is(destroy.status, 0, show(destroy));
    svc = await client.compute.findComputeService(FAILED);
    assert.equal([svc.forcedDown, svc.state, svc.status, svc.disabledReason], [false, 'up', 'enabled', null]);
    assert.ok(
      (await client.compute.listServices({ host: FAILED, binary: 'nova-compute' })).length === 1,
      'the service still exists',
    );
  });

  test('import an existing service by host and by UUID; the plan is then empty', async ({ ws, client }) => {
    const dir = join(ws.dir, 'import');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.tf.json'), config({ imported: { host: IMPORTED } }));
    assert.is(terraform(ws, dir, 'init').status, 0);

    const byHost = terraform(ws, dir, 'import', 'forcedown_compute_service.imported', IMPORTED);
    assert.is(byHost.status, 0, show(byHost));
    const svc = await client.compute.findComputeService(IMPORTED);
    const shown = terraform(ws, dir, 'state', 'show', 'forcedown_compute_service.imported');
    assert.match(shown.stdout, new RegExp(`\\bid\\s+= "${svc.id}"`));
    const plan = terraform(ws, dir, 'plan', '-detailed-exitcode');
    assert.is(plan.status, 0, show(plan));

    assert.is(terraform(ws, dir, 'state', 'rm', 'forcedown_compute_service.imported').status, 0);
    const byId = terraform(ws, dir, 'import', 'forcedown_compute_service.imported', svc.id);
    assert.is(byId.status, 0, show(byId));
    assert.is(terraform(ws, dir, 'plan', '-detailed-exitcode').status, 0);

    // leave fake3 untouched: forget it instead of destroying
    assert.is(terraform(ws, dir, 'state', 'rm', 'forcedown_compute_service.imported').status, 0);

    const unknown = terraform(ws, dir, 'import', 'forcedown_compute_service.imported', 'no-such-host');
    assert.is.not(unknown.status, 0);
    assert.match(unknown.stdout + unknown.stderr, 'No nova-compute service on host no-such-host');
    const after = await client.compute.findComputeService(IMPORTED);
    assert.equal([after.forcedDown, after.status], [svc.forcedDown, svc.status]);
  });
}

test.run();
