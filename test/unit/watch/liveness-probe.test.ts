import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isForcedownError } from '../../../src/errors/index.js';
import type { InventoryHost } from '../../../src/generated/inventory.types.js';
import { validateAgainst } from '../../../src/validation/index.js';
import { createLivenessProbe, parseTcpTarget } from '../../../src/watch/liveness-probe.js';

const fixtures = join(import.meta.dirname, '../../fixtures/bin');
const bmc: InventoryHost['bmc'] = { driver: 'command', command: ['/bin/true'] };

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}
async function closedPort(): Promise<number> {
  const { server, port } = await listening();
  await new Promise((resolve) => server.close(resolve));
  return port;
}
const signal = (): AbortSignal => new AbortController().signal;

test('tcp: a listener answers, a closed port is silent, no probe is not-configured', async () => {
  const { server, port } = await listening();
  const closed = await closedPort();
  try {
    const hosts: Record<string, InventoryHost> = {
      up: { bmc, probe: { tcp: `127.0.0.1:${port}`, timeoutSec: 2 } },
      down: { bmc, probe: { tcp: `127.0.0.1:${closed}`, timeoutSec: 2 } },
      plain: { bmc },
    };
    const probe = createLivenessProbe({ hosts });
    assert.is(await probe.probe('up', signal()), 'answers');
    assert.is(await probe.probe('down', signal()), 'silent');
    assert.is(await probe.probe('plain', signal()), 'not-configured');
    assert.is(await probe.probe('not-in-inventory', signal()), 'not-configured');
    assert.is(await probe.probe('__proto__', signal()), 'not-configured');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('tcp: an address that never answers is silent when the deadline passes', async () => {
  // 192.0.2.0/24 (TEST-NET-1) is not routed: the connect either hangs until the deadline or fails at once
  const probe = createLivenessProbe({ hosts: { h: { bmc, probe: { tcp: '192.0.2.1:22', timeoutSec: 0.2 } } } });
  assert.is(await probe.probe('h', signal()), 'silent');
});

test('cancelling a probe rejects with an interrupted error', async () => {
  const probe = createLivenessProbe({
    hosts: {
      t: { bmc, probe: { tcp: '192.0.2.1:22', timeoutSec: 30 } },
      c: { bmc, probe: { command: [process.execPath, join(fixtures, 'sleep-forever.mjs')], timeoutSec: 30 } },
    },
  });
  for (const host of ['t', 'c']) {
    const controller = new AbortController();
    const pending = probe.probe(host, controller.signal);
    setImmediate(() => controller.abort(new Error('stop')));
    try {
      await pending;
      assert.unreachable('should reject');
    } catch (error) {
      assert.ok(isForcedownError(error), String(error));
      assert.is(error.kind, 'interrupted');
      assert.is(error.code, 'PROBE_INTERRUPTED');
    }
  }
  const aborted = AbortSignal.abort();
  try {
    await probe.probe('t', aborted);
    assert.unreachable('should reject');
  } catch (error) {
    assert.ok(isForcedownError(error) && error.kind === 'interrupted');
  }
});

test('command: exit 0 answers, non-zero, a missing program or the deadline are silent; FORCEDOWN_HOST is set', async () => {
  const node = process.execPath;
  const echo = join(fixtures, 'echo-env.mjs');
  const hosts: Record<string, InventoryHost> = {
    ok: { bmc, probe: { command: [node, '-e', 'process.exit(process.env.FORCEDOWN_HOST === "ok" ? 0 : 3)'] } },
    fails: { bmc, probe: { command: [node, '-e', 'process.exit(1)'] } },
    missing: { bmc, probe: { command: ['/nonexistent/forcedown-probe'] } },
    slow: { bmc, probe: { command: [node, join(fixtures, 'sleep-forever.mjs')], timeoutSec: 0.3 } },
    echo: { bmc, probe: { command: [node, echo] } },
  };
  const probe = createLivenessProbe({ hosts });
  assert.is(await probe.probe('ok', signal()), 'answers');
  assert.is(await probe.probe('fails', signal()), 'silent');
  assert.is(await probe.probe('missing', signal()), 'silent');
  assert.is(await probe.probe('slow', signal()), 'silent');
  assert.is(await probe.probe('echo', signal()), 'answers');
});

test('parseTcpTarget: host:port, [v6]:port; a port out of range is refused', () => {
  assert.equal(parseTcpTarget('mgmt-07.example.net:22'), { host: 'mgmt-07.example.net', port: 22 });
  assert.equal(parseTcpTarget('[fd00::7]:2222'), { host: 'fd00::7', port: 2222 });
  for (const bad of ['host', 'host:0', 'host:65536', 'a:b:22', 'host:22/x', ':22'])
    assert.is(parseTcpTarget(bad), undefined, bad);
});

test('the inventory schema accepts a tcp or command probe and refuses a bad one', () => {
  const inventory = (probe: unknown) => ({ hosts: { fake1: { bmc: { driver: 'command', command: ['x'] }, probe } } });
  const ok = (value: unknown): boolean => validateAgainst('inventory', value).length === 0;
  assert.ok(ok(inventory({ tcp: '10.0.0.7:22', timeoutSec: 1.5 })));
  assert.ok(ok(inventory({ command: ['/usr/bin/ssh', '-o', 'BatchMode=yes', 'mgmt', 'true'] })));
  assert.not.ok(ok(inventory({ tcp: '10.0.0.7' })));
  assert.not.ok(ok(inventory({ tcp: '10.0.0.7:22', command: ['x'] })));
  assert.not.ok(ok(inventory({ command: [] })));
  assert.not.ok(ok(inventory({ tcp: '10.0.0.7:22', timeoutSec: 0 })));
  assert.not.ok(ok(inventory({ shell: 'ping -c1 host' })));
});

test.run();
