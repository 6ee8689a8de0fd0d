// The Redfish double against OpenStack's own Redfish client: sushy (Debian 12: python3-sushy 4.3.3,
// the library Ironic's redfish driver uses). If sushy reads the double's systems, power state and
// allowable ResetTypes, resets it through PoweringOff, and maps its 401 to AccessError, then the
// double's resource shapes are the ones real OpenStack tooling expects, and the redfish driver's
// unit tests against it mean something.
//
// (sushy-tools, OpenStack's Redfish *emulator*, is not packaged in Debian 12, so it cannot serve
// as the real BMC here; see test/support/redfish-double.)
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPowerController, fence } from '../../../src/fencing/index.js';
import { createTestTls, RedfishDouble, type TestTls } from '../../support/redfish-double/index.js';

const PYTHON = '/usr/bin/python3';
const SUSHY_CHECK = join(import.meta.dirname, '../../support/redfish-double/sushy_check.py');
const PASSWORD = 'sushy-Check-pw1';

interface SushyView {
  systems: string[];
  power_state: string;
  allowed: string[];
  after_force_off: string;
  bad_password: { type: string; status: number; message: string } | null;
}

function runSushy(url: string, caPath: string): Promise<SushyView> {
  // requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override the per-session CA file: drop them
  const env = { ...process.env };
  delete env.REQUESTS_CA_BUNDLE;
  delete env.CURL_CA_BUNDLE;
  return new Promise((resolve, reject) => {
    const child = execFile(
      PYTHON,
      [SUSHY_CHECK, url, caPath, 'admin'],
      { env, timeout: 60_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`sushy_check.py failed: ${stderr.split('\n').slice(-5).join('\n')}`));
        else resolve(JSON.parse(stdout) as SushyView);
      },
    );
    child.stdin?.end(`${PASSWORD}\n`);
  });
}

let tls: TestTls;
test.before(() => {
  tls = createTestTls();
});
test.after(() => tls.cleanup());

test('python3-sushy is installed (Debian 12 package; test/e2e/testbed/up.sh should install it)', () => {
  assert.ok(existsSync('/usr/lib/python3/dist-packages/sushy/__init__.py'), 'apt-get install python3-sushy');
});

test('OpenStack sushy reads, resets and is refused by the Redfish double like a real BMC', async () => {
  const double = await RedfishDouble.start({
    tls: { cert: tls.cert, key: tls.key },
    password: PASSWORD,
    transitionDelayMs: 60_000,
  });
  try {
    const view = await runSushy(double.url, tls.caPath);
    assert.equal(view.systems, ['/redfish/v1/Systems/1']);
    assert.is(view.power_state, 'PowerState.ON');
    assert.ok(
      view.allowed.includes('ResetType.FORCE_OFF') && view.allowed.includes('ResetType.ON'),
      view.allowed.join(', '),
    );
    assert.is(view.after_force_off, 'PowerState.POWERING_OFF');
    assert.equal(double.resets(), ['ForceOff']);
    assert.ok(view.bad_password, 'a wrong password is refused');
    assert.is(view.bad_password?.type, 'AccessError');
    assert.is(view.bad_password?.status, 401);
    assert.match(view.bad_password?.message ?? '', 'ResourceAtUriUnauthorized');
  } finally {
    await double.close();
  }
});

test('forcedown and sushy agree: a fence by forcedown is seen as Off by sushy', async () => {
  const double = await RedfishDouble.start({
    tls: { cert: tls.cert, key: tls.key },
    password: PASSWORD,
    transitionDelayMs: 50,
  });
  try {
    const controller = createPowerController(
      'fake2',
      { driver: 'redfish', url: double.url, username: 'admin', password: { env: 'X' }, caCert: tls.caPath },
      PASSWORD,
    );
    const evidence = await fence(controller, { pollIntervalMs: 20 });
    assert.is(evidence.state, 'off');
    const view = await runSushy(double.url, tls.caPath);
    // sushy's own ForceOff on a system that is already off changes nothing
    assert.is(view.power_state, 'PowerState.OFF');
    assert.is(view.after_force_off, 'PowerState.OFF');
  } finally {
    await double.close();
  }
});

test.run();
