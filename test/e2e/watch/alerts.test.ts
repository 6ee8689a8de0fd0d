import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloudEnv } from '../support/testbed.js';
import {
  bmcLogLength,
  bmcLogSince,
  freePort,
  freezeCompute,
  httpGet,
  thaw,
  testbedWatchConfig,
  WatcherProcess,
  writeWatchConfig,
} from '../support/watch-process.js';
import { watchScene } from '../support/watch-scene.js';

/**
 * Issue 18, the alert intake end to end: the real `forcedown watch` with `alerts` configured
 * (bearer token from the environment, host from the `instance` label trimmed by hostPattern)
 * takes Alertmanager's webhook payload (version 4) on its watch server.
 *
 * What the code's rules say (src/watch/watcher.ts `cycle`, detect.ts `isAlertCandidate`): an
 * alert never fences on its own; the alerted host becomes a candidate once Nova shows it missed a
 * heartbeat (aging: staleAfter - heartbeatInterval - 1 s), then needs confirmSamples polls and
 * passes every guard. This suite tests the case the feature is for: a hung host (nova-compute
 * SIGSTOPped) that is also alerted is recovered before staleAfter (30 s) would have confirmed it
 * from Nova alone.
 */
const test = suite('watch: Alertmanager alerts, wrong token refused, right token recovers');
const HOST = 'fake3';
const PREFIX = 'e2e-wa';
const TOKEN_ENV = 'FORCEDOWN_E2E_ALERT_TOKEN';
const scene = watchScene(test, { tmpPrefix: 'fd-e2e-watch-alerts-', boot: { host: HOST, count: 2, prefix: PREFIX } });

const novaTime = (text: string): number => Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);

/** Alertmanager's webhook payload (version 4) for one alert on `instance`. */
function payload(status: 'firing' | 'resolved', instance: string, startsAt: string): Record<string, unknown> {
  const labels = { alertname: 'NovaComputeHostDown', instance, severity: 'critical' };
  return {
    version: '4',
    groupKey: '{}:{alertname="NovaComputeHostDown"}',
    truncatedAlerts: 0,
    status,
    receiver: 'forcedown',
    groupLabels: { alertname: labels.alertname },
    commonLabels: labels,
    commonAnnotations: { summary: `${instance} is down` },
    externalURL: 'http://127.0.0.1:9093',
    alerts: [
      {
        status,
        labels,
        annotations: { summary: `${instance} is down` },
        startsAt,
        endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
        generatorURL: 'http://127.0.0.1:9090/graph',
        fingerprint: 'e2e0fake3down01',
      },
    ],
  };
}

