/**
 * TLS and user/password against a real etcd: a single member started here (the testbed's
 * cluster is plain http on loopback) with server TLS, client-certificate authentication and etcd
 * auth enabled, certificates made by openssl. The configuration goes through the real parser
 * (a coordination section with relative paths, a 0600 password file); wrong passwords and
 * missing permissions map to exit 4, a missing client certificate to "cannot coordinate", and
 * no message carries the password. The member is stopped by its PID at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3, Range } from 'etcd3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { coordinationSettings, openCoordination, type Coordinator } from '../../../src/coordination/index.js';
import { isForcedownError } from '../../../src/errors/index.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

const PASSWORD = 'fd-etcd-Pw-0815';
let dir = '';
let etcd: ChildProcess | undefined;
let endpoint = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function openssl(...args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`);
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=forcedown-e2e-ca',
  );
  for (const [name, cn, ext] of [
    ['server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'],
    ['client', 'forcedown', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}-key.pem`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    );
    spawnSync('sh', ['-c', `printf '%b' "$EXT" > ${name}.ext`], { cwd: dir, env: { ...process.env, EXT: ext } });
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  }
}

async function rootClient(): Promise<Etcd3> {
  return new Etcd3({
    hosts: endpoint,
    credentials: {
      rootCertificate: await readFile(join(dir, 'ca.pem')),
      privateKey: await readFile(join(dir, 'client-key.pem')),
      certChain: await readFile(join(dir, 'client.pem')),
    },
    dialTimeout: 3000,
  });
}

/** Users root and forcedown (read-write on /forcedown/ only), then auth on. */
async function enableAuth(): Promise<void> {
  const client = await rootClient();
  try {
    for (let i = 0; ; i += 1) {
      try {
        await client.get('ping').string();
        break;
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    await client.role('root').create();
    await client.user('root').create(PASSWORD);
    await client.user('root').addRole('root');
    await client.role('fd').create();
    await client.role('fd').grant({ permission: 'Readwrite', range: Range.prefix('/forcedown/') });
    await client.user('forcedown').create(PASSWORD);
    await client.user('forcedown').addRole('fd');
    await client.auth.authEnable();
  } finally {
    client.close();
  }
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-etcd-tls-'));
  makeCertificates();
  const [client, peer] = [await freePort(), await freePort()];
  endpoint = `https://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  etcd = spawn(
    '/usr/bin/etcd',
    [
      '--name',
      'tls1',
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      endpoint,
      '--advertise-client-urls',
      endpoint,
      '--listen-peer-urls',
      peerUrl,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster',
      `tls1=${peerUrl}`,
      '--cert-file',
      join(dir, 'server.pem'),
      '--key-file',
      join(dir, 'server-key.pem'),
      '--trusted-ca-file',
      join(dir, 'ca.pem'),
      '--client-cert-auth',
      '--logger',
      'zap',
      '--log-outputs',
      join(dir, 'etcd.log'),
    ],
    { stdio: 'ignore' },
  );
  await enableAuth();
  await writeFile(join(dir, 'password'), `${PASSWORD}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'wrong-password'), 'not-the-password\n', { mode: 0o600 });
});

test.after(async () => {
  if (etcd?.pid !== undefined && etcd.exitCode === null) {
    const gone = new Promise((resolve) => etcd?.once('exit', resolve));
    etcd.kill('SIGTERM');
    await gone;
  }
  await rm(dir, { recursive: true, force: true });
});

async function coordinatorWith(section: Record<string, unknown>): Promise<Coordinator> {
  const settings = coordinationSettings({
    section: { endpoints: [endpoint], region: 'RegionOne', timeout: 3, ...section },
    sectionFile: join(dir, 'watch.json'), // relative paths below are from here
    env: {},
    cwd: '/',
  });
  assert.ok(settings);
  return openCoordination(settings, {});
}

const full = {
  tls: { ca: 'ca.pem', cert: 'client.pem', key: 'client-key.pem' },
  auth: { username: 'forcedown', password: { file: 'password' } },
};

test('TLS with a client certificate and user/password from a 0600 file: locks and the mirror work', async () => {
  const coordinator = await coordinatorWith(full);
  try {
    const held = await coordinator.locks.acquire({ runId: 'run-tls', hosts: ['cmp-tls'] });
    assert.is((await coordinator.locks.holder('cmp-tls'))?.runId, 'run-tls');
    const mirror = await coordinator.mirror('run-tls');
    await mirror.append({ v: 1, seq: 1, ts: new Date().toISOString(), runId: 'run-tls', event: 'step.output' });
    assert.is((await coordinator.readRun('run-tls')).events.length, 1);
    await held.release('finished');
  } finally {
    coordinator.close();
  }
});

test('a wrong password is an authentication error (exit 4) that does not show the password', async () => {
  const coordinator = await coordinatorWith({
    ...full,
    auth: { username: 'forcedown', password: { file: 'wrong-password' } },
  });
  try {
    const error = await coordinator.locks.acquire({ runId: 'run-x', hosts: ['cmp-tls'] }).catch((e: unknown) => e);
    assert.ok(isForcedownError(error), String(error));
    assert.is(error.code, 'COORDINATION_AUTH_FAILED');
    assert.is(exitCodeOf(error), 4);
    assert.not.ok(JSON.stringify({ m: error.message, h: error.hint, d: error.data }).includes('not-the-password'));
  } finally {
    coordinator.close();
  }
});

test('a prefix the etcd user may not write is refused as an authorisation error (exit 4)', async () => {
  const coordinator = await coordinatorWith({ ...full, prefix: '/elsewhere' });
  try {
    const error = await coordinator.locks.acquire({ runId: 'run-x', hosts: ['cmp-tls'] }).catch((e: unknown) => e);
    assert.ok(isForcedownError(error), String(error));
    assert.is(exitCodeOf(error), 4);
    assert.match(error.hint, /role may read and write \/elsewhere\//);
  } finally {
    coordinator.close();
  }
});

test('without the client certificate etcd cannot be reached: refused, nothing taken', async () => {
  const coordinator = await coordinatorWith({ ...full, tls: { ca: 'ca.pem' } });
  try {
    const error = await coordinator.locks.acquire({ runId: 'run-x', hosts: ['cmp-tls'] }).catch((e: unknown) => e);
    assert.ok(isForcedownError(error), String(error));
    assert.is(exitCodeOf(error) === 3 || exitCodeOf(error) === 4, true, `${error.code}: ${error.message}`);
    console.log(`  without a client certificate: ${error.code}: ${error.message.slice(0, 160)}`);
  } finally {
    coordinator.close();
  }
});

test.run();
