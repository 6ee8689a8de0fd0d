/**
 * The guard-trip webhook against a real HTTP receiver on 127.0.0.1: what it POSTs, that the same
 * trip is told once per repeatAfter, that a failing webhook is logged and never thrown, and that a
 * webhook URL with credentials or plain http off loopback is refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Trip } from '../../../src/watch/guards.js';
import { createTripNotifier } from '../../../src/watch/trip-notifier.js';
import type { LogRecord } from '../../../src/watch/watcher.js';
import { receiver } from './webhook-receiver.js';

const veto: Trip = { reason: 'probe-veto', host: 'fake3', message: 'fake3 still answers its probe' };

test('a trip is POSTed once per repeatAfter per reason and host, with the bearer token', async () => {
  const hook = await receiver();
  let now = Date.parse('2026-12-02T10:00:00Z');
  const logs: LogRecord[] = [];
  try {
    const notifier = createTripNotifier({
      url: hook.url,
      token: 'hook-token-1',
      repeatAfterMs: 60_000,
      log: (r) => logs.push(r),
      now: () => now,
    });
    notifier.trip(veto);
    notifier.trip(veto); // the same poll again: quiet
    notifier.trip({ ...veto, host: 'fake2' }); // another host: told
    await notifier.settle();
    assert.is(hook.received.length, 2);
    assert.equal(hook.received[0]?.body, {
      source: 'forcedown',
      event: 'watch.guard-trip',
      reason: 'probe-veto',
      host: 'fake3',
      message: 'fake3 still answers its probe',
      at: '2026-12-02T10:00:00.000Z',
    });
    assert.is(hook.received[0]?.authorization, 'Bearer hook-token-1');
    now += 61_000;
    notifier.trip(veto); // after repeatAfter: told again
    await notifier.settle();
    assert.is(hook.received.length, 3);
    assert.equal(logs, []);
  } finally {
    await hook.close();
  }
});

test('a webhook that fails is logged (without the token) and never thrown', async () => {
  const hook = await receiver(500);
  const logs: LogRecord[] = [];
  try {
    const notifier = createTripNotifier({ url: hook.url, token: 'hook-token-2', log: (r) => logs.push(r) });
    notifier.trip(veto);
    await notifier.settle();
    assert.is(hook.received.length, 1);
    assert.is(logs.length, 1);
    assert.is(logs[0]?.level, 'warn');
    assert.match(String(logs[0]?.error), /HTTP 500/);
    assert.not.match(JSON.stringify(logs), /hook-token-2/);
  } finally {
    await hook.close();
  }
});

test('a webhook URL with credentials, or plain http off loopback, is refused', () => {
  for (const url of ['https://user:pw@hooks.example.net/x', 'http://hooks.example.net/x', 'not a url']) {
    let code: string | undefined;
    try {
      createTripNotifier({ url, log: () => undefined });
    } catch (error) {
      code = (error as { code?: string }).code;
    }
    assert.is(code, 'WEBHOOK_URL_INVALID', url);
  }
});

test.run();
