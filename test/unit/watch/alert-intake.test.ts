import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isForcedownError } from '../../../src/errors/index.js';
import { createAlertIntake, type AlertIntake, type AlertIntakeOptions } from '../../../src/watch/alert-intake.js';
import { json, send, type Reply } from './http-client.js';

const TOKEN = 'intake-test-token-4f9c2a';
const env = { FD_ALERT_TOKEN: TOKEN };
const auth = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };

function alert(status: 'firing' | 'resolved', host: string, fingerprint: string, extra: Record<string, string> = {}) {
  return {
    status,
    labels: { alertname: 'NodeDown', host, ...extra },
    annotations: { summary: `${host} is down` },
    startsAt: '2025-01-02T03:04:05.678Z',
    endsAt: status === 'resolved' ? '2025-01-02T03:09:05Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example.net/graph',
    fingerprint,
  };
}
function payload(alerts: readonly unknown[], status = 'firing') {
  return {
    version: '4',
    groupKey: '{}:{alertname="NodeDown"}',
    truncatedAlerts: 0,
    status,
    receiver: 'forcedown',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am:9093',
    alerts,
  };
}

async function started(extra: Partial<AlertIntakeOptions> = {}): Promise<{ intake: AlertIntake; url: string }> {
  const intake = createAlertIntake({ token: { env: 'FD_ALERT_TOKEN' }, env, ...extra });
  const { url } = await intake.listen();
  return { intake, url };
}

function assertError(reply: Reply, status: number): void {
  assert.is(reply.status, status, reply.text);
  const body = reply.json as { error?: unknown; what_to_do?: unknown };
  assert.type(body.error, 'string');
  assert.type(body.what_to_do, 'string');
  assert.not.match(reply.text, TOKEN);
}

test('a firing alert becomes a candidate; its resolution removes it', async () => {
  const { intake, url } = await started();
  try {
    const fire = await send(url, {
      headers: auth,
      body: json(payload([alert('firing', 'fake1', 'aa01'), alert('firing', 'fake2', 'aa02')])),
    });
    assert.is(fire.status, 200, fire.text);
    assert.equal(fire.json, { status: 'accepted', firing: 2, resolved: 0, ignored: 0 });
    assert.equal(
      intake.firing().map((c) => [c.host, c.fingerprint, c.alertname, c.startsAt]),
      [
        ['fake1', 'aa01', 'NodeDown', '2025-01-02T03:04:05.678Z'],
        ['fake2', 'aa02', 'NodeDown', '2025-01-02T03:04:05.678Z'],
      ],
    );
    const resolve = await send(url, {
      headers: auth,
      body: json(payload([alert('resolved', 'fake1', 'aa01')], 'resolved')),
    });
    assert.equal(resolve.json, { status: 'accepted', firing: 0, resolved: 1, ignored: 0 });
    assert.equal(
      intake.firing().map((c) => c.host),
      ['fake2'],
    );
  } finally {
    await intake.close();
  }
});

test('hostLabel and hostPattern map a label to a Nova host; unmapped alerts are ignored', async () => {
  const { intake, url } = await started({ hostLabel: 'instance', hostPattern: '^([^.:]+)' });
  try {
    const reply = await send(url, {
      headers: auth,
      body: json(
        payload([
          alert('firing', 'x', 'b1', { instance: 'cmp-07.example.net:9100' }),
          alert('firing', 'fake3', 'b2'),
          alert('firing', 'y', 'b3', { instance: '!!bad' }),
        ]),
      ),
    });
    assert.equal(reply.json, { status: 'accepted', firing: 1, resolved: 0, ignored: 2 });
    assert.equal(
      intake.firing().map((c) => c.host),
      ['cmp-07'],
    );
  } finally {
    await intake.close();
  }
});

test('a firing alert not repeated within expireAfterMs expires; a repeat keeps it', async () => {
  let clock = 1_000_000;
  const { intake, url } = await started({ expireAfterMs: 60_000, now: () => clock });
  try {
    await send(url, {
      headers: auth,
      body: json(payload([alert('firing', 'fake1', 'c1'), alert('firing', 'fake2', 'c2')])),
    });
    clock += 50_000;
    await send(url, { headers: auth, body: json(payload([alert('firing', 'fake2', 'c2')])) });
    clock += 20_000;
    assert.equal(
      intake.firing().map((c) => c.host),
      ['fake2'],
    );
    clock += 60_001;
    assert.equal(intake.firing(), []);
  } finally {
    await intake.close();
  }
});

