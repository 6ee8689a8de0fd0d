import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForcedownError } from '../../../src/errors/index.js';
import { connect, loadCloudConfig, OpenStackApiError, type CloudConfig } from '../../../src/openstack/index.js';
import { selectEndpoint } from '../../../src/openstack/keystone/catalog.js';
import { startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';
import { FAST, configFor, connectTo, rejection } from './helpers.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

let double: OpenStackDouble;
test.before(async () => {
  double = await startOpenStackDouble({ regions: ['RegionOne', 'RegionTwo'] });
});
test.after(async () => {
  await double.close();
});

const noFiles = { cwd: '/nonexistent', home: '/nonexistent', etcDir: '/nonexistent', warn: () => undefined };

test('password auth, project scope by name: token, catalog, project id; sends the token to Nova', async () => {
  double.resetCalls();
  const client = await connectTo(double);
  assert.is(client.projectId, double.adminProjectId);
  const services = await client.compute.listServices();
  assert.ok(services.length >= 3);
  const body = double.log.find((c) => c.route === 'POST /v3/auth/tokens')?.body as {
    auth: {
      identity: { methods: string[]; password: { user: { name: string; domain: { name: string } } } };
      scope: unknown;
    };
  };
  assert.equal(body.auth.identity.methods, ['password']);
  assert.is(body.auth.identity.password.user.name, 'admin');
  assert.equal(body.auth.identity.password.user.domain, { name: 'Default' });
  assert.equal(body.auth.scope, { project: { name: 'admin', domain: { name: 'Default' } } });
  assert.ok(double.log.filter((c) => c.route === 'GET /v2.1/os-services').every((c) => c.hadToken));
  await client.close();
});

test('project scope by id and user by id', async () => {
  const config = loadCloudConfig({
    ...noFiles,
    env: {
      OS_AUTH_URL: double.keystoneUrl,
      OS_USER_ID: 'admin-user',
      OS_PASSWORD: 'adminpass',
      OS_PROJECT_ID: double.adminProjectId,
      OS_REGION_NAME: 'RegionOne',
    },
  });
  const client = await connect(config, FAST);
  assert.is(client.projectId, double.adminProjectId);
  await client.close();
});

test('application credential auth (no scope in the request)', async () => {
  const credential = double.addApplicationCredential({ user: 'admin', name: 'forcedown', secret: 'app-cred-secret-1' });
  double.resetCalls();
  const config = loadCloudConfig({
    ...noFiles,
    env: {
      OS_AUTH_URL: double.keystoneUrl,
      OS_AUTH_TYPE: 'v3applicationcredential',
      OS_APPLICATION_CREDENTIAL_ID: credential.id,
      OS_APPLICATION_CREDENTIAL_SECRET: 'app-cred-secret-1',
      OS_REGION_NAME: 'RegionOne',
    },
  });
  const client = await connect(config, FAST);
  assert.is(client.projectId, double.adminProjectId);
  const body = double.log.find((c) => c.route === 'POST /v3/auth/tokens')?.body as { auth: Record<string, unknown> };
  assert.is(body.auth.scope, undefined);
  assert.equal((await client.compute.findComputeService('fake2')).host, 'fake2');
  await client.close();
  // by name + user
  const byName = loadCloudConfig({
    ...noFiles,
    env: {
      OS_AUTH_URL: double.keystoneUrl,
      OS_APPLICATION_CREDENTIAL_NAME: 'forcedown',
      OS_USERNAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_APPLICATION_CREDENTIAL_SECRET: 'app-cred-secret-1',
      OS_REGION_NAME: 'RegionOne',
    },
  });
  const second = await connect(byName, FAST);
  assert.is(second.projectId, double.adminProjectId);
  await second.close();
});

test('token auth: a token from another session is exchanged for a scoped one', async () => {
  const res = await fetch(`${double.keystoneUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'adminpass' } },
        },
        scope: { project: { id: double.adminProjectId } },
      },
    }),
  });
  assert.is(res.status, 201);
  const token = res.headers.get('x-subject-token') ?? '';
  const config = loadCloudConfig({
    ...noFiles,
    env: {
      OS_AUTH_URL: double.keystoneUrl,
      OS_TOKEN: token,
      OS_PROJECT_ID: double.adminProjectId,
      OS_REGION_NAME: 'RegionOne',
    },
  });
  assert.is(config.authType, 'token');
  const client = await connect(config, FAST);
  assert.is(client.projectId, double.adminProjectId);
  await client.close();
});

test('wrong password: Keystone 401 → exit 4 with a hint, no password in the error', async () => {
  const config = configFor(double, 'admin', { OS_PASSWORD: 'wrong-password-77' });
  const error = await rejection(connect(config, FAST));
  assert.instance(error, OpenStackApiError);
  const e = error as OpenStackApiError;
  assert.is(e.status, 401);
  assert.is(exitCodeOf(e), 4);
  assert.is(e.code, 'KEYSTONE_UNAUTHORIZED');
  assert.ok(e.isUnauthorized);
  assert.match(e.hint, 'credentials');
  assert.not.match(JSON.stringify(e.toJSON()) + e.message + e.stack, 'wrong-password-77');
});

test('several regions and none given: an error listing them; a region selects its endpoint', async () => {
  const env = {
    OS_AUTH_URL: double.keystoneUrl,
    OS_USERNAME: 'admin',
    OS_PASSWORD: 'adminpass',
    OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
  };
  const error = await rejection(connect(loadCloudConfig({ ...noFiles, env }), FAST));
  assert.instance(error, ForcedownError);
  assert.is((error as ForcedownError).code, 'OPENSTACK_CATALOG_AMBIGUOUS_REGION');
  assert.match((error as Error).message, 'RegionOne, RegionTwo');
  const client = await connect(loadCloudConfig({ ...noFiles, env: { ...env, OS_REGION_NAME: 'RegionTwo' } }), FAST);
  assert.is(client.config.regionName, 'RegionTwo');
  await client.close();
  const wrong = await rejection(
    connect(loadCloudConfig({ ...noFiles, env: { ...env, OS_REGION_NAME: 'RegionNine' } }), FAST),
  );
  assert.is((wrong as ForcedownError).code, 'OPENSTACK_CATALOG_NO_ENDPOINT');
  assert.match((wrong as Error).message, 'public@RegionOne');
});

test('catalog selection: by interface; missing service lists what the catalog has', () => {
  const catalog = [
    {
      type: 'compute',
      endpoints: [
        { interface: 'internal', region_id: 'R', url: 'http://internal/v2.1' },
        { interface: 'public', region_id: 'R', url: 'http://public/v2.1' },
      ],
    },
    { type: 'identity', endpoints: [{ interface: 'public', region_id: 'R', url: 'http://k/v3' }] },
  ];
  assert.is(selectEndpoint(catalog, { serviceType: 'compute', interface: 'internal' }), 'http://internal/v2.1');
  assert.is(
    selectEndpoint(catalog, { serviceType: 'compute', interface: 'public', region: 'R' }),
    'http://public/v2.1',
  );
  try {
    selectEndpoint(catalog, { serviceType: 'image', interface: 'public' });
    assert.unreachable();
  } catch (error) {
    const e = error as ForcedownError;
    assert.is(e.code, 'OPENSTACK_CATALOG_NO_SERVICE');
    assert.is(exitCodeOf(e), 2);
    assert.match(e.message, 'compute (internal@R, public@R), identity (public@R)');
  }
  try {
    selectEndpoint(catalog, { serviceType: 'compute', interface: 'admin' });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, 'offers internal@R, public@R');
  }
});

test('token auth with an unknown (expired/revoked) token: exit 4, not a generic 404', async () => {
  const config = loadCloudConfig({
    ...noFiles,
    env: {
      OS_AUTH_URL: double.keystoneUrl,
      OS_TOKEN: 'gAAAAA-revoked-token-value',
      OS_PROJECT_ID: double.adminProjectId,
      OS_REGION_NAME: 'RegionOne',
    },
  });
  const e = (await rejection(connect(config, FAST))) as OpenStackApiError;
  assert.is(e.status, 404);
  assert.is(e.code, 'KEYSTONE_TOKEN_NOT_FOUND');
  assert.is(exitCodeOf(e), 4);
  assert.not.match(e.message, 'gAAAAA-revoked-token-value');
});

test('a token about to expire is renewed before the next call', async () => {
  const short = await startOpenStackDouble({ tokenTtlMs: 60_000 });
  let clock = Date.now();
  const client = await connect(configFor(short), { ...FAST, now: () => clock, renewBeforeMs: 10_000 });
  await client.compute.listServices();
  assert.is(short.callCount('POST /v3/auth/tokens'), 1);
  clock += 45_000; // 15 s left: outside the renewal window
  await client.compute.listServices();
  assert.is(short.callCount('POST /v3/auth/tokens'), 1);
  clock += 8_000; // 7 s left: inside it
  await client.compute.listServices();
  assert.is(short.callCount('POST /v3/auth/tokens'), 2);
  assert.is(client.stats.reauthentications, 1);
  assert.is(short.log.filter((c) => c.status === 401).length, 0, 'no request was sent with the old token');
  await client.close();
  await short.close();
});

test('Nova 401 (token revoked/expired early): exactly one re-authentication, then the call succeeds', async () => {
  const client = await connectTo(double);
  double.resetCalls();
  double.expireTokens();
  const services = await client.compute.listServices();
  assert.ok(services.length > 0);
  assert.is(double.callCount('POST /v3/auth/tokens'), 1);
  assert.is(double.callCount('GET /v2.1/os-services'), 2);
  assert.is(client.stats.reauthentications, 1);
  await client.close();
});

test('Nova 401 twice in a row: one re-authentication only, then an exit-4 error', async () => {
  const client = await connectTo(double);
  // every new token is expired at once: ttl 0
  const broken = await startOpenStackDouble({ tokenTtlMs: 0 });
  const error = await rejection(connect(configFor(broken), FAST).then(async (c) => c.compute.listServices()));
  assert.instance(error, OpenStackApiError);
  const e = error as OpenStackApiError;
  assert.is(e.status, 401);
  assert.is(e.service, 'nova');
  assert.is(exitCodeOf(e), 4);
  assert.is(broken.callCount('GET /v2.1/os-services'), 2, 'sent once, re-sent once after re-authenticating');
  await broken.close();
  await client.close();
});

test('concurrent calls after a 401 share one re-authentication', async () => {
  const client = await connectTo(double);
  double.resetCalls();
  double.expireTokens();
  await Promise.all([
    client.compute.listServices(),
    client.compute.listServices(),
    client.compute.listServices(),
    client.compute.listServices(),
  ]);
  assert.is(double.callCount('POST /v3/auth/tokens'), 1);
  await client.close();
});

test('auth_url without /v3 gets it appended; a v2.0 auth_url is refused', async () => {
  const config: CloudConfig = { ...configFor(double), auth: { ...configFor(double).auth, authUrl: double.url } };
  const client = await connect(config, FAST);
  await client.close();
  const v2: CloudConfig = { ...config, auth: { ...config.auth, authUrl: `${double.url}/v2.0` } };
  const error = await rejection(connect(v2, FAST));
  assert.is((error as ForcedownError).code, 'CLOUD_CONFIG_KEYSTONE_V2');
});

test.run();
