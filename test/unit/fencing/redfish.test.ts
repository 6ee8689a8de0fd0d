import { createServer } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createPowerController,
  fence,
  powerOn,
  redfishErrorMessages,
  type PowerProgress,
  type PowerWaitNotice,
} from '../../../src/fencing/index.js';
import type { RedfishBmc } from '../../../src/generated/inventory.types.js';
import {
  createTestTls,
  RedfishDouble,
  type RedfishDoubleOptions,
  type TestTls,
} from '../../support/redfish-double/index.js';
import { assertNoSecret, rejection } from './support.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

const PASSWORD = 'redfish-Secr3t-pw';
const BASIC = Buffer.from(`admin:${PASSWORD}`).toString('base64');
const quick = { pollIntervalMs: 10, retryDelayMs: 10 };
let tls: TestTls;
let double: RedfishDouble | undefined;

async function startDouble(options: Partial<RedfishDoubleOptions> = {}): Promise<RedfishDouble> {
  double = await RedfishDouble.start({ tls: { cert: tls.cert, key: tls.key }, password: PASSWORD, ...options });
  return double;
}

function controller(
  d: RedfishDouble,
  patch: Partial<RedfishBmc> = {},
  password = PASSWORD,
  warn: (message: string) => void = () => {},
) {
  const bmc: RedfishBmc = {
    driver: 'redfish',
    url: d.url,
    username: 'admin',
    password: { env: 'BMC_PW_FAKE2' },
    caCert: tls.caPath,
    ...patch,
  };
  return createPowerController('fake2', bmc, password, { warn });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test.before(() => {
  tls = createTestTls();
});
test.after.each(async () => {
  await double?.close();
  double = undefined;
});
test.after(() => tls.cleanup());

test('status discovers the system through the service root and reads PowerState', async () => {
  const d = await startDouble();
  const c = controller(d);
  assert.is(c.driver, 'redfish');
  assert.is(c.target, `redfish admin@${d.url}`);
  assert.is(await c.status(), 'on');
  assert.equal(
    d.calls.map((call) => `${call.method} ${call.path} ${call.status}`),
    ['GET /redfish/v1/ 200', 'GET /redfish/v1/Systems 200', 'GET /redfish/v1/Systems/1 200'],
  );
  assert.ok(d.calls.every((call) => call.authorized));
  d.setPower('Off');
  assert.is(await c.status(), 'off');
  assert.is(d.count('GET', '/redfish/v1/Systems/1'), 2, 'discovery is cached');
  d.setPower('PoweringOff');
  assert.is(await c.status(), 'powering-off');
  d.setPower('PoweringOn');
  assert.is(await c.status(), 'powering-on');
  d.setPower('Paused');
  assert.is(await c.status(), 'on');
});

test('fence sends ForceOff to the target read from Actions and waits through PoweringOff', async () => {
  const d = await startDouble({ transitionDelayMs: Number.POSITIVE_INFINITY });
  const seen: string[] = [];
  const evidence = await fence(controller(d), {
    ...quick,
    onProgress: (event: PowerProgress) => {
      if (event.phase === 'read' && event.state) seen.push(event.state);
      // the BMC finishes the transition only after forcedown has seen PoweringOff
      if (event.state === 'powering-off') d.setPower('Off');
    },
  });
  assert.equal(seen, ['on', 'powering-off', 'off']);
  assert.is(evidence.state, 'off');
  assert.is(evidence.alreadyOff, false);
  assert.is(evidence.readBacks, 3);
  assert.is(evidence.driver, 'redfish');
  assert.ok(evidence.offSentAt);
  assert.is(
    evidence.request,
    `POST ${d.url}/redfish/v1/Systems/1/Actions/ComputerSystem.Reset {"ResetType":"ForceOff"}`,
  );
  assert.equal(d.resets(), ['ForceOff']);
});

test('a real transition delay: confirmed once Off, onPower hook called', async () => {
  const powered: string[] = [];
  const d = await startDouble({ transitionDelayMs: 100, onPower: (state, id) => powered.push(`${id}:${state}`) });
  const evidence = await fence(controller(d), quick);
  assert.is(evidence.state, 'off');
  assert.is(d.power(), 'Off');
  assert.equal(powered, ['1:Off']);
});

test('the Reset target is whatever the system publishes', async () => {
  const d = await startDouble({ resetTargetSuffix: '/Actions/ComputerSystem.Reset/' });
  await fence(controller(d), quick);
  assert.equal(d.resets(), ['ForceOff']);
  assert.ok(
    d.calls.some(
      (call) => call.method === 'POST' && call.path === '/redfish/v1/Systems/1/Actions/ComputerSystem.Reset/',
    ),
  );
});

test('already off: confirmed without any Reset', async () => {
  const d = await startDouble({ powerState: 'Off' });
  const evidence = await fence(controller(d), quick);
  assert.is(evidence.alreadyOff, true);
  assert.is(d.count('POST'), 0);
});

test('a bad password is an auth failure (exit 3) with the Redfish message; nothing sent', async () => {
  const d = await startDouble();
  const wrong = 'wrong-Redfish-pw';
  const error = await rejection(fence(controller(d, {}, wrong), quick));
  assert.is(error.code, 'FENCE_AUTH_FAILED');
  assert.is(exitCodeOf(error), 3);
  assert.ok(error.isAuthFailure);
  assert.match(error.message, 'HTTP 401');
  assert.match(error.message, 'authorization error');
  assert.match(error.message, 'fake2');
  assert.match(error.hint, 'environment variable BMC_PW_FAKE2');
  assert.is(d.count('POST'), 0);
  assert.is(d.power(), 'On');
  assert.equal(error.data.httpStatus, 401);
  const basicWrong = Buffer.from(`admin:${wrong}`).toString('base64');
  assertNoSecret(error, wrong, basicWrong, PASSWORD, BASIC);
});

test('credentials changed on the BMC after discovery: 401 on the next read', async () => {
  const d = await startDouble();
  const c = controller(d);
  assert.is(await c.status(), 'on');
  d.setCredentials('admin', 'rotated-Passw0rd');
  const error = await rejection(c.status());
  assert.is(error.code, 'BMC_AUTH_FAILED');
  assert.is(exitCodeOf(error), 1);
});

test('an unreachable port is reported unreachable (exit 3)', async () => {
  const port = await closedPort();
  const c = createPowerController(
    'fake2',
    { driver: 'redfish', url: `https://127.0.0.1:${port}`, username: 'admin', password: { env: 'X' } },
    PASSWORD,
  );
  const error = await rejection(fence(c, { ...quick, statusRetries: 1 }));
  assert.is(error.code, 'FENCE_UNREACHABLE');
  assert.ok(error.isUnreachable);
  assert.is(exitCodeOf(error), 3);
  assert.match(error.message, 'ECONNREFUSED');
  assert.match(error.hint, 'network');
});

test('a BMC that never answers is abandoned at the call timeout', async () => {
  const d = await startDouble();
  d.failNext(10, 'hang');
  const error = await rejection(fence(controller(d, { callTimeoutSec: 0.2 }), { ...quick, statusRetries: 0 }));
  assert.ok(error.isUnreachable);
  assert.is(error.data.callTimedOut, true);
});

test('a BMC that accepts TCP but never completes the TLS handshake fails at the connect timeout', async () => {
  const silent = createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  const c = createPowerController(
    'fake2',
    {
      driver: 'redfish',
      url: `https://127.0.0.1:${port}`,
      username: 'admin',
      password: { env: 'X' },
      callTimeoutSec: 0.3,
    },
    PASSWORD,
  );
  const started = Date.now();
  const error = await rejection(c.status());
  assert.ok(Date.now() - started < 2000);
  assert.ok(error.isUnreachable);
  assert.match(error.message, 'could not connect within 0.3 s');
  silent.close();
  silent.unref();
});

test('an unknown PowerState is an unknown-state error', async () => {
  const d = await startDouble();
  d.setRawPowerState('Unknown');
  let error = await rejection(fence(controller(d), quick));
  assert.is(error.code, 'FENCE_STATE_UNKNOWN');
  assert.ok(error.isUnknownState);
  assert.match(error.message, 'PowerState is "Unknown"');
  d.setRawPowerState(null);
  error = await rejection(controller(d).status());
  assert.ok(error.isUnknownState);
  assert.is(d.count('POST'), 0);
});

test('stuck in PoweringOff: the fence times out (exit 3) with the last state', async () => {
  const d = await startDouble({ transitionDelayMs: Number.POSITIVE_INFINITY });
  const error = await rejection(fence(controller(d), { ...quick, timeoutMs: 200 }));
  assert.is(error.code, 'FENCE_TIMEOUT');
  assert.ok(error.timedOut);
  assert.is(exitCodeOf(error), 3);
  assert.is(error.lastState, 'powering-off');
  assert.equal(d.resets(), ['ForceOff'], 'ForceOff sent once');
});

test('TLS: the CA bundle is trusted; without it, or with another CA, the BMC is refused', async () => {
  const d = await startDouble();
  assert.is(await controller(d).status(), 'on');
  const trustedCalls = d.calls.length;
  let error = await rejection(fence(controller(d, { caCert: undefined }), quick));
  assert.is(error.code, 'FENCE_TLS_UNTRUSTED');
  assert.ok(error.isTlsFailure);
  assert.is(exitCodeOf(error), 3);
  assert.match(error.hint, 'caCert');
  error = await rejection(controller(d, { caCert: tls.otherCaPath }).status());
  assert.ok(error.isTlsFailure);
  assert.is(d.calls.length, trustedCalls, 'no request of the untrusting controllers got through');
});

test('TLS: insecure works, with a warning, and never sends a Reset without read-back', async () => {
  const d = await startDouble();
  const warnings: string[] = [];
  const evidence = await fence(
    controller(d, { caCert: undefined, insecure: true }, PASSWORD, (m) => warnings.push(m)),
    quick,
  );
  assert.is(evidence.state, 'off');
  assert.is(warnings.length, 1);
  assert.match(warnings[0] ?? '', 'TLS verification is disabled');
  assert.match(warnings[0] ?? '', 'fake2');
  assert.not.match(warnings.join('\n'), PASSWORD);
});

test('a relative caCert is resolved against baseDir; a missing one is a config error', async () => {
  const d = await startDouble();
  const bmc: RedfishBmc = {
    driver: 'redfish',
    url: d.url,
    username: 'admin',
    password: { env: 'X' },
    caCert: 'ca.pem',
  };
  assert.is(await createPowerController('fake2', bmc, PASSWORD, { baseDir: tls.dir }).status(), 'on');
  const error = await rejection(
    createPowerController('fake2', { ...bmc, caCert: 'missing.pem' }, PASSWORD, { baseDir: tls.dir }).status(),
  );
  assert.ok(error.isConfigError);
  assert.match(error.message, 'missing.pem');
});

test('409 with ExtendedInfo: the fence re-reads, then rejects with the BMC message', async () => {
  const d = await startDouble();
  d.failNext(
    1,
    {
      status: 409,
      messageId: 'ResourceInUse',
      message: 'The change to the requested resource failed because the resource is in use or in transition.',
    },
    { method: 'POST' },
  );
  const error = await rejection(fence(controller(d), quick));
  assert.is(error.code, 'FENCE_REJECTED');
  assert.ok(error.isRejected);
  assert.match(error.message, 'HTTP 409');
  assert.match(error.message, 'resource is in use or in transition');
  assert.match(error.message, 'Base.1.16.ResourceInUse');
  assert.is(d.count('POST'), 1, 'not resent');
  assert.equal(
    d.calls.slice(-2).map((call) => call.method),
    ['POST', 'GET'],
    'the state was read again after the refusal',
  );
});

test('400 ActionParameterValueNotInList from the BMC is reported (ActionInfo unreadable, so not checked first)', async () => {
  const d = await startDouble({ actionInfo: true, allowableResetTypes: ['On', 'GracefulShutdown'] });
  d.failNext(1, { status: 500 }, { path: 'ResetActionInfo' });
  const error = await rejection(fence(controller(d), quick));
  assert.ok(error.isRejected);
  assert.match(error.message, 'HTTP 400');
  assert.match(error.message, "The value 'ForceOff' for the parameter ResetType");
  assert.equal(error.data.redfishMessages, [
    "The value 'ForceOff' for the parameter ResetType in the action ComputerSystem.Reset is not in the list of acceptable values. [Base.1.16.ActionParameterValueNotInList]",
  ]);
});

test('a ResetType the BMC does not allow (inline or ActionInfo) is a config error before any POST', async () => {
  for (const actionInfo of [false, true]) {
    const d = await startDouble({ actionInfo, allowableResetTypes: ['On', 'GracefulShutdown'] });
    const error = await rejection(fence(controller(d), quick));
    assert.ok(error.isConfigError, `actionInfo=${actionInfo}`);
    assert.match(error.message, 'does not allow ResetType ForceOff (allowed: On, GracefulShutdown)');
    assert.match(error.hint, 'offResetType');
    assert.is(d.count('POST'), 0);
    await d.close();
    double = undefined;
  }
  const d = await startDouble({ allowableResetTypes: ['On', 'GracefulShutdown'] });
  const evidence = await fence(controller(d, { offResetType: 'GracefulShutdown' }), quick);
  assert.is(evidence.state, 'off');
  assert.equal(d.resets(), ['GracefulShutdown']);
});

test('a system without the Reset action is rejected', async () => {
  const d = await startDouble({ noResetAction: true });
  const error = await rejection(fence(controller(d), quick));
  assert.ok(error.isRejected);
  assert.match(error.message, 'no #ComputerSystem.Reset action');
});

test('several systems: systemId is required and selects the one to control', async () => {
  const d = await startDouble({ systems: ['A', 'B'] });
  const error = await rejection(controller(d).status());
  assert.ok(error.isConfigError);
  assert.match(error.message, '2 systems (A, B)');
  const wrong = await rejection(controller(d, { systemId: 'C' }).status());
  assert.match(wrong.message, 'no system "C"');
  const c = controller(d, { systemId: 'B' });
  assert.match(c.target, 'system B');
  await fence(c, quick);
  assert.is(d.power('B'), 'Off');
  assert.is(d.power('A'), 'On');
});

test('a 503 on a status read is retried', async () => {
  const d = await startDouble();
  d.failNext(1, { status: 503 }, { method: 'GET', path: '/Systems/1' });
  const evidence = await fence(controller(d), quick);
  assert.is(evidence.state, 'off');
  assert.is(d.calls.filter((call) => call.status === 503).length, 1);
});

test('dry-run reads, sends no Reset, and says what it would send', async () => {
  const d = await startDouble();
  const report = await fence(controller(d), { ...quick, dryRun: true });
  assert.ok(report.dryRun);
  if (!report.dryRun) return;
  assert.is(report.currentState, 'on');
  assert.is(
    report.wouldSend,
    `POST ${d.url}/redfish/v1/Systems/1/Actions/ComputerSystem.Reset {"ResetType":"ForceOff"}`,
  );
  assert.is(d.count('POST'), 0);
  assert.is(d.power(), 'On');
});

test('powerOn goes through PoweringOn to On with the configured ResetType', async () => {
  const d = await startDouble({ powerState: 'Off', transitionDelayMs: 50 });
  const evidence = await powerOn(controller(d, { onResetType: 'ForceOn' }), quick);
  assert.is(evidence.state, 'on');
  assert.equal(d.resets(), ['ForceOn']);
  assert.is(d.power(), 'On');
});

test('cancellation while waiting for the read-back: exit 130, nothing more sent', async () => {
  const d = await startDouble({ transitionDelayMs: Number.POSITIVE_INFINITY });
  const abort = new AbortController();
  const error = await rejection(
    fence(controller(d), {
      ...quick,
      signal: abort.signal,
      onProgress: (event) => {
        if (event.phase === 'wait') abort.abort();
      },
    }),
  );
  assert.ok(error.isCanceled);
  assert.is(exitCodeOf(error), 130);
  assert.is(error.code, 'FENCE_CANCELED');
  const calls = d.calls.length;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.is(d.calls.length, calls);
  assert.equal(d.resets(), ['ForceOff']);
});

test('the Authorization header carries Basic credentials and is never echoed', async () => {
  const d = await startDouble();
  await controller(d).status();
  assert.is(d.calls.at(-1)?.authorization, `Basic ${BASIC}`);
});

test('redfishErrorMessages reads ExtendedInfo, then error.message', () => {
  assert.equal(
    redfishErrorMessages({
      error: {
        code: 'Base.1.0.GeneralError',
        message: 'general',
        '@Message.ExtendedInfo': [{ MessageId: 'Base.1.0.X', Message: 'specific' }],
      },
    }),
    ['specific [Base.1.0.X]'],
  );
  assert.equal(redfishErrorMessages({ error: { code: 'Base.1.0.GeneralError', message: 'general' } }), ['general']);
  assert.equal(redfishErrorMessages('nope'), []);
});

// --- wait notices: a slow BMC is never silent ----------------------------------------------

function noticing(d: RedfishDouble, noticeEveryMs: number, patch: Partial<RedfishBmc> = {}) {
  const notices: PowerWaitNotice[] = [];
  const c = createPowerController(
    'fake2',
    {
      driver: 'redfish',
      url: d.url,
      username: 'admin',
      password: { env: 'BMC_PW_FAKE2' },
      caCert: tls.caPath,
      ...patch,
    },
    PASSWORD,
    { warn: () => {}, onWait: (notice) => notices.push(notice), noticeEveryMs },
  );
  return { c, notices };
}

test('a Redfish request the BMC is slow to answer says what it waits for after the threshold', async () => {
  const d = await startDouble();
  d.delayNext(1, 600, { method: 'GET', path: '/redfish/v1/Systems/1' });
  const { c, notices } = noticing(d, 100);
  assert.is(await c.status(), 'on');
  assert.ok(notices.length >= 1, 'at least one notice while the BMC delayed its answer');
  assert.ok(
    notices.every((n) => n.waitedMs >= 100),
    'no notice before the threshold',
  );
  assert.ok(
    notices.every((n) => n.request === 'GET /redfish/v1/Systems/1'),
    'only the delayed request was noticed (discovery answered at once)',
  );
  const [first] = notices;
  assert.ok(first);
  assert.is(first.bmc, d.url);
  assert.is(first.action, 'power status');
  assert.is(first.timeoutMs, 20_000);
  assert.match(
    first.message,
    `waiting for the BMC of fake2 (redfish ${d.url}, power status, GET /redfish/v1/Systems/1): no answer yet after`,
  );
  assert.match(first.message, 'gives up after 20 s');
});

test('a Redfish request answered before the threshold says nothing', async () => {
  const d = await startDouble();
  d.delayNext(3, 150);
  const { c, notices } = noticing(d, 10_000);
  assert.is(await c.status(), 'on');
  assert.equal(notices, []);
});

test('Redfish wait notices never hold the password, the Basic token or credentials in the URL', async () => {
  const d = await startDouble();
  const URL_PASSWORD = 'url-Secr3t-pw';
  const withUserInfo = d.url.replace('https://', `https://admin:${URL_PASSWORD}@`);
  d.delayNext(10, 300);
  const { c, notices } = noticing(d, 50, { url: withUserInfo });
  await fence(c, quick);
  assert.ok(
    notices.some((n) => n.action === 'power off' && n.request?.startsWith('POST ')),
    'the reset POST waited',
  );
  const text = JSON.stringify(notices);
  for (const secret of [PASSWORD, BASIC, URL_PASSWORD, 'admin'])
    assert.not.ok(text.includes(secret), `${secret} appears in a notice: ${text}`);
});

test('a power-off read-back says it waits for off while the BMC reports PoweringOff', async () => {
  const d = await startDouble({ transitionDelayMs: 150 });
  const progress: PowerProgress[] = [];
  await fence(controller(d), { ...quick, timeoutMs: 5000, onProgress: (event) => progress.push(event) });
  const wait = progress.find((event) => event.phase === 'wait');
  assert.ok(wait);
  assert.match(
    wait.message,
    /^fake2: power is powering-off, waiting for off \(redfish admin@\S+, \d+ reads; waited \d+(\.\d)? s of 5 s\)$/,
  );
});

test.run();
