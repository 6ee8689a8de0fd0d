import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ForcedownError } from '../../../src/errors/index.js';
import { compareMicroversions, negotiateMicroversions } from '../../../src/openstack/index.js';
import { evacuateBody } from '../../../src/openstack/compute/microversion.js';
import { versionDocumentUrl } from '../../../src/openstack/compute/version-document.js';
import { startOpenStackDouble } from '../../support/openstack-double/index.js';
import { connectTo, rejection } from './helpers.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

function thrown(fn: () => unknown): ForcedownError {
  try {
    fn();
  } catch (error) {
    return error as ForcedownError;
  }
  throw new Error('expected an error');
}

test('compare: numeric, not lexical', () => {
  assert.ok(compareMicroversions('2.9', '2.11') < 0);
  assert.ok(compareMicroversions('2.100', '2.94') > 0);
  assert.is(compareMicroversions('2.53', '2.53'), 0);
});

test('Zed (2.1-2.93): services 2.53, evacuate 2.93', () => {
  const v = negotiateMicroversions({ min: '2.1', max: '2.93' });
  assert.is(v.services, '2.53');
  assert.is(v.evacuate, '2.93');
  assert.is(v.migrations, '2.80');
});

test('2023.1+ (max 2.95 and above): evacuate stays at 2.94 so servers keep their power state', () => {
  assert.is(negotiateMicroversions({ min: '2.1', max: '2.95' }).evacuate, '2.94');
  assert.is(negotiateMicroversions({ min: '2.1', max: '2.104' }).evacuate, '2.94');
  // a cloud that no longer offers <= 2.94 at all
  assert.is(negotiateMicroversions({ min: '2.96', max: '2.104' }).evacuate, '2.96');
});

test('a cloud capped between 2.11 and 2.52 falls back to 2.11; evacuate at its max', () => {
  const v = negotiateMicroversions({ min: '2.1', max: '2.25' });
  assert.is(v.services, '2.11');
  assert.is(v.evacuate, '2.25');
  assert.is(v.migrations, '2.25');
});

test('below 2.11: refused with what the cloud supports', () => {
  const e = thrown(() => negotiateMicroversions({ min: '2.1', max: '2.10' }));
  assert.is(e.code, 'NOVA_MICROVERSION_TOO_OLD');
  assert.is(exitCodeOf(e), 2);
  assert.match(e.message, '2.1 to 2.10');
  assert.match(e.message, 'at least 2.11');
});

test('a pin is used for services and evacuate, and must be in range and >= 2.11', () => {
  assert.is(negotiateMicroversions({ min: '2.1', max: '2.93' }, '2.11').services, '2.11');
  assert.is(negotiateMicroversions({ min: '2.1', max: '2.93' }, '2.60').evacuate, '2.60');
  assert.is(
    thrown(() => negotiateMicroversions({ min: '2.1', max: '2.93' }, '2.99')).code,
    'NOVA_MICROVERSION_PIN_UNSUPPORTED',
  );
  assert.is(thrown(() => negotiateMicroversions({ min: '2.1', max: '2.93' }, '2.5')).code, 'NOVA_MICROVERSION_TOO_OLD');
});

test('evacuate body by microversion', () => {
  assert.equal(evacuateBody('2.1', undefined, false), { evacuate: { onSharedStorage: false } });
  assert.equal(evacuateBody('2.13', 'fake3', true), { evacuate: { host: 'fake3', onSharedStorage: true } });
  assert.equal(evacuateBody('2.14', undefined, false), { evacuate: {} });
  assert.equal(evacuateBody('2.29', 'fake3', false), { evacuate: { host: 'fake3' } }, 'never sends force');
  assert.equal(evacuateBody('2.93', 'fake2', false), { evacuate: { host: 'fake2' } });
});

test('version document URL from catalog endpoints', () => {
  assert.is(versionDocumentUrl('http://n:8774/v2.1'), 'http://n:8774/v2.1/');
  assert.is(versionDocumentUrl('http://n:8774/v2.1/abc123'), 'http://n:8774/v2.1/');
  assert.is(versionDocumentUrl('https://api.example/compute/v2.1/'), 'https://api.example/compute/v2.1/');
});

test('against a cloud capped at 2.52: 2.11 services API, with the service re-read after each update', async () => {
  const double = await startOpenStackDouble({ microversions: { min: '2.1', max: '2.52' } });
  const client = await connectTo(double);
  assert.equal(client.compute.versions, { min: '2.1', max: '2.52' });
  assert.is(client.compute.servicesMicroversion, '2.11');
  assert.is(client.compute.evacuateMicroversion, '2.52');
  const svc = await client.compute.findComputeService('fake3');
  assert.is(svc.id, String(double.service('fake3')?.intId), 'integer id below 2.53');
  double.resetCalls();
  const down = await client.compute.setForcedDown(svc, true);
  assert.is(down.forcedDown, true);
  assert.is(down.state, 'down', 'state comes from the re-read, not the partial 2.11 answer');
  assert.is(double.callCount('PUT /v2.1/os-services/force-down'), 1);
  assert.is(double.callCount('GET /v2.1/os-services'), 1);
  assert.ok(double.log.filter((c) => c.route.startsWith('PUT')).every((c) => c.microversion === '2.11'));
  const disabled = await client.compute.disableService(down, 'INC-4711');
  assert.is(disabled.status, 'disabled');
  assert.is(disabled.disabledReason, 'INC-4711');
  assert.is(double.callCount('PUT /v2.1/os-services/disable-log-reason'), 1);
  const enabled = await client.compute.enableService(disabled);
  assert.is(enabled.status, 'enabled');
  const up = await client.compute.setForcedDown(enabled, false);
  assert.is(up.state, 'up');
  await client.close();
  await double.close();
});

test('against a cloud below 2.11, connecting fails with the supported range', async () => {
  const double = await startOpenStackDouble({ microversions: { min: '2.1', max: '2.10' } });
  const error = await rejection(connectTo(double));
  assert.is((error as ForcedownError).code, 'NOVA_MICROVERSION_TOO_OLD');
  assert.match((error as Error).message, '2.1 to 2.10');
  await double.close();
});

test('OS_COMPUTE_API_VERSION pins services to 2.11 on a 2.93 cloud, and a pin above the max is refused', async () => {
  const double = await startOpenStackDouble();
  const client = await connectTo(double, 'admin', { OS_COMPUTE_API_VERSION: '2.11' });
  assert.is(client.compute.servicesMicroversion, '2.11');
  const svc = await client.compute.findComputeService('fake1');
  const down = await client.compute.setForcedDown(svc, true);
  assert.is(down.state, 'down');
  assert.is(double.callCount('PUT /v2.1/os-services/force-down'), 1);
  assert.is(double.callCount('PUT /v2.1/os-services/{id}'), 0);
  await client.compute.setForcedDown(down, false);
  await client.close();
  const error = await rejection(connectTo(double, 'admin', { OS_COMPUTE_API_VERSION: '2.95' }));
  assert.is((error as ForcedownError).code, 'NOVA_MICROVERSION_PIN_UNSUPPORTED');
  assert.match((error as Error).message, '2.1 to 2.93');
  await double.close();
});

test.run();
