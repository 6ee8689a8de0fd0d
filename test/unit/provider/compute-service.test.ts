/** The resource's rules, in process (no gRPC): plan, apply, read, import, validate, upgrade. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForcedownProvider } from '../../../src/provider/provider.js';
import { defaultDisabledReason } from '../../../src/provider/resources/compute-service.js';
import { PROVIDER_TABLE } from '../../../src/provider/resources/index.js';
import { UNKNOWN, isUnknown, type TfObject, type TfValue } from '../../../src/provider/values.js';
import { FakeCompute } from './support/fake-compute.js';

const TYPE = 'forcedown_compute_service';
const EMPTY = {
  id: null,
  host: null,
  binary: null,
  forced_down: null,
  fenced_reason: null,
  disabled: null,
  disabled_reason: null,
  break_lock: null,
  state: null,
  zone: null,
};
const cfg = (values: Record<string, TfValue>): TfObject => ({ ...EMPTY, ...values });

function setup(): { provider: ForcedownProvider; nova: FakeCompute } {
  const nova = new FakeCompute();
  const provider = new ForcedownProvider({
    connect: async () => ({ compute: nova, close: async () => undefined }),
    table: PROVIDER_TABLE,
  });
  assert.equal(provider.configure({}), []);
  return { provider, nova };
}

/** Terraform's proposed new state: config, with prior values in unset computed attributes. */
function proposed(prior: TfObject | null, config: TfObject): TfObject {
  const out: Record<string, TfValue> = { ...config };
  for (const key of ['id', 'binary', 'forced_down', 'disabled', 'disabled_reason', 'state', 'zone']) {
    if (config[key] === null) out[key] = prior === null ? UNKNOWN : (prior[key] ?? null);
  }
  return out;
}

async function create(provider: ForcedownProvider, config: TfObject): Promise<TfObject> {
  const plan = await provider.planResourceChange(TYPE, null, proposed(null, config), config);
  const applied = await provider.applyResourceChange(TYPE, null, plan.planned);
  assert.equal(applied.diagnostics, []);
  return applied.state as TfObject;
}

test('a create plan keeps config, fills defaults, leaves id/state/zone unknown', async () => {
  const { provider } = setup();
  const config = cfg({ host: 'fake2' });
  const { planned, requiresReplace } = await provider.planResourceChange(TYPE, null, proposed(null, config), config);
  assert.equal(requiresReplace, []);
  const p = planned as TfObject;
  assert.equal(
    [p.host, p.binary, p.forced_down, p.disabled, p.disabled_reason, p.fenced_reason],
    ['fake2', 'nova-compute', false, false, null, null],
  );
  assert.ok(isUnknown(p.id) && isUnknown(p.state) && isUnknown(p.zone));
});

test('plan enforces the safety rule too (values unknown at validation may be known at plan)', async () => {
  const { provider } = setup();
  const config = cfg({ host: 'fake2', forced_down: true });
  const result = await provider.planResourceChange(TYPE, null, proposed(null, config), config);
  assert.is(result.planned, null);
  assert.match(result.diagnostics[0]?.summary ?? '', 'fenced_reason is required');
});

test('re-planning an applied resource is a no-op: planned equals prior exactly', async () => {
  const { provider } = setup();
  const config = cfg({ host: 'fake2', forced_down: true, fenced_reason: 'INC-1: BMC off', disabled: true });
  const state = await create(provider, config);
  const { planned, requiresReplace } = await provider.planResourceChange(TYPE, state, proposed(state, config), config);
  assert.equal(planned, state);
  assert.equal(requiresReplace, []);
});

test('changing host requires replacement; changing forced_down is an in-place update with state unknown', async () => {
  const { provider } = setup();
  const config = cfg({ host: 'fake2' });
  const state = await create(provider, config);
  const moved = cfg({ host: 'fake3' });
  assert.equal((await provider.planResourceChange(TYPE, state, proposed(state, moved), moved)).requiresReplace, [
    ['host'],
  ]);
  const down = cfg({ host: 'fake2', forced_down: true, fenced_reason: 'x' });
  const plan = await provider.planResourceChange(TYPE, state, proposed(state, down), down);
  assert.equal(plan.requiresReplace, []);
  const p = plan.planned as TfObject;
  assert.is(p.id, state.id, 'id kept');
  assert.is(p.zone, 'nova', 'zone kept');
  assert.ok(isUnknown(p.state), 'state may change');
});

