import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForcedownError } from '../../../src/errors/index.js';
import { loadCloudConfig, type LoadCloudConfigOptions } from '../../../src/openstack/index.js';
import { secrets } from '../../../src/secrets/index.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

let root = '';
let cwd = '';
let home = '';
let etc = '';

test.before.each(() => {
  root = mkdtempSync(join(tmpdir(), 'fd-config-'));
  cwd = join(root, 'cwd');
  home = join(root, 'home');
  etc = join(root, 'etc');
  for (const dir of [cwd, join(home, '.config', 'openstack'), etc]) mkdirSync(dir, { recursive: true });
});
test.after.each(() => {
  rmSync(root, { recursive: true, force: true });
});

const load = (options: LoadCloudConfigOptions = {}, env: Record<string, string> = {}) =>
  loadCloudConfig({ cwd, home, etcDir: etc, env, warn: () => undefined, ...options });

function errorOf(fn: () => unknown): ForcedownError {
  try {
    fn();
  } catch (error) {
    assert.instance(error, ForcedownError);
    return error as ForcedownError;
  }
  throw new Error('expected an error');
}

const CLOUDS = `
clouds:
  prod:
    auth:
      auth_url: https://keystone.prod:5000/v3
      username: operator
      project_name: ops
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: internal
  lab:
    auth:
      auth_url: http://lab:5000
      application_credential_id: abc123
    auth_type: v3applicationcredential
    regions: [north, south]
`;
const SECURE = `
clouds:
  prod:
    auth:
      password: s3cret-prod-pw
  lab:
    auth:
      application_credential_secret: lab-app-secret
`;

test('clouds.yaml + secure.yaml: secure.yaml merged over clouds.yaml, cloud chosen by OS_CLOUD', () => {
  writeFileSync(join(cwd, 'clouds.yaml'), CLOUDS);
  writeFileSync(join(home, '.config/openstack/secure.yaml'), SECURE);
  const config = load({}, { OS_CLOUD: 'prod' });
  assert.is(config.cloudName, 'prod');
  assert.is(config.authType, 'password');
  assert.is(config.auth.authUrl, 'https://keystone.prod:5000/v3');
  assert.is(config.auth.username, 'operator');
  assert.is(config.auth.password, 's3cret-prod-pw');
  assert.is(config.auth.projectName, 'ops');
  assert.is(config.interface, 'internal');
  assert.is(config.regionName, 'RegionOne');
  assert.equal(config.sources, [join(cwd, 'clouds.yaml'), join(home, '.config/openstack/secure.yaml')]);
  assert.ok(secrets.contains('password s3cret-prod-pw'), 'the password is registered as a secret');
});

test('the explicit cloud option wins over OS_CLOUD; regions: list, OS_REGION_NAME selects', () => {
  writeFileSync(join(cwd, 'clouds.yaml'), CLOUDS);
  writeFileSync(join(cwd, 'secure.yaml'), SECURE);
  const first = load({ cloud: 'lab' }, { OS_CLOUD: 'prod' });
  assert.is(first.cloudName, 'lab');
  assert.is(first.authType, 'v3applicationcredential');
  assert.is(first.auth.applicationCredentialSecret, 'lab-app-secret');
  assert.is(first.regionName, 'north', 'first region by default');
  assert.is(first.interface, 'public', 'default interface');
  assert.is(load({ cloud: 'lab' }, { OS_REGION_NAME: 'south' }).regionName, 'south');
  const e = errorOf(() => load({ cloud: 'lab' }, { OS_REGION_NAME: 'east' }));
  assert.is(exitCodeOf(e), 2);
  assert.match(e.message, 'north, south');
});

test('search order: ./ beats ~/.config/openstack beats /etc/openstack; OS_CLIENT_CONFIG_FILE beats all', () => {
  const cloud = (url: string) =>
    `clouds:\n  c:\n    auth: {auth_url: ${url}, username: u, password: p1234, user_domain_name: D, project_id: x}\n`;
  writeFileSync(join(etc, 'clouds.yaml'), cloud('http://etc'));
  assert.is(load().auth.authUrl, 'http://etc', 'the only cloud is used without OS_CLOUD');
  writeFileSync(join(home, '.config/openstack/clouds.yml'), cloud('http://home'));
  assert.is(load().auth.authUrl, 'http://home');
  writeFileSync(join(cwd, 'clouds.yaml'), cloud('http://cwd'));
  assert.is(load().auth.authUrl, 'http://cwd');
  const explicit = join(root, 'elsewhere.yaml');
  writeFileSync(explicit, cloud('http://explicit'));
  assert.is(load({}, { OS_CLIENT_CONFIG_FILE: explicit }).auth.authUrl, 'http://explicit');
  const secure = join(root, 'sec.yaml');
  writeFileSync(secure, 'clouds:\n  c:\n    auth: {password: from-secure-file}\n');
  assert.is(load({}, { OS_CLIENT_SECURE_FILE: secure }).auth.password, 'from-secure-file');
});

