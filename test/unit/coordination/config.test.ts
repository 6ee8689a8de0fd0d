import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  KeyLayout,
  coordinationSettings,
  loadCredentials,
  parseEndpointList,
  type CoordinationSources,
} from '../../../src/coordination/index.js';
import { isForcedownError } from '../../../src/errors/index.js';
import { redact, secrets } from '../../../src/secrets/index.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

const cwd = '/srv/forcedown';
const from = (extra: Partial<CoordinationSources>) => coordinationSettings({ env: {}, cwd, ...extra });

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isForcedownError(error), String(error));
    assert.is(exitCodeOf(error), 2);
    assert.is(error.code, 'COORDINATION_INVALID');
    assert.match(error.hint, /README "Coordination \(etcd\)"|--etcd|FORCEDOWN_ETCD_ENDPOINTS/);
    return error.message;
  }
  throw new Error('expected an input error');
}

test('nothing configured: undefined (the local lock stays the lock)', () => {
  assert.is(from({}), undefined);
  assert.is(from({ env: { FORCEDOWN_ETCD_ENDPOINTS: '  ' } }), undefined);
});

test('FORCEDOWN_ETCD_ENDPOINTS alone gives the defaults; the cloud region names the keys', () => {
  const settings = from({
    env: { FORCEDOWN_ETCD_ENDPOINTS: 'http://10.0.0.1:2379, http://10.0.0.2:2379/' },
    cloudRegion: 'RegionOne',
  });
  assert.equal(settings?.endpoints, ['http://10.0.0.1:2379', 'http://10.0.0.2:2379']);
  assert.is(settings?.prefix, '/forcedown');
  assert.is(settings?.region, 'RegionOne');
  assert.is(settings?.leaseTtlSeconds, 10);
  assert.is(settings?.timeoutMs, 5000);
  assert.is(settings?.origins.endpoints, 'FORCEDOWN_ETCD_ENDPOINTS');
  assert.is(from({ env: { FORCEDOWN_ETCD_ENDPOINTS: 'http://a:2379' } })?.region, 'default');
});

test('--etcd overrides the environment, which overrides the section, field by field', () => {
  const settings = from({
    section: { endpoints: ['https://file:2379'], prefix: '/from-file', region: 'file-region', leaseTtl: 30 },
    sectionFile: '/etc/forcedown/watch.json',
    env: { FORCEDOWN_ETCD_ENDPOINTS: 'https://env:2379', FORCEDOWN_ETCD_LEASE_TTL: '15' },
    flag: 'https://flag1:2379,https://flag2:2379',
  });
  assert.equal(settings?.endpoints, ['https://flag1:2379', 'https://flag2:2379']);
  assert.is(settings?.prefix, '/from-file');
  assert.is(settings?.region, 'file-region');
  assert.is(settings?.leaseTtlSeconds, 15);
  assert.is(settings?.origins.prefix, '/etc/forcedown/watch.json: coordination.prefix');
  assert.is(settings?.origins.leaseTtl, 'FORCEDOWN_ETCD_LEASE_TTL');
});

test('relative TLS and password paths: from the section file’s directory, or the cwd for env', () => {
  const settings = from({
    section: {
      endpoints: ['https://e:2379'],
      tls: { ca: 'ca.pem', cert: '/abs/cert.pem', key: 'key.pem' },
      auth: { username: 'fd', password: { file: 'pw' } },
    },
    sectionFile: '/etc/forcedown/watch.json',
  });
  assert.equal(settings?.tls, { ca: '/etc/forcedown/ca.pem', cert: '/abs/cert.pem', key: '/etc/forcedown/key.pem' });
  assert.equal(settings?.auth, { username: 'fd', password: { file: '/etc/forcedown/pw' } });
  const fromEnv = from({
    env: {
      FORCEDOWN_ETCD_ENDPOINTS: 'https://e:2379',
      FORCEDOWN_ETCD_CACERT: 'tls/ca.pem',
      FORCEDOWN_ETCD_USER: 'fd',
      FORCEDOWN_ETCD_PASSWORD_FILE: 'pw',
    },
  });
  assert.equal(fromEnv?.tls, { ca: '/srv/forcedown/tls/ca.pem' });
  assert.equal(fromEnv?.auth, { username: 'fd', password: { file: '/srv/forcedown/pw' } });
});

test('FORCEDOWN_ETCD_PASSWORD is named, never copied into the settings', () => {
  const settings = from({
    env: {
      FORCEDOWN_ETCD_ENDPOINTS: 'http://e:2379',
      FORCEDOWN_ETCD_USER: 'fd',
      FORCEDOWN_ETCD_PASSWORD: 'hunter2-etcd',
    },
  });
  assert.equal(settings?.auth, { username: 'fd', password: { env: 'FORCEDOWN_ETCD_PASSWORD' } });
  assert.not.ok(JSON.stringify(settings).includes('hunter2-etcd'));
});

test('every problem at once, each naming where the field came from', () => {
  const message = problemsOf(() =>
    from({
      section: { endpoints: ['ftp://x'], prefix: 'no-slash', leaseTtl: 1, colour: 'blue' },
      sectionFile: 'watch.json',
      env: { FORCEDOWN_ETCD_TIMEOUT: 'soon' },
    }),
  );
  assert.match(message, /watch\.json: coordination\.endpoints: \/endpoints\/0 must match pattern/);
  assert.match(message, /watch\.json: coordination\.prefix: \/prefix must match pattern/);
  assert.match(message, /watch\.json: coordination\.leaseTtl: \/leaseTtl must be >= 2/);
  assert.match(message, /must NOT have additional properties/);
  assert.match(message, /FORCEDOWN_ETCD_TIMEOUT: \/timeout must be number/);
});

