import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ForcedownError } from '../../../src/errors/index.js';
import { OpenStackConnectionError, connect, type CloudConfig } from '../../../src/openstack/index.js';
import { startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';
import { FAST, configFor, rejection } from './helpers.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

let dir = '';
let double: OpenStackDouble;
let caPath = '';

/** A throw-away CA and a server certificate for 127.0.0.1/localhost signed by it. */
function makeCertificates(target: string): { key: string; cert: string; ca: string } {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: target, stdio: 'pipe' });
  };
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=forcedown test CA',
  );
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(target, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
  return {
    key: readFileSync(join(target, 'server.key'), 'utf8'),
    cert: readFileSync(join(target, 'server.pem'), 'utf8'),
    ca: join(target, 'ca.pem'),
  };
}

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fd-tls-'));
  const { key, cert, ca } = makeCertificates(dir);
  caPath = ca;
  double = await startOpenStackDouble({ tls: { key, cert } });
});
test.after(async () => {
  await double.close();
  rmSync(dir, { recursive: true, force: true });
});

test('HTTPS with the CA bundle (cacert): connects and calls Nova, no warning', async () => {
  assert.match(double.url, /^https:/);
  const warnings: string[] = [];
  const client = await connect(configFor(double, 'admin', { OS_CACERT: caPath }), {
    ...FAST,
    warn: (m) => warnings.push(m),
  });
  assert.ok((await client.compute.listServices()).length > 0);
  assert.equal(warnings, []);
  await client.close();
});

test('HTTPS without the CA: a TLS error, exit 2, not retried, hint names cacert', async () => {
  const before = double.callCount('POST /v3/auth/tokens');
  const e = (await rejection(connect(configFor(double), FAST))) as OpenStackConnectionError;
  assert.instance(e, OpenStackConnectionError);
  assert.ok(e.isTlsError);
  assert.not.ok(e.isRetryable);
  assert.is(exitCodeOf(e), 2);
  assert.is(e.code, 'OPENSTACK_TLS_ERROR');
  assert.match(e.hint, 'cacert');
  assert.is(double.callCount('POST /v3/auth/tokens'), before, 'the handshake failed before any request');
});

test('insecure: connects without the CA and warns through the callback', async () => {
  const warnings: string[] = [];
  const config: CloudConfig = configFor(double, 'admin', { OS_INSECURE: 'true' });
  assert.is(config.verify, false);
  const client = await connect(config, { ...FAST, warn: (m) => warnings.push(m) });
  assert.ok((await client.compute.listServices()).length > 0);
  assert.is(warnings.length, 1);
  assert.match(warnings[0] ?? '', 'verification is OFF');
  await client.close();
});

test('an unreadable or non-PEM cacert is an input error', async () => {
  let e = (await rejection(
    connect(configFor(double, 'admin', { OS_CACERT: join(dir, 'missing.pem') }), FAST),
  )) as ForcedownError;
  assert.is(e.code, 'CLOUD_CONFIG_CACERT_UNREADABLE');
  assert.is(exitCodeOf(e), 2);
  e = (await rejection(
    connect(configFor(double, 'admin', { OS_CACERT: join(dir, 'ext.cnf') }), FAST),
  )) as ForcedownError;
  assert.is(e.code, 'CLOUD_CONFIG_CACERT_INVALID');
});

test.run();