test('disabled_reason: configured value kept; default derived from fenced_reason; null when enabled; unknown when undecidable', async () => {
  const { provider } = setup();
  const plan = async (values: Record<string, TfValue>): Promise<TfValue> => {
    const config = cfg(values);
    return ((await provider.planResourceChange(TYPE, null, proposed(null, config), config)).planned as TfObject)
      .disabled_reason;
  };
  assert.is(await plan({ host: 'h', disabled: true, disabled_reason: 'mine' }), 'mine');
  assert.is(
    await plan({ host: 'h', disabled: true, forced_down: true, fenced_reason: 'INC-9' }),
    'forcedown: fenced: INC-9',
  );
  assert.is(await plan({ host: 'h', disabled: true }), 'forcedown: disabled by terraform');
  assert.is(await plan({ host: 'h', forced_down: true, fenced_reason: 'INC-9' }), null);
  assert.ok(isUnknown(await plan({ host: 'h', disabled: UNKNOWN })));
  assert.ok(isUnknown(await plan({ host: 'h', disabled: true, forced_down: true, fenced_reason: UNKNOWN })));
  assert.is(defaultDisabledReason(true, 'x'.repeat(400)).length, 255, "Nova's limit");
});

test('apply: force down, then disable; unforce, then enable; computed values planned known stay as planned', async () => {
  const { provider, nova } = setup();
  const config = cfg({
    host: 'fake3',
    forced_down: true,
    fenced_reason: 'INC-2',
    disabled: true,
    disabled_reason: 'INC-2 maintenance',
  });
  const state = await create(provider, config);
  assert.equal(nova.state.calls, ['setForcedDown fake3 true', 'disable fake3 INC-2 maintenance']);
  const up = cfg({ host: 'fake3' });
  const plan = await provider.planResourceChange(TYPE, state, proposed(state, up), up);
  const applied = await provider.applyResourceChange(TYPE, state, plan.planned);
  assert.equal(applied.diagnostics, []);
  assert.equal(nova.state.calls.slice(2), ['setForcedDown fake3 false', 'enable fake3']);
  const s = applied.state as TfObject;
  assert.equal([s.forced_down, s.disabled, s.disabled_reason, s.state, s.id], [false, false, null, 'up', state.id]);
});

test('a failed create records nothing and says what Nova now has (no taint: no destroy+create of a fenced host)', async () => {
  const { provider, nova } = setup();
  nova.update((s) => {
    s.failNext = 'disable';
  });
  const config = cfg({ host: 'fake2', forced_down: true, fenced_reason: 'INC-3', disabled: true });
  const plan = await provider.planResourceChange(TYPE, null, proposed(null, config), config);
  const applied = await provider.applyResourceChange(TYPE, null, plan.planned);
  assert.is(applied.state, null);
  assert.equal(
    applied.diagnostics.map((d) => d.severity),
    ['error', 'warning'],
  );
  assert.match(applied.diagnostics[0]?.detail ?? '', 'retry later');
  assert.match(applied.diagnostics[1]?.detail ?? '', 'forced_down=true');
  // the next apply adopts and converges
  const again = await provider.applyResourceChange(TYPE, null, plan.planned);
  assert.equal(again.diagnostics, []);
  assert.is((again.state as TfObject).disabled, true);
});

test('read reports drift and returns null when the service is gone; a connection failure keeps the state', async () => {
  const { provider, nova } = setup();
  const state = await create(provider, cfg({ host: 'fake2', disabled: true }));
  nova.update((s) => {
    const svc = s.services.find((x) => x.host === 'fake2');
    if (svc) Object.assign(svc, { disabled: false, disabledReason: null });
  });
  const read = await provider.readResource(TYPE, state);
  assert.equal([(read.state as TfObject).disabled, (read.state as TfObject).disabled_reason], [false, null]);
  nova.update((s) => {
    s.services = s.services.filter((x) => x.host !== 'fake2');
  });
  assert.is((await provider.readResource(TYPE, state)).state, null);
  const broken = new ForcedownProvider({
    connect: async () => Promise.reject(new Error('ECONNREFUSED')),
    table: PROVIDER_TABLE,
  });
  broken.configure({});
  const failed = await broken.readResource(TYPE, state);
  assert.is(failed.state, state, 'not mistaken for "gone"');
  assert.match(failed.diagnostics[0]?.summary ?? '', 'Connecting to OpenStack');
});