test('OS_* variables make the "envvars" cloud; it wins over a single file cloud when OS_CLOUD is unset', () => {
  writeFileSync(join(cwd, 'clouds.yaml'), CLOUDS.replace(/ {2}lab:[\s\S]*/, ''));
  writeFileSync(join(cwd, 'secure.yaml'), SECURE);
  const env = {
    OS_AUTH_URL: 'http://env:5000/v3',
    OS_USERNAME: 'envuser',
    OS_PASSWORD: 'env-password',
    OS_PROJECT_ID: 'p-1',
    OS_USER_DOMAIN_ID: 'default',
    OS_INTERFACE: 'admin',
    OS_CACERT: '/etc/ssl/ca.pem',
    OS_COMPUTE_API_VERSION: '2.53',
    OS_TEST_TIMEOUT: '60',
  };
  const config = load({}, env);
  assert.is(config.cloudName, 'envvars');
  assert.equal(config.sources, ['environment']);
  assert.is(config.auth.username, 'envuser');
  assert.is(config.interface, 'admin');
  assert.is(config.cacert, '/etc/ssl/ca.pem');
  assert.is(config.computeApiVersion, '2.53');
  assert.is(load({}, { ...env, OS_CLOUD_NAME: 'mine' }).cloudName, 'mine');
  // with OS_CLOUD the file cloud is used and credentials do not mix in from the environment
  const prod = load({}, { ...env, OS_CLOUD: 'prod' });
  assert.is(prod.auth.username, 'operator');
  assert.is(prod.auth.password, 's3cret-prod-pw', 'the password comes from secure.yaml, not OS_PASSWORD');
  assert.is(prod.computeApiVersion, '2.53', 'OS_COMPUTE_API_VERSION applies to a named cloud');
});

test('a named cloud without a password does not borrow OS_PASSWORD (no credential mixing)', () => {
  writeFileSync(join(cwd, 'clouds.yaml'), CLOUDS);
  const e = errorOf(() => load({}, { OS_CLOUD: 'prod', OS_PASSWORD: 'stray-env-password' }));
  assert.is(e.code, 'CLOUD_CONFIG_MISSING_PASSWORD');
  assert.match(e.hint, 'secure.yaml');
});

test('only selector variables set: no envvars cloud', () => {
  writeFileSync(join(cwd, 'clouds.yaml'), CLOUDS);
  writeFileSync(join(cwd, 'secure.yaml'), SECURE);
  const e = errorOf(() => load({}, { OS_REGION_NAME: 'RegionOne' }));
  assert.is(e.code, 'CLOUD_CONFIG_NO_CLOUD_SELECTED', 'two file clouds and nothing selected');
  assert.match(e.message, 'prod, lab');
});

test('old names: tenant_name, auth_token, endpoint_type, domain_name filling user and project domains', () => {
  writeFileSync(
    join(cwd, 'clouds.yaml'),
    `clouds:
  old:
    auth:
      auth_url: http://k/v3
      username: u
      password: pw-old-1
      tenant_name: legacy
      domain_name: Corp
    endpoint_type: internalURL
    insecure: "True"
`,
  );
  const config = load();
  assert.is(config.auth.projectName, 'legacy');
  assert.is(config.auth.userDomainName, 'Corp');
  assert.is(config.auth.projectDomainName, 'Corp');
  assert.is(config.auth.domainName, undefined, 'domain_name is not a domain scope when a project is given');
  assert.is(config.interface, 'internal');
  assert.is(config.verify, false);
});

test('domain scope without a project', () => {
  const config = load(
    {},
    { OS_AUTH_URL: 'http://k/v3', OS_USER_ID: 'uid', OS_PASSWORD: 'pw-dom-1', OS_DOMAIN_NAME: 'Default' },
  );
  assert.is(config.auth.domainName, 'Default');
  assert.is(config.auth.projectName, undefined);
});

test('token auth: OS_TOKEN alone selects the token method and registers the token', () => {
  const config = load({}, { OS_AUTH_URL: 'http://k/v3', OS_TOKEN: 'gAAAAA-some-token-value', OS_PROJECT_ID: 'p' });
  assert.is(config.authType, 'token');
  assert.is(config.auth.token, 'gAAAAA-some-token-value');
  assert.ok(secrets.contains('gAAAAA-some-token-value'));
});

