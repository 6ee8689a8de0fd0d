import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  handshakeLine,
  portsFromEnv,
  serve,
} from '../../../src/provider/serve.js';
import { generateServerCertificate } from '../../../src/provider/tls.js';

const root = join(import.meta.dirname, '../../..');

function capture(): { write(text: string): void; text: () => string } {
  let out = '';
  return { write: (text) => void (out += text), text: () => out };
}

test('run by hand (no magic cookie): a friendly message, exit 1, nothing on stdout', async () => {
  const stdout = capture();
  const stderr = capture();
  const code = await serve({ env: { PLUGIN_CLIENT_CERT: generateServerCertificate().certPem }, stdout, stderr });
  assert.is(code, 1);
  assert.is(stdout.text(), '');
  assert.match(stderr.text(), 'is a Terraform plugin');
  assert.match(stderr.text(), 'forcedown provider install');
});

test('a wrong cookie value is refused the same way', async () => {
  const stderr = capture();
  assert.is(await serve({ env: { [MAGIC_COOKIE_KEY]: 'nope' }, stdout: capture(), stderr }), 1);
  assert.match(stderr.text(), 'is a Terraform plugin');
});

test('a Terraform that does not offer protocol 6 is refused with what to do', async () => {
  const stderr = capture();
  const code = await serve({
    env: { [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '4,5', PLUGIN_CLIENT_CERT: 'x' },
    stdout: capture(),
    stderr,
  });
  assert.is(code, 1);
  assert.match(stderr.text(), 'protocol 6 only');
});

test('no client certificate (no mTLS possible) is refused unless TF_DISABLE_PLUGIN_TLS is set', async () => {
  const stderr = capture();
  assert.is(await serve({ env: { [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE }, stdout: capture(), stderr }), 1);
  assert.match(stderr.text(), 'PLUGIN_CLIENT_CERT is not set');
});

test('an unparsable client certificate is refused', async () => {
  const stderr = capture();
  assert.is(
    await serve({
      env: { [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_CLIENT_CERT: 'not a pem' },
      stdout: capture(),
      stderr,
    }),
    1,
  );
  assert.match(stderr.text(), 'not a usable PEM certificate');
});

test('handshake line format and port range', () => {
  assert.is(handshakeLine(4242, Buffer.from([1, 2, 3, 4])), '1|6|tcp|127.0.0.1:4242|grpc|AQIDBA');
  assert.equal(portsFromEnv({ PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '10002' }), [10000, 10001, 10002]);
  assert.equal(portsFromEnv({}), [0]);
  assert.equal(portsFromEnv({ PLUGIN_MIN_PORT: '9', PLUGIN_MAX_PORT: '3' }), [0]);
});

test('the installed entry point (bin/terraform-provider-forcedown.js) run by hand exits 1 with the message', () => {
  assert.ok(
    existsSync(join(root, 'dist/provider/serve.js')),
    'dist/ is built (npm run build; npm ci builds it through "prepare")',
  );
  const env = { ...process.env };
  delete env[MAGIC_COOKIE_KEY];
  const result = spawnSync(process.execPath, [join(root, 'bin/terraform-provider-forcedown.js')], {
    env,
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.is(result.status, 1);
  assert.is(result.stdout, '');
  assert.match(result.stderr, 'is a Terraform plugin');
});

test.run();
