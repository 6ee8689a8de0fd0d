import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cloudOptionsFromConfig,
  readProviderConfig,
  validateProviderConfig,
} from '../../../src/provider/provider-config.js';
import { UNKNOWN } from '../../../src/provider/values.js';
import { secrets } from '../../../src/secrets/index.js';

test('terraform-provider-openstack argument names become loadCloudConfig overrides', () => {
  const { values } = readProviderConfig({
    cloud: 'prod',
    auth_url: 'https://keystone:5000/v3',
    user_name: 'admin',
    password: 'pw-123456',
    tenant_name: 'admin',
    user_domain_name: 'Default',
    project_domain_name: 'Default',
    region: 'RegionOne',
    endpoint_type: 'internalURL',
    insecure: true,
    cacert_file: '/etc/ca.pem',
    token: null,
  });
  const options = cloudOptionsFromConfig(values);
  assert.is(options.cloud, 'prod');
  assert.equal(options.overrides, {
    auth: {
      authUrl: 'https://keystone:5000/v3',
      username: 'admin',
      password: 'pw-123456',
      projectName: 'admin',
      userDomainName: 'Default',
      projectDomainName: 'Default',
    },
    authType: 'password',
    regionName: 'RegionOne',
    interface: 'internal',
    cacert: '/etc/ca.pem',
    verify: false,
  });
  assert.ok(secrets.contains('pw-123456'), 'the password is registered for redaction as soon as it is read');
  secrets.clear();
});

test('nothing set: no overrides at all, so OS_* and clouds.yaml decide', () => {
  assert.equal(cloudOptionsFromConfig(readProviderConfig({ cloud: null, password: null }).values), {});
});

test('token and application credentials select their auth type; unknown arguments are skipped', () => {
  const token = readProviderConfig({ token: 'tok-abcdef', auth_url: UNKNOWN });
  assert.equal(token.unknown, ['auth_url']);
  assert.equal(cloudOptionsFromConfig(token.values).overrides, { auth: { token: 'tok-abcdef' }, authType: 'token' });
  const app = cloudOptionsFromConfig(
    readProviderConfig({ application_credential_id: 'ac', application_credential_secret: 'sec-123456' }).values,
  );
  assert.is(app.overrides?.authType, 'v3applicationcredential');
  secrets.clear();
});

test('validation: bad endpoint_type, conflicting credentials, empty strings — all reported', () => {
  const diagnostics = validateProviderConfig(
    readProviderConfig({ endpoint_type: 'private', token: 't0ken-1', password: 'p4ss-1', region: '' }).values,
  );
  const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => d.path?.[0]);
  assert.equal(errors.sort(), ['endpoint_type', 'region', 'token']);
  assert.match(diagnostics.find((d) => d.path?.[0] === 'endpoint_type')?.detail ?? '', 'public, publicURL, internal');
  secrets.clear();
});

test.run();