test('application credential from env without auth_type is recognised; its secret is registered', () => {
  const config = load(
    {},
    {
      OS_AUTH_URL: 'http://k/v3',
      OS_APPLICATION_CREDENTIAL_ID: 'id1',
      OS_APPLICATION_CREDENTIAL_SECRET: 'app-secret-env',
    },
  );
  assert.is(config.authType, 'v3applicationcredential');
  assert.ok(secrets.contains('app-secret-env'));
});

test('overrides win over files and environment', () => {
  writeFileSync(join(cwd, 'clouds.yaml'), CLOUDS);
  writeFileSync(join(cwd, 'secure.yaml'), SECURE);
  const config = load({
    cloud: 'prod',
    overrides: { regionName: 'RegionTwo', verify: false, auth: { password: 'override-pw' }, cloudName: 'tf' },
  });
  assert.is(config.regionName, 'RegionTwo');
  assert.is(config.verify, false);
  assert.is(config.auth.password, 'override-pw');
  assert.is(config.cloudName, 'tf');
  assert.ok(config.sources.includes('overrides'));
});

test('overrides alone (Terraform provider arguments) make a cloud', () => {
  const config = load({
    overrides: {
      auth: {
        authUrl: 'http://k/v3',
        username: 'u',
        password: 'tf-pw-1',
        userDomainName: 'Default',
        projectName: 'p',
        projectDomainName: 'Default',
      },
    },
  });
  assert.is(config.cloudName, 'overrides');
  assert.is(config.auth.username, 'u');
});

test('no cloud anywhere: exit 2 naming every file searched', () => {
  const e = errorOf(() => load());
  assert.is(e.code, 'CLOUD_CONFIG_NOT_FOUND');
  assert.is(exitCodeOf(e), 2);
  assert.match(e.message, join(cwd, 'clouds.yaml'));
  assert.match(e.message, join(home, '.config/openstack/clouds.yaml'));
  assert.match(e.message, join(etc, 'clouds.yaml'));
  assert.match(e.hint, 'OS_AUTH_URL');
});

test('unknown cloud name: lists the known ones', () => {
  writeFileSync(join(cwd, 'clouds.yaml'), CLOUDS);
  const e = errorOf(() => load({ cloud: 'staging' }));
  assert.is(e.code, 'CLOUD_CONFIG_UNKNOWN_CLOUD');
  assert.match(e.message, 'known clouds: prod, lab');
  assert.match(e.hint, 'prod, lab');
});

test('missing auth_url', () => {
  const e = errorOf(() =>
    load({}, { OS_USERNAME: 'u', OS_PASSWORD: 'pw-x-1', OS_USER_DOMAIN_NAME: 'D', OS_PROJECT_ID: 'p' }),
  );
  assert.is(e.code, 'CLOUD_CONFIG_MISSING_AUTH_URL');
  assert.is(exitCodeOf(e), 2);
  assert.match(e.hint, 'OS_AUTH_URL');
});

test("username without a user domain: keystoneauth's rule", () => {
  const e = errorOf(() =>
    load({}, { OS_AUTH_URL: 'http://k/v3', OS_USERNAME: 'u', OS_PASSWORD: 'pw-x-2', OS_PROJECT_ID: 'p' }),
  );
  assert.is(e.code, 'CLOUD_CONFIG_MISSING_USER_DOMAIN');
  assert.match(e.message, 'a username is only unique within a domain');
});

test('application credential without secret; name without user', () => {
  let e = errorOf(() =>
    load(
      {},
      { OS_AUTH_URL: 'http://k/v3', OS_AUTH_TYPE: 'v3applicationcredential', OS_APPLICATION_CREDENTIAL_ID: 'id' },
    ),
  );
  assert.is(e.code, 'CLOUD_CONFIG_MISSING_APP_CREDENTIAL_SECRET');
  assert.match(e.message, 'You must provide an auth secret');
  e = errorOf(() =>
    load(
      {},
      { OS_AUTH_URL: 'http://k/v3', OS_APPLICATION_CREDENTIAL_NAME: 'n', OS_APPLICATION_CREDENTIAL_SECRET: 'sec-1234' },
    ),
  );
  assert.is(e.code, 'CLOUD_CONFIG_MISSING_APP_CREDENTIAL');
});

