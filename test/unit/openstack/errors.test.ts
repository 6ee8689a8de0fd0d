import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  OpenStackApiError,
  OpenStackConnectionError,
  connect,
  type OpenStackClient,
} from '../../../src/openstack/index.js';
import { redactDeep } from '../../../src/secrets/index.js';
import { startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';
import { FAST, configFor, connectTo, rejection, until } from './helpers.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

let double: OpenStackDouble;
let admin: OpenStackClient;
let demo: OpenStackClient;
test.before(async () => {
  double = await startOpenStackDouble({ rebuildDelayMs: 10 });
  admin = await connectTo(double);
  demo = await connectTo(double, 'demo');
});
test.after(async () => {
  await admin.close();
  await demo.close();
  await double.close();
});

test('403 policy: exit 4, policy name extracted, hint names it', async () => {
  const e = (await rejection(demo.compute.listServices())) as OpenStackApiError;
  assert.instance(e, OpenStackApiError);
  assert.ok(e.isForbidden);
  assert.is(exitCodeOf(e), 4);
  assert.is(e.code, 'NOVA_FORBIDDEN');
  assert.is(e.policy, 'os_compute_api:os-services:list');
  assert.is(e.apiMessage, "Policy doesn't allow os_compute_api:os-services:list to be performed.");
  assert.match(e.hint, 'os_compute_api:os-services:list');
  assert.is(e.method, 'GET');
  assert.is(e.path, '/v2.1/os-services');
  assert.match(e.requestId ?? '', /^req-/);
});

test('404 unknown host (2.11 force-down): exit 2 with a hint about service host names', async () => {
  const pinned = await connectTo(double, 'admin', { OS_COMPUTE_API_VERSION: '2.11' });
  const e = (await rejection(
    pinned.compute.setForcedDown(
      {
        id: '99',
        host: 'nosuchhost',
        binary: 'nova-compute',
        zone: 'nova',
        status: 'enabled',
        state: 'up',
        forcedDown: false,
        disabledReason: null,
        updatedAt: null,
      },
      true,
    ),
  )) as OpenStackApiError;
  assert.ok(e.isNotFound);
  assert.ok(e.isUnknownHost);
  assert.is(exitCodeOf(e), 2);
  assert.is(e.apiMessage, "Host 'nosuchhost' is not mapped to any cell");
  assert.match(e.hint, "'nosuchhost'");
  await pinned.close();
});

test('404 server: not found, exit 1', async () => {
  const e = (await rejection(admin.compute.getServer('00000000-0000-0000-0000-000000000000'))) as OpenStackApiError;
  assert.ok(e.isNotFound);
  assert.not.ok(e.isUnknownHost);
  assert.is(exitCodeOf(e), 1);
  assert.match(e.apiMessage, 'could not be found');
});

test('400 "still in use": isServiceInUse, exit 3 (refused), hint says fence + force down', async () => {
  const id = double.addServer({ host: 'fake2' }).id;
  const e = (await rejection(admin.compute.evacuate(id))) as OpenStackApiError;
  assert.ok(e.isServiceInUse);
  assert.not.ok(e.isDoneEvacuationRecordsRemain);
  assert.is(exitCodeOf(e), 3);
  assert.is(e.apiMessage, 'Compute service of fake2 is still in use.');
  assert.match(e.hint, 'force');
});

test('400 done records: isDoneEvacuationRecordsRemain, exit 3, hint says restart nova-compute', async () => {
  const svc = await admin.compute.findComputeService('fake1');
  const id = double.addServer({ host: 'fake1' }).id;
  await admin.compute.setForcedDown(svc, true);
  await admin.compute.evacuate(id);
  await until(() => double.migrations({ instanceUuid: id })[0]?.status === 'done', 'evacuation done');
  const e = (await rejection(admin.compute.setForcedDown(svc, false))) as OpenStackApiError;
  assert.ok(e.isDoneEvacuationRecordsRemain);
  assert.is(exitCodeOf(e), 3);
  assert.match(e.hint, 'restart nova-compute on fake1');
  double.restartCompute('fake1');
  await admin.compute.setForcedDown(svc, false);
});

test('406 from Nova: the microversion in use left the cloud range (nova-api downgraded behind the load balancer)', async () => {
  const svc = await admin.compute.findComputeService('fake3');
  double.configure({ microversions: { min: '2.1', max: '2.40' } });
  try {
    const e = (await rejection(admin.compute.setForcedDown(svc, true))) as OpenStackApiError;
    assert.ok(e.isNotAcceptable);
    assert.is(exitCodeOf(e), 2);
    assert.is(e.microversion, '2.53');
    assert.is(e.apiMessage, 'Version 2.53 is not supported by the API. Minimum is 2.1 and maximum is 2.40.');
    assert.match(e.hint, '2.1 to 2.40');
    assert.is(double.service('fake3')?.forcedDown, false);
  } finally {
    double.configure({ microversions: { min: '2.1', max: '2.93' } });
  }
});

test('400 other: bad request, exit 2 (reset-state to an invalid state goes through the public API only as active/error, so send raw)', async () => {
  const e = new OpenStackApiError({
    service: 'nova',
    status: 400,
    apiMessage: "Invalid input for field/attribute state. Value: stopped. 'stopped' is not one of ['active', 'error']",
    method: 'POST',
    path: '/v2.1/servers/x/action',
  });
  assert.ok(e.isBadRequest);
  assert.not.ok(e.isServiceInUse);
  assert.is(exitCodeOf(e), 2);
  assert.is(e.code, 'NOVA_BAD_REQUEST');
});

test('connection refused: OpenStackConnectionError, flagged, retryable, with the origin', async () => {
  const gone = await startOpenStackDouble();
  const client = await connectTo(gone);
  await gone.close();
  const e = (await rejection(client.compute.listServices())) as OpenStackConnectionError;
  assert.instance(e, OpenStackConnectionError);
  assert.ok(e.isConnectionError);
  assert.ok(e.isRetryable);
  assert.is(e.errorCode, 'ECONNREFUSED');
  assert.is(e.code, 'OPENSTACK_UNREACHABLE');
  assert.match(e.message, gone.url);
  assert.is(client.stats.retries, 3);
  await client.close();
});

test('no token or password in any error message, hint, JSON, stack or request event', async () => {
  const events: string[] = [];
  const client = await connect(configFor(double, 'demo'), {
    ...FAST,
    onRequest: (event) => events.push(JSON.stringify(event)),
  });
  const errors: unknown[] = [];
  errors.push(await rejection(client.compute.listServices()));
  errors.push(await rejection(client.compute.evacuate('x')));
  errors.push(await rejection(connect(configFor(double, 'admin', { OS_PASSWORD: 'not-the-password-123' }), FAST)));
  const text =
    errors
      .map(
        (e) =>
          `${(e as Error).message} ${(e as Error).stack ?? ''} ${JSON.stringify((e as OpenStackApiError).toJSON())} ${JSON.stringify(redactDeep(e))}`,
      )
      .join('\n') + events.join('\n');
  const tokens = double.issuedTokens();
  assert.ok(tokens.length > 0);
  for (const secret of ['demopass', 'adminpass', 'not-the-password-123', ...tokens])
    assert.not.ok(text.includes(secret), `leaked ${secret.slice(0, 6)}…`);
  assert.not.match(text, /gAAAAA[A-Za-z0-9_-]{20}/);
  await client.close();
});

test.run();