test('no token, a wrong token or another scheme: 401 with WWW-Authenticate: Bearer, nothing recorded', async () => {
  const { intake, url } = await started();
  try {
    const body = json(payload([alert('firing', 'fake1', 'd1')]));
    for (const authorization of [
      undefined,
      `Bearer ${TOKEN}x`,
      'Bearer short',
      `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`,
      `Bearer`,
    ]) {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (authorization !== undefined) headers.Authorization = authorization;
      const reply = await send(url, { headers, body });
      assertError(reply, 401);
      assert.match(String(reply.headers['www-authenticate']), /^Bearer/);
    }
    assert.equal(intake.firing(), []);
    assert.is(intake.stats().rejected[401], 5);
  } finally {
    await intake.close();
  }
});

test('oversized body: 413, by Content-Length and by chunks; the server keeps answering', async () => {
  const { intake, url } = await started({ maxBodyBytes: 1024 });
  try {
    assertError(await send(url, { headers: auth, body: 'x'.repeat(300_000) }), 413);
    const chunks = Array.from({ length: 40 }, () => Buffer.alloc(100, 0x20));
    assertError(await send(url, { headers: { ...auth, 'Transfer-Encoding': 'chunked' }, body: chunks }), 413);
    const ok = await send(url, { headers: auth, body: json(payload([alert('firing', 'fake1', 'e1')])) });
    assert.is(ok.status, 200);
  } finally {
    await intake.close();
  }
});

test('rate limit per client: 429 with Retry-After, then allowed again as the bucket refills', async () => {
  let clock = 0;
  const { intake, url } = await started({ rateLimit: { burst: 3, perMinute: 60 }, now: () => clock });
  try {
    const body = json(payload([alert('firing', 'fake1', 'f1')]));
    for (let i = 0; i < 3; i += 1) assert.is((await send(url, { headers: auth, body })).status, 200);
    const limited = await send(url, { headers: auth, body });
    assertError(limited, 429);
    assert.is(limited.headers['retry-after'], '1');
    clock += 1000;
    assert.is((await send(url, { headers: auth, body })).status, 200);
  } finally {
    await intake.close();
  }
});

test('wrong method 405 (Allow: POST), wrong content type 415, malformed or wrongly shaped 400', async () => {
  const { intake, url } = await started();
  try {
    const get = await send(url, { method: 'GET', headers: auth });
    assertError(get, 405);
    assert.is(get.headers.allow, 'POST');
    assertError(await send(url, { headers: { ...auth, 'Content-Type': 'text/plain' }, body: '{}' }), 415);
    assertError(
      await send(url, { headers: { ...auth, 'Content-Type': 'application/json; charset=latin1' }, body: '{}' }),
      415,
    );
    const bad = [
      '{"version":"4",',
      '',
      'null',
      '[]',
      json({ ...payload([]), version: '3' }),
      json({ version: '4', status: 'firing' }),
      json(payload([{ ...alert('firing', 'fake1', 'g1'), labels: { host: 7 } }])),
      json(payload([{ ...alert('firing', 'fake1', 'g1'), fingerprint: '' }])),
      json(payload([{ ...alert('firing', 'fake1', 'g1'), status: 'pending' }])),
      json(payload([{ ...alert('firing', 'fake1', 'g1'), startsAt: 'yesterday' }])),
    ];
    for (const body of bad) assertError(await send(url, { headers: auth, body }), 400);
    assertError(await send(url, { headers: auth, body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }), 400);
    const other = await send(url.replace('/api/v1/alerts', '/elsewhere'), { headers: auth, body: '{}' });
    assert.is(other.status, 404);
    assert.equal(intake.firing(), []);
  } finally {
    await intake.close();
  }
});