test('incomplete or inconsistent configurations are refused', () => {
  assert.match(
    problemsOf(() => from({ env: { FORCEDOWN_ETCD_REGION: 'r1' } })),
    /must have required property 'endpoints'/,
  );
  assert.match(
    problemsOf(() => from({ env: { FORCEDOWN_ETCD_ENDPOINTS: 'http://a:2379,https://b:2379' } })),
    /mixes http:\/\/ and https:\/\//,
  );
  assert.match(
    problemsOf(() => from({ env: { FORCEDOWN_ETCD_ENDPOINTS: 'http://a:2379', FORCEDOWN_ETCD_CACERT: '/ca.pem' } })),
    /TLS files are given but the endpoints are http:\/\//,
  );
  assert.match(
    problemsOf(() =>
      from({ env: { FORCEDOWN_ETCD_ENDPOINTS: 'https://a:2379', FORCEDOWN_ETCD_PASSWORD: 'secret-x' } }),
    ),
    /FORCEDOWN_ETCD_PASSWORD: \/auth must have required property 'username'/,
  );
  assert.match(
    problemsOf(() => from({ section: { endpoints: ['https://a:2379'], tls: { cert: 'c.pem' } } })),
    /must have property key when property cert is present/,
  );
  const many = Array.from({ length: 17 }, (_, i) => `http://m${i}:2379`).join(',');
  assert.match(
    problemsOf(() => from({ flag: many })),
    /at most 16 endpoints/,
  );
  assert.match(
    problemsOf(() => from({ section: 'etcd:2379' })),
    /coordination must be an object/,
  );
});

test('parseEndpointList: trims, drops empties, refuses an empty list', () => {
  assert.equal(parseEndpointList(' https://a:2379/ ,, https://b:2379 ', '--etcd'), [
    'https://a:2379',
    'https://b:2379',
  ]);
  try {
    parseEndpointList(' , ', '--etcd');
    assert.unreachable();
  } catch (error) {
    assert.ok(isForcedownError(error));
    assert.is(exitCodeOf(error), 2);
    assert.match(error.message, /--etcd names no etcd endpoint/);
  }
});

test('the key layout', () => {
  const keys = new KeyLayout('/forcedown/', 'RegionOne');
  assert.is(keys.host('cmp-07'), '/forcedown/RegionOne/hosts/cmp-07');
  assert.is(
    keys.runEvent('20261125T114710Z-host-failure-3f9a1c', 42),
    '/forcedown/RegionOne/runs/20261125T114710Z-host-failure-3f9a1c/events/0000000042',
  );
  assert.is(keys.runMeta('r'), '/forcedown/RegionOne/runs/r/meta');
  assert.is(keys.electionPrefix, '/forcedown/RegionOne/election/');
});

let dir = '';
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-coord-'));
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('credentials: password file must be 0600, is read, registered and redacted; key file 0600', async () => {
  const pw = join(dir, 'pw');
  await writeFile(pw, 'etcd-pass-4711\nignored\n', { mode: 0o644 });
  const settings = from({
    section: { endpoints: ['https://e:2379'], auth: { username: 'fd', password: { file: pw } } },
  });
  assert.ok(settings);
  const insecure = await loadCredentials(settings, {}).catch((e: unknown) => e);
  assert.ok(isForcedownError(insecure));
  assert.is(insecure.code, 'COORDINATION_FILE_INSECURE');
  assert.match(insecure.hint, /chmod 600/);
  await chmod(pw, 0o600);
  const credentials = await loadCredentials(settings, {});
  assert.equal(credentials.auth, { username: 'fd', password: 'etcd-pass-4711' });
  assert.ok(secrets.contains('error: etcd-pass-4711'));
  assert.is(redact('auth with etcd-pass-4711 failed'), 'auth with *** failed');
  const key = join(dir, 'key.pem');
  await writeFile(key, 'KEY', { mode: 0o640 });
  await writeFile(join(dir, 'cert.pem'), 'CERT');
  const tls = from({ section: { endpoints: ['https://e:2379'], tls: { cert: join(dir, 'cert.pem'), key } } });
  assert.ok(tls);
  assert.is(
    ((await loadCredentials(tls, {}).catch((e: unknown) => e)) as { code: string }).code,
    'COORDINATION_FILE_INSECURE',
  );
});

test('credentials: a missing password variable or file is an input error naming it', async () => {
  const envSettings = from({
    env: {
      FORCEDOWN_ETCD_ENDPOINTS: 'https://e:2379',
      FORCEDOWN_ETCD_USER: 'fd',
      FORCEDOWN_ETCD_PASSWORD: 'x-set-here',
    },
  });
  assert.ok(envSettings);
  const missing = await loadCredentials(envSettings, {}).catch((e: unknown) => e);
  assert.ok(isForcedownError(missing));
  assert.is(exitCodeOf(missing), 2);
  assert.match(missing.message, /FORCEDOWN_ETCD_PASSWORD, which is not set/);
  const fileSettings = from({
    section: { endpoints: ['https://e:2379'], auth: { username: 'fd', password: { file: join(dir, 'nope') } } },
  });
  assert.ok(fileSettings);
  const gone = await loadCredentials(fileSettings, {}).catch((e: unknown) => e);
  assert.is((gone as { code: string }).code, 'COORDINATION_FILE_MISSING');
});

test.run();
