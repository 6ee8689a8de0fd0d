import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkWatchConfigText, loadWatchConfig } from '../../../src/watch/config.js';
import { cliIn } from '../../support/captured-output.js';

test('deploy/watch.example.yaml is valid and resolves to its settings', async () => {
  const resolved = await loadWatchConfig(resolve('deploy/watch.example.yaml'), 'deploy/watch.example.yaml');
  assert.is(resolved.settings.intervalMs, 5000);
  assert.is(resolved.settings.staleAfterMs, 30_000);
  assert.is(resolved.settings.mode, 'observe');
  assert.equal(resolved.settings.guards.aggregates.gpu, { hosts: ['gpu1', 'gpu2', 'gpu3'], maxConcurrent: 1 });
  assert.ok(resolved.settings.guards.disabledReasonPattern?.test('forcedown: fenced'));
  assert.is(resolved.runbook, resolve('runbooks/host-failure.json'));
  assert.equal(resolved.listen, { host: '127.0.0.1', port: 9464 });
});

test('an empty config takes the defaults', () => {
  const check = checkWatchConfigText('{}', 'w.json');
  assert.ok(check.ok);
});

test('heartbeatInterval and settleAfterTrip: defaults, and staleAfter must leave room for a missed heartbeat', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-watch-config-'));
  try {
    await writeFile(join(dir, 'w.yaml'), 'staleAfter: 45s\n');
    const resolved = await loadWatchConfig(join(dir, 'w.yaml'));
    assert.is(resolved.settings.heartbeatIntervalMs, 10_000);
    assert.is(resolved.settings.guards.settleAfterTripMs, 55_000);
    await writeFile(join(dir, 'w.yaml'), 'heartbeatInterval: 5s\nguards: {settleAfterTrip: 2m}\n');
    const own = await loadWatchConfig(join(dir, 'w.yaml'));
    assert.is(own.settings.heartbeatIntervalMs, 5000);
    assert.is(own.settings.guards.settleAfterTripMs, 120_000);
    assert.is(resolved.settings.failedCooldownMs, 600_000, 'recovery.failedCooldown defaults to 10m');
    await writeFile(join(dir, 'w.yaml'), 'recovery: {failedCooldown: 30m}\n');
    assert.is((await loadWatchConfig(join(dir, 'w.yaml'))).settings.failedCooldownMs, 1_800_000);
    assert.not.ok(checkWatchConfigText('recovery: {failedCooldown: 0s}\n', 'w.yaml').ok);
    assert.not.ok(checkWatchConfigText('recovery: {cooldown: 5m}\n', 'w.yaml').ok);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const tight = checkWatchConfigText('staleAfter: 21s\n', 'w.yaml');
  assert.not.ok(tight.ok);
  if (!tight.ok) {
    assert.equal(
      tight.problems.map((p) => p.pointer),
      ['/staleAfter'],
    );
    assert.match(tight.problems[0]?.message ?? '', /at least 2 x heartbeatInterval \+ 2s \(22s\)/);
  }
  assert.ok(checkWatchConfigText('staleAfter: 22s\n', 'w.yaml').ok);
  assert.not.ok(checkWatchConfigText('heartbeatInterval: 15s\n', 'w.yaml').ok);
});

test('notify: a webhook URL with credentials or plain http off loopback is a problem at /notify/url', () => {
  for (const url of ['http://hooks.example.net/x', 'https://u:p@hooks.example.net/x']) {
    const check = checkWatchConfigText(`notify:\n  url: ${url}\n`, 'w.yaml');
    assert.not.ok(check.ok, url);
    if (!check.ok)
      assert.equal(
        check.problems.map((p) => p.pointer),
        ['/notify/url'],
      );
  }
  assert.ok(checkWatchConfigText('notify:\n  url: https://hooks.example.net/x\n  repeatAfter: 30m\n', 'w.yaml').ok);
});

test('every problem is reported at once, with lines, and coordination is checked too', () => {
  const text = [
    'interval: 5',
    'mode: fix',
    'guards:',
    '  maxStaleFraction: 2',
    '  disabledReasonPattern: "("',
    'listen: 0.0.0.0',
    'coordination:',
    '  endpoints: [etcd1]',
    'alerts:',
    '  token: hunter2',
  ].join('\n');
  const check = checkWatchConfigText(text, 'w.yaml');
  assert.not.ok(check.ok);
  if (check.ok) return;
  const pointers = new Set(check.problems.map((p) => p.pointer));
  for (const p of [
    '/interval',
    '/mode',
    '/guards/maxStaleFraction',
    '/guards/disabledReasonPattern',
    '/listen',
    '/coordination/endpoints/0',
    '/alerts/token',
  ])
    assert.ok(pointers.has(p), `${p} in ${[...pointers].join(' ')}`);
  assert.ok(check.problems.every((p) => p.position !== undefined));
});

test('alerts: the intake options, token file relative to the config, a bad hostPattern refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-watch-config-'));
  try {
    const alerts = { hostPattern: '^([^.]+)', token: { file: 'secret/token' }, expireAfter: '2h', path: '/hook' };
    await writeFile(join(dir, 'w.json'), JSON.stringify({ alerts }));
    const resolved = await loadWatchConfig(join(dir, 'w.json'), 'w.json');
    assert.equal(resolved.alerts, {
      hostPattern: '^([^.]+)',
      path: '/hook',
      token: { file: join(dir, 'secret/token') },
      expireAfterMs: 7_200_000,
    });
    assert.is((await loadWatchConfig(resolve('deploy/watch.example.yaml'))).alerts?.hostLabel, 'host');
    const bad = checkWatchConfigText(JSON.stringify({ alerts: { hostPattern: '(', token: { env: 'T' } } }), 'w.json');
    assert.not.ok(bad.ok);
    if (!bad.ok) assert.ok(bad.problems.some((p) => p.pointer === '/alerts/hostPattern'));
    const untokened = checkWatchConfigText(JSON.stringify({ alerts: { hostLabel: 'host' } }), 'w.json');
    assert.not.ok(untokened.ok, 'alerts without a token');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('watch with alerts but no token in its environment exits 2 before it listens', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-watch-config-'));
  try {
    await writeFile(
      join(dir, 'w.json'),
      JSON.stringify({ stateDir: 'state', alerts: { token: { env: 'NO_SUCH_TOKEN' } } }),
    );
    const run = await cliIn(dir, ['watch', '--config', 'w.json']);
    assert.is(run.code, 2, run.err);
    assert.match(run.err, /NO_SUCH_TOKEN/);
    assert.match(run.err, /what to do/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('forcedown validate detects a watch config (exit 0) and reports its problems (exit 2)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-watch-config-'));
  try {
    await writeFile(join(dir, 'bad.yaml'), 'staleAfter: soon\nconfirmSamples: 0\n');
    const ok = await cliIn(process.cwd(), ['validate', 'deploy/watch.example.yaml']);
    assert.is(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /ok\s+deploy\/watch\.example\.yaml \(watch\)/);
    const bad = await cliIn(dir, ['validate', 'bad.yaml']);
    assert.is(bad.code, 2);
    assert.match(bad.out, /bad\.yaml \(watch\): 2 problems/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