test('prototype-pollution keys in labels are data, not behaviour', async () => {
  const { intake, url } = await started();
  try {
    const body = `{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"__proto__":{"host":"evil"},"constructor":"x"},"startsAt":"2025-01-01T00:00:00Z","fingerprint":"h1"},{"status":"firing","labels":{"__proto__":"x","host":"fake1"},"startsAt":"2025-01-01T00:00:00Z","fingerprint":"h2"}]}`;
    assertError(await send(url, { headers: auth, body }), 400);
    const second = body.replace('{"__proto__":{"host":"evil"},"constructor":"x"}', '{"constructor":"x"}');
    const reply = await send(url, { headers: auth, body: second });
    assert.equal(reply.json, { status: 'accepted', firing: 1, resolved: 0, ignored: 1 });
    assert.equal(
      intake.firing().map((c) => c.host),
      ['fake1'],
    );
    assert.is(({} as Record<string, unknown>).host, undefined);
  } finally {
    await intake.close();
  }
});

test('handle() mounts on another server and leaves other paths to it', async () => {
  const { createServer } = await import('node:http');
  const intake = createAlertIntake({ token: { env: 'FD_ALERT_TOKEN' }, env, path: '/hooks/am' });
  const server = createServer((req, res) => {
    if (!intake.handle(req, res)) res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const reply = await send(`http://127.0.0.1:${port}/hooks/am`, {
      headers: auth,
      body: json(payload([alert('firing', 'fake2', 'i1')])),
    });
    assert.is(reply.status, 200);
    assert.is((await send(`http://127.0.0.1:${port}/metrics`, { method: 'GET' })).status, 204);
    assert.equal(
      intake.firing().map((c) => c.host),
      ['fake2'],
    );
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('token sources: a 0600 file works; a group/world-readable file, a missing variable or an empty file are refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-intake-'));
  try {
    const file = join(dir, 'token');
    await writeFile(file, `${TOKEN}\n`, { mode: 0o600 });
    const intake = createAlertIntake({ token: { file } });
    const { url } = await intake.listen();
    assert.is((await send(url, { headers: auth, body: json(payload([])) })).status, 200);
    await intake.close();
    await chmod(file, 0o640);
    const refusals: [() => unknown, string][] = [
      [() => createAlertIntake({ token: { file } }), 'ALERT_TOKEN_FILE_PERMISSIONS'],
      [() => createAlertIntake({ token: { env: 'FD_NOPE' }, env: {} }), 'ALERT_TOKEN_MISSING'],
      [() => createAlertIntake({ token: { file: join(dir, 'absent') } }), 'ALERT_TOKEN_FILE_UNREADABLE'],
    ];
    await writeFile(join(dir, 'empty'), '\n', { mode: 0o600 });
    refusals.push([() => createAlertIntake({ token: { file: join(dir, 'empty') } }), 'ALERT_TOKEN_EMPTY']);
    for (const [create, code] of refusals) {
      try {
        create();
        assert.unreachable(`${code} expected`);
      } catch (error) {
        assert.ok(isForcedownError(error), String(error));
        assert.is(error.code, code);
        assert.is(error.kind, 'invalid-input');
        assert.ok(error.hint.length > 0);
        assert.not.match(error.message, TOKEN);
      }
    }
    const chmodHint = (() => {
      try {
        createAlertIntake({ token: { file } });
      } catch (error) {
        return isForcedownError(error) ? error.hint : '';
      }
      return '';
    })();
    assert.match(chmodHint, `chmod 600 ${file}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('binds to 127.0.0.1 by default and serves HTTPS when a certificate is configured', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-intake-tls-'));
  try {
    const plain = createAlertIntake({ token: { env: 'FD_ALERT_TOKEN' }, env });
    assert.match((await plain.listen()).url, /^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/alerts$/);
    await plain.close();
    if (!existsSync('/usr/bin/openssl')) return;
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      '/usr/bin/openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const tls = createAlertIntake({ token: { env: 'FD_ALERT_TOKEN' }, env, tls: { cert, key } });
    const { url } = await tls.listen();
    try {
      assert.match(url, /^https:\/\/127\.0\.0\.1:/);
      const reply = await send(url, {
        headers: auth,
        body: json(payload([alert('firing', 'fake3', 'j1')])),
        ca: await readFile(cert),
      });
      assert.is(reply.status, 200);
      assert.equal(
        tls.firing().map((c) => c.host),
        ['fake3'],
      );
    } finally {
      await tls.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