test('contradictory auth: explicit auth_type vs the credentials given, and ambiguity without auth_type', () => {
  const base = { OS_AUTH_URL: 'http://k/v3', OS_USERNAME: 'u', OS_USER_DOMAIN_NAME: 'D', OS_PROJECT_ID: 'p' };
  let e = errorOf(() =>
    load(
      {},
      {
        ...base,
        OS_AUTH_TYPE: 'password',
        OS_APPLICATION_CREDENTIAL_ID: 'i',
        OS_APPLICATION_CREDENTIAL_SECRET: 'sec-5678',
      },
    ),
  );
  assert.is(e.code, 'CLOUD_CONFIG_CONTRADICTORY_AUTH');
  e = errorOf(() => load({}, { ...base, OS_AUTH_TYPE: 'v3applicationcredential', OS_PASSWORD: 'pw-c-1' }));
  assert.is(e.code, 'CLOUD_CONFIG_CONTRADICTORY_AUTH');
  e = errorOf(() =>
    load(
      {},
      {
        ...base,
        OS_PASSWORD: 'pw-c-2',
        OS_APPLICATION_CREDENTIAL_ID: 'i',
        OS_APPLICATION_CREDENTIAL_SECRET: 'sec-9999',
      },
    ),
  );
  assert.is(e.code, 'CLOUD_CONFIG_AMBIGUOUS_AUTH');
  const warnings: string[] = [];
  const config = load(
    { warn: (m) => warnings.push(m) },
    {
      ...base,
      OS_AUTH_TYPE: 'password',
      OS_PASSWORD: 'pw-c-3',
      OS_APPLICATION_CREDENTIAL_ID: 'i',
      OS_APPLICATION_CREDENTIAL_SECRET: 'sec-0000',
    },
  );
  assert.is(config.authType, 'password');
  assert.match(warnings.join('\n'), 'application credential settings are ignored');
  e = errorOf(() => load({}, { ...base, OS_PASSWORD: 'pw', OS_AUTH_TYPE: 'v3oidcpassword' }));
  assert.is(e.code, 'CLOUD_CONFIG_UNSUPPORTED_AUTH_TYPE');
});

test('insecure and cacert both set: a warning, verification off, cacert dropped', () => {
  const warnings: string[] = [];
  const config = load(
    { warn: (m) => warnings.push(m) },
    {
      OS_AUTH_URL: 'https://k/v3',
      OS_TOKEN: 'tok-abcdef',
      OS_PROJECT_ID: 'p',
      OS_INSECURE: 'true',
      OS_CACERT: '/ca.pem',
    },
  );
  assert.is(config.verify, false);
  assert.is(config.cacert, undefined);
  assert.match(warnings.join('\n'), 'will NOT be verified');
});

test('invalid YAML: file and line in the message', () => {
  writeFileSync(
    join(cwd, 'clouds.yaml'),
    'clouds:\n  prod:\n    auth:\n      auth_url: "http://x\n    region_name: [a\n',
  );
  const e = errorOf(() => load());
  assert.is(e.code, 'CLOUD_CONFIG_INVALID_YAML');
  assert.match(e.message, `${join(cwd, 'clouds.yaml')}:`);
  assert.match(e.message, /clouds\.yaml:\d+/);
});

test('a file that is not a mapping, and clouds that is a list', () => {
  writeFileSync(join(cwd, 'clouds.yaml'), '- a\n- b\n');
  assert.is(errorOf(() => load()).code, 'CLOUD_CONFIG_INVALID');
  writeFileSync(join(cwd, 'clouds.yaml'), 'clouds:\n  - a\n');
  assert.is(errorOf(() => load()).code, 'CLOUD_CONFIG_INVALID');
});

test('an unreadable clouds.yaml is an error, not silently skipped', () => {
  if (process.getuid?.() === 0) {
    // root reads everything: simulate with a directory in the file's place
    mkdirSync(join(cwd, 'clouds.yaml'));
  } else {
    writeFileSync(join(cwd, 'clouds.yaml'), CLOUDS);
    chmodSync(join(cwd, 'clouds.yaml'), 0o000);
  }
  writeFileSync(join(etc, 'clouds.yaml'), CLOUDS);
  const e = errorOf(() => load({ cloud: 'prod' }));
  assert.is(e.code, 'CLOUD_CONFIG_UNREADABLE');
  assert.match(e.message, join(cwd, 'clouds.yaml'));
});

test('a pinned microversion must look like 2.N; "latest" means no pin', () => {
  const base = { OS_AUTH_URL: 'http://k/v3', OS_TOKEN: 'tok-abcdef', OS_PROJECT_ID: 'p' };
  assert.is(load({}, { ...base, OS_COMPUTE_API_VERSION: '2.latest' }).computeApiVersion, undefined);
  assert.is(
    errorOf(() => load({}, { ...base, OS_COMPUTE_API_VERSION: 'two' })).code,
    'CLOUD_CONFIG_INVALID_MICROVERSION',
  );
});

test('a project name needs a project domain', () => {
  const e = errorOf(() =>
    load({}, { OS_AUTH_URL: 'http://k/v3', OS_USER_ID: 'u', OS_PASSWORD: 'pw-pd-1', OS_PROJECT_NAME: 'p' }),
  );
  assert.is(e.code, 'CLOUD_CONFIG_MISSING_PROJECT_DOMAIN');
});

test.run();
