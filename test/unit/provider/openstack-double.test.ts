/**
 * The installed entry point (bin/terraform-provider-forcedown.js, from dist/) with forcedown's real
 * OpenStack client, against the in-process OpenStack double: provider arguments + OS_PASSWORD from
 * the environment, Keystone authentication, Nova os-services at 2.53, and Nova's own
 * "`done` evacuation records" refusal turned into the diagnostic that says to restart the compute.
 */
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, loadCloudConfig } from '../../../src/openstack/index.js';
import { isUnknown, type TfObject } from '../../../src/provider/values.js';
import { doubleEnv, startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';
import { dv, fromDv, startPlugin, type PluginProcess } from './support/plugin-client.js';

const entry = join(import.meta.dirname, '../../../bin/terraform-provider-forcedown.js');
const TYPE = 'forcedown_compute_service';
const EMPTY = {
  id: null,
  host: null,
  binary: null,
  forced_down: null,
  fenced_reason: null,
  disabled: null,
  disabled_reason: null,
  state: null,
  zone: null,
};

interface Context {
  double: OpenStackDouble;
  plugin: PluginProcess;
}
const test = suite<Context>('provider process + real client + OpenStack double');

test.before(async (ctx) => {
  ctx.double = await startOpenStackDouble({ rebuildDelayMs: 10 });
  // secrets only through the environment, as documented; nothing else from the machine's OS_*
  const env: Record<string, string> = { OS_PASSWORD: 'adminpass', OS_CLIENT_CONFIG_FILE: '/nonexistent/clouds.yaml' };
  for (const key of Object.keys(process.env)) if (key.startsWith('OS_') && !(key in env)) env[key] = '';
  ctx.plugin = await startPlugin(process.execPath, [entry], env);
});

test.after(async (ctx) => {
  if (ctx.plugin.child.exitCode === null) ctx.plugin.kill();
  await ctx.double.close();
});

type Diag = { severity: number; summary: string; detail: string };
const errors = (r: Record<string, unknown>): Diag[] =>
  ((r.diagnostics as Diag[] | undefined) ?? []).filter((d) => d.severity === 1);

async function plan(plugin: PluginProcess, prior: TfObject | null, config: TfObject): Promise<Record<string, unknown>> {
  const proposed: Record<string, unknown> = { ...config };
  for (const key of ['id', 'binary', 'forced_down', 'disabled', 'disabled_reason', 'state', 'zone'])
    if (config[key] === null) proposed[key] = prior?.[key] ?? null;
  return plugin.call('PlanResourceChange', {
    type_name: TYPE,
    prior_state: dv(prior),
    proposed_new_state: dv(proposed as TfObject),
    config: dv(config),
  });
}

test('apply forces fake2 down through Keystone + Nova; evacuations make the clear fail with the restart diagnostic', async ({
  plugin,
  double,
}) => {
  const configured = await plugin.call('ConfigureProvider', {
    terraform_version: '1.11.4',
    config: dv({
      auth_url: double.keystoneUrl,
      user_name: 'admin',
      tenant_name: 'admin',
      user_domain_name: 'Default',
      project_domain_name: 'Default',
      region: 'RegionOne',
    }),
  });
  assert.equal(errors(configured), []);

  const config = {
    ...EMPTY,
    host: 'fake2',
    forced_down: true,
    fenced_reason: 'INC-9: BMC off',
    disabled: true,
  } as TfObject;
  const planned = await plan(plugin, null, config);
  assert.ok(isUnknown((fromDv(planned.planned_state) as TfObject).id));
  const applied = await plugin.call('ApplyResourceChange', {
    type_name: TYPE,
    prior_state: dv(null),
    planned_state: planned.planned_state,
    config: dv(config),
  });
  assert.equal(errors(applied), []);
  const state = fromDv(applied.new_state) as TfObject;
  const record = double.service('fake2');
  assert.equal(
    [record?.forcedDown, record?.disabled, record?.disabledReason],
    [true, true, 'forcedown: fenced: INC-9: BMC off'],
  );
  assert.is(state.id, record?.uuid, 'the 2.53 service UUID');

  // evacuate a server off fake2 (now forced down) with the client, as a runbook would
  const server = double.addServer({ host: 'fake2' });
  const client = await connect(
    loadCloudConfig({ env: doubleEnv(double), cwd: '/nonexistent', home: '/nonexistent', warn: () => undefined }),
    { warn: () => undefined },
  );
  await client.compute.evacuate(server.id);
  for (let i = 0; i < 100 && !double.migrations({ instanceUuid: server.id }).some((m) => m.status === 'done'); i++)
    await new Promise((r) => setTimeout(r, 20));
  await client.close();

  const recover = { ...EMPTY, host: 'fake2' } as TfObject;
  const recoverPlan = await plan(plugin, state, recover);
  const refused = await plugin.call('ApplyResourceChange', {
    type_name: TYPE,
    prior_state: dv(state),
    planned_state: recoverPlan.planned_state,
    config: dv(recover),
  });
  const [error] = errors(refused);
  assert.match(error?.summary ?? '', 'Nova refused to clear forced_down on fake2: the compute must restart first');
  assert.match(error?.detail ?? '', '`done` evacuation migration records remain');
  assert.is((fromDv(refused.new_state) as TfObject).forced_down, true);
  assert.equal(
    [double.service('fake2')?.forcedDown, double.service('fake2')?.disabled],
    [true, true],
    'still forced down, not enabled',
  );

  // after the compute restarts the records complete and the same apply succeeds
  double.restartCompute('fake2');
  const retried = await plugin.call('ApplyResourceChange', {
    type_name: TYPE,
    prior_state: refused.new_state,
    planned_state: recoverPlan.planned_state,
    config: dv(recover),
  });
  assert.equal(errors(retried), []);
  assert.equal([double.service('fake2')?.forcedDown, double.service('fake2')?.disabled], [false, false]);
});

test('a host a run holds: plan and apply fail naming the run, Nova unchanged; break_lock overrides, recorded', async ({
  plugin,
  double,
}) => {
  const runId = '20261202T120000Z-host-failure-abc123';
  const held = { forcedDown: true, disabled: true, disabledReason: `INC-7: fenced [forcedown:${runId}]` };
  Object.assign(double.service('fake3')!, held);
  const before = { ...double.service('fake3')! };
  const up = { ...EMPTY, host: 'fake3' } as TfObject;
  const planned = await plan(plugin, null, up);
  const [planError] = errors(planned);
  assert.match(planError?.summary ?? '', `fake3 is held by forcedown run ${runId}`);
  assert.match(planError?.detail ?? '', 'What to do');
  assert.match(planError?.detail ?? '', 'break_lock');

  // an apply planned before the run took the host is refused at apply time too
  const prior = {
    ...up,
    id: before.uuid,
    binary: 'nova-compute',
    forced_down: true,
    fenced_reason: 'x',
    disabled: true,
    disabled_reason: before.disabledReason,
    state: 'down',
    zone: 'nova',
  } as TfObject;
  const stale = { ...prior, forced_down: false, disabled: false, disabled_reason: null, fenced_reason: null };
  const applied = await plugin.call('ApplyResourceChange', {
    type_name: TYPE,
    prior_state: dv(prior),
    planned_state: dv(stale),
    config: dv(up),
  });
  assert.match(errors(applied)[0]?.summary ?? '', `held by forcedown run ${runId}`);
  assert.equal(
    [double.service('fake3')?.forcedDown, double.service('fake3')?.disabled, double.service('fake3')?.disabledReason],
    [before.forcedDown, before.disabled, before.disabledReason],
    'Nova unchanged',
  );

  // break_lock: the plan passes with a warning, and the override is written into the reason
  const breaking = { ...EMPTY, host: 'fake3', disabled: true, break_lock: 'run died with its VM (J. Doe)' } as TfObject;
  const overridden = await plan(plugin, null, breaking);
  assert.equal(errors(overridden), []);
  const reason = (fromDv(overridden.planned_state) as TfObject).disabled_reason as string;
  assert.match(reason, `lock of ${runId} broken: run died with its VM (J. Doe)`);
  const done = await plugin.call('ApplyResourceChange', {
    type_name: TYPE,
    prior_state: dv(null),
    planned_state: overridden.planned_state,
    config: dv(breaking),
  });
  assert.equal(errors(done), []);
  assert.equal([double.service('fake3')?.forcedDown, double.service('fake3')?.disabledReason], [false, reason]);
});

test('the password from OS_PASSWORD never reaches the provider log', async ({ plugin }) => {
  assert.is(await plugin.shutdown(), 0);
  assert.not.match(plugin.stderr(), 'adminpass');
});

test.run();
