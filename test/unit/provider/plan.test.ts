/** The generic plan semantics (src/provider/plan.ts) and table dispatch, on a made-up resource the provider has never seen. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ComputeApi } from '../../../src/openstack/openstack.interface.js';
import { ForcedownProvider } from '../../../src/provider/provider.js';
import type { ResourceType } from '../../../src/provider/resource-type.js';
import type { BlockSpec } from '../../../src/provider/schema/schema.js';
import { UNKNOWN, isUnknown, type TfObject } from '../../../src/provider/unknown.js';

const schema: BlockSpec = {
  typeName: 'made_up_widget',
  version: 0,
  description: 'test only',
  attributes: {
    uid: { type: 'string', computed: true, useStateForUnknown: true, description: 'kept' },
    phase: { type: 'string', computed: true, description: 'moves on change' },
    name: { type: 'string', required: true, forceNew: true, description: 'replace' },
    colour: { type: 'string', optional: true, computed: true, default: 'blue', description: 'default' },
    label: { type: 'string', optional: true, computed: true, description: 'derived' },
  },
};

const widget: ResourceType = {
  schema,
  validate: (config) =>
    (config as TfObject).colour === 'red'
      ? [{ severity: 'error', summary: 'no red', detail: 'what to do: pick another', attribute: ['colour'] }]
      : [],
  derive: (planned, config): Record<string, string> =>
    config.label === null ? { label: `${typeof planned.colour === 'string' ? planned.colour : '?'} widget` } : {},
  apply: async (_api, _prior, planned) => ({
    state: { ...(planned as TfObject), uid: 'u-new', phase: 'applied' },
    diagnostics: [],
  }),
  read: async (_api, current) => ({ state: current, diagnostics: [] }),
  import: async () => ({ state: null, diagnostics: [] }),
  upgrade: () => ({ state: null, diagnostics: [] }),
};

function provider(): ForcedownProvider {
  const p = new ForcedownProvider({
    connect: async () => ({ compute: {} as ComputeApi, close: async () => undefined }),
    table: { resources: [widget], dataSources: [] },
  });
  assert.equal(p.configure({}), []);
  return p;
}

const cfg = (values: Record<string, string | null>): TfObject => ({
  uid: null,
  phase: null,
  name: null,
  colour: null,
  label: null,
  ...values,
});
const prior: TfObject = { uid: 'u1', phase: 'ready', name: 'a', colour: 'blue', label: 'blue widget' };

test('the schema is served from the table, and an unknown type is named with the known ones', async () => {
  const p = provider();
  assert.equal(Object.keys(p.getProviderSchema().resource_schemas), ['made_up_widget']);
  const plan = await p.planResourceChange('forcedown_compute_service', null, cfg({}), cfg({}));
  assert.match(plan.diagnostics[0]?.detail ?? '', 'it has made_up_widget');
});

test('create: defaults, derived values, computed-only unknown', async () => {
  const config = cfg({ name: 'a' });
  const { planned, requiresReplace } = await provider().planResourceChange('made_up_widget', null, config, config);
  const p = planned as TfObject;
  assert.equal(requiresReplace, []);
  assert.equal([p.name, p.colour, p.label], ['a', 'blue', 'blue widget']);
  assert.ok(isUnknown(p.uid) && isUnknown(p.phase));
});

test('update: useStateForUnknown keeps the prior, others unknown; no change keeps everything', async () => {
  const p = provider();
  const change = cfg({ name: 'a', colour: 'green' });
  const planned = (await p.planResourceChange('made_up_widget', prior, { ...change, uid: 'u1' }, change))
    .planned as TfObject;
  assert.equal([planned.uid, planned.colour, planned.label], ['u1', 'green', 'green widget']);
  assert.ok(isUnknown(planned.phase));
  const same = cfg({ name: 'a' });
  assert.equal((await p.planResourceChange('made_up_widget', prior, same, same)).planned, prior);
});

test('a forceNew change replaces, with every computed-only value unknown', async () => {
  const moved = cfg({ name: 'b' });
  const plan = await provider().planResourceChange('made_up_widget', prior, moved, moved);
  assert.equal(plan.requiresReplace, [['name']]);
  const p = plan.planned as TfObject;
  assert.ok(isUnknown(p.uid) && isUnknown(p.phase));
});

test('plan runs validation again; apply keeps computed values known in the plan', async () => {
  const p = provider();
  const red = cfg({ name: 'a', colour: 'red' });
  assert.equal((await p.planResourceChange('made_up_widget', null, red, red)).diagnostics[0]?.summary, 'no red');
  const planned: TfObject = { ...prior, phase: UNKNOWN };
  const applied = await p.applyResourceChange('made_up_widget', prior, planned);
  // the made-up apply returns uid u-new: the plan knew u1, so u1 it stays; phase was unknown
  assert.equal(applied.state, { ...prior, uid: 'u1', phase: 'applied' });
});

test.run();