test('import by host and UUID; unknown host names the known ones', async () => {
  const { provider } = setup();
  const byHost = await provider.importResourceState(TYPE, 'fake1');
  assert.is((byHost.imported[0]?.state as TfObject).id, '698f4cad-f085-4b97-bfdf-6cfe06f62943');
  assert.is((byHost.imported[0]?.state as TfObject).fenced_reason, null);
  const byId = await provider.importResourceState(TYPE, '698F4CAD-F085-4B97-BFDF-6CFE06F62943');
  assert.is((byId.imported[0]?.state as TfObject).host, 'fake1');
  const missing = await provider.importResourceState(TYPE, '00000000-0000-0000-0000-000000000000');
  assert.equal(missing.imported, []);
  assert.match(missing.diagnostics[0]?.summary ?? '', 'No nova-compute service with id');
  const unknown = await provider.importResourceState(TYPE, 'cmp-99');
  assert.match(unknown.diagnostics[0]?.detail ?? '', 'known compute hosts: fake1, fake2, fake3');
});

test('destroy restores up + enabled and never deletes; already gone is fine', async () => {
  const { provider, nova } = setup();
  const state = await create(provider, cfg({ host: 'fake2', forced_down: true, fenced_reason: 'x', disabled: true }));
  const destroyed = await provider.applyResourceChange(TYPE, state, null);
  assert.equal(destroyed, { state: null, diagnostics: [] });
  assert.equal(nova.state.calls.slice(-2), ['setForcedDown fake2 false', 'enable fake2']);
  assert.is(nova.state.services.length, 4);
  nova.update((s) => {
    s.services = s.services.filter((x) => x.host !== 'fake2');
  });
  assert.equal(await provider.applyResourceChange(TYPE, state, null), { state: null, diagnostics: [] });
});

test('validation: binary, empty host, disabled_reason rules, fenced_reason warnings — all at once; unknowns not judged', () => {
  const { provider } = setup();
  const diagnostics = provider.validateResourceConfig(
    TYPE,
    cfg({
      host: ' ',
      binary: 'nova-conductor',
      forced_down: true,
      fenced_reason: '  ',
      disabled: true,
      disabled_reason: 'x'.repeat(256),
    }),
  );
  assert.equal(diagnostics.map((d) => d.path?.[0]).sort(), ['binary', 'disabled_reason', 'fenced_reason', 'host']);
  const warn = provider.validateResourceConfig(TYPE, cfg({ host: 'fake2', forced_down: false, fenced_reason: 'INC' }));
  assert.equal(
    warn.map((d) => d.severity),
    ['warning'],
  );
  assert.equal(
    provider.validateResourceConfig(TYPE, cfg({ host: UNKNOWN, forced_down: UNKNOWN, disabled_reason: UNKNOWN })),
    [],
  );
  assert.match(provider.validateResourceConfig('forcedown_nope', cfg({}))[0]?.summary ?? '', 'Unknown resource type');
});

test('upgrade: stored JSON state to the current shape; newer versions refused', () => {
  const { provider } = setup();
  const upgraded = provider.upgradeResourceState(
    TYPE,
    0,
    JSON.stringify({ id: 'u', host: 'fake2', forced_down: true, legacy: 1 }),
  );
  assert.equal(upgraded.state, { ...EMPTY, id: 'u', host: 'fake2', forced_down: true });
  assert.match(provider.upgradeResourceState(TYPE, 7, '{}').diagnostics[0]?.summary ?? '', 'newer provider');
});

test('data source: filtered by host and binary, sorted, with forced_down and disabled', async () => {
  const { provider, nova } = setup();
  nova.update((s) => {
    const svc = s.services.find((x) => x.host === 'fake3');
    if (svc) Object.assign(svc, { forcedDown: true });
  });
  const all = (
    await provider.readDataSource('forcedown_compute_services', { host: null, binary: null, id: null, services: null })
  ).state as TfObject;
  const services = all.services as TfObject[];
  assert.equal(
    services.map((s) => `${s.host as string}:${s.state as string}:${s.forced_down as boolean}`),
    ['fake1:up:false', 'fake2:up:false', 'fake3:down:true'],
  );
  assert.is(all.id, 'nova-compute@*');
  const one = (
    await provider.readDataSource('forcedown_compute_services', {
      host: 'fake3',
      binary: null,
      id: null,
      services: null,
    })
  ).state as TfObject;
  assert.is((one.services as TfObject[]).length, 1);
  assert.is(one.id, 'nova-compute@fake3');
});

test.run();