async function postAlert(
  port: number,
  body: Record<string, unknown>,
  token: string | undefined,
): Promise<{ status: number; body: Record<string, unknown>; challenge: string | null }> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/alerts`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    challenge: response.headers.get('www-authenticate'),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Nothing was done to the host: no power call but reads in its BMC log, Nova's service untouched. */
async function assertUntouched(watcher: WatcherProcess, bmcOffset: number): Promise<void> {
  const bmc = await bmcLogSince(HOST, bmcOffset);
  assert.not.ok(
    bmc.some((line) => /set power/.test(line)),
    `no power call on ${HOST}:\n${bmc.join('\n')}`,
  );
  assert.not.ok(
    watcher.logs.some((l) => l.msg === 'recovering host'),
    watcher.tail(),
  );
  const service = await scene.client.compute.findComputeService(HOST);
  assert.not.ok(service.forcedDown, `${HOST} not forced down`);
  assert.is(service.status, 'enabled');
  assert.is(service.state, 'up');
}

test('wrong token: 401 and nothing happens; right token on a hung host: recovered once, fast', async () => {
  const token = randomBytes(24).toString('base64url');
  const port = await freePort();
  const config = await writeWatchConfig(
    scene.dir,
    testbedWatchConfig({
      alerts: { hostLabel: 'instance', hostPattern: '^([^.:]+)', token: { env: TOKEN_ENV } },
    }),
    port,
  );
  const bmcOffset = await bmcLogLength(HOST);
  const watcher = new WatcherProcess(config, { ...cloudEnv(), [TOKEN_ENV]: token });
  let frozen: number | undefined;
  let code: number | null;
  try {
    const watching = await watcher.waitForLog((l) => l.msg === 'watching', 'the watcher to start', 30_000);
    assert.is(watching.alerts, `http://127.0.0.1:${port}/api/v1/alerts`);
    assert.not.ok(watcher.stdout.includes(token), 'the token is not logged');
    const instance = `${HOST}.testbed.example:9100`;
    const startsAt = new Date().toISOString();
    const firing = payload('firing', instance, startsAt);

    // a healthy, heartbeating host alerted with a wrong token, and with none: refused
    const wrong = await postAlert(port, firing, `${token}x`);
    assert.is(wrong.status, 401, JSON.stringify(wrong.body));
    assert.match(String(wrong.challenge), /invalid_token/);
    assert.ok(typeof wrong.body.what_to_do === 'string', JSON.stringify(wrong.body));
    const none = await postAlert(port, firing, undefined);
    assert.is(none.status, 401);
    // refused alerts reach nothing (and an alert alone never fences a heartbeating host): 5 polls
    await sleep(10_000);
    await assertUntouched(watcher, bmcOffset);

    // a hung host (heartbeats stop) and its alert, right token: recovered without waiting for staleAfter
    const lastHeartbeat = novaTime(String((await scene.client.compute.findComputeService(HOST)).updatedAt));
    frozen = freezeCompute(HOST);
    const frozenAt = Date.now();
    const right = await postAlert(port, firing, token);
    assert.is(right.status, 200, JSON.stringify(right.body));
    assert.equal(right.body, { status: 'accepted', firing: 1, resolved: 0, ignored: 0 });
    const recovering = await watcher.waitForLog(
      (l) => l.msg === 'recovering host' && l.host === HOST,
      'the alerted host to be recovered',
      60_000,
    );
    const detected = Date.parse(recovering.ts);
    const finished = await watcher.waitForLog(
      (l) => l.msg === 'recovery finished' && l.host === HOST,
      'the recovery to finish',
      180_000,
    );
    console.log(
      `watch alerts figures: alert posted ${((frozenAt - lastHeartbeat) / 1000).toFixed(1)} s after the last heartbeat; recovery started ${((detected - frozenAt) / 1000).toFixed(1)} s after the alert (${((detected - lastHeartbeat) / 1000).toFixed(1)} s after the last heartbeat; staleAfter alone: >= 30 s + 2 polls), finished ${((Date.parse(finished.ts) - frozenAt) / 1000).toFixed(1)} s after the alert`,
    );
    assert.is(finished.status, 'succeeded', watcher.tail());
    assert.ok(detected - lastHeartbeat < 30_000, 'started before the heartbeat was staleAfter old');

    // the alert still fires: the host (forced down, disabled) is not recovered again; then resolved
    await sleep(6000);
    const resolved = await postAlert(port, payload('resolved', instance, startsAt), token);
    assert.is(resolved.status, 200);
    assert.is(resolved.body.resolved, 1);
    assert.is(watcher.logs.filter((l) => l.msg === 'recovering host').length, 1, watcher.tail());

    const bmc = await bmcLogSince(HOST, bmcOffset);
    assert.is(bmc.filter((line) => /set power 0 -> killed pid/.test(line)).length, 1, bmc.join('\n'));
    const service = await scene.client.compute.findComputeService(HOST);
    assert.ok(service.forcedDown, 'forced down');
    assert.is(service.status, 'disabled');
    for (const before of scene.servers) {
      const after = await scene.client.compute.getServer(before.id);
      assert.ok(after.host !== null && after.host !== HOST, `${before.name} moved (now on ${after.host})`);
      assert.is(after.status, 'ACTIVE', `${before.name} ACTIVE`);
    }
    const metrics = await httpGet(port, '/metrics');
    assert.match(metrics.body, /forcedown_watch_runs_total\{outcome="succeeded"\} 1/);
    for (const other of ['fake1', 'fake2']) {
      const s = await scene.client.compute.findComputeService(other);
      assert.ok(!s.forcedDown && s.status === 'enabled', `${other} untouched`);
    }
  } finally {
    code = await watcher.stop();
    if (frozen !== undefined) thaw(frozen);
  }
  assert.is(code, 0, `watcher stopped cleanly on SIGTERM: ${watcher.stderr}`);
});

test.run();
