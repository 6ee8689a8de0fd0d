// The read-back logic of fence/powerOn against a scripted controller (no BMC, no processes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  FencingError,
  fence,
  powerOn,
  type FencingFailure,
  type PowerCallOptions,
  type PowerController,
  type PowerProgress,
  type PowerRequestResult,
  type PowerState,
} from '../../../src/fencing/index.js';
import { secrets } from '../../../src/secrets/index.js';
import { assertNoSecret, rejection } from './support.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

type Step = PowerState | FencingFailure | Error;

/** A controller whose status answers come from a script; off/on are recorded. */
class ScriptedController implements PowerController {
  readonly host = 'fake9';
  readonly driver = 'command' as const;
  readonly target = 'command /usr/local/bin/scripted';
  readonly credentialSource = 'file /etc/forcedown/fake9';
  readonly calls: string[] = [];
  readonly signals: (AbortSignal | undefined)[] = [];
  offResult: Step | undefined;
  onResult: Step | undefined;

  constructor(
    private readonly statuses: Step[],
    private readonly after: PowerState = 'on',
  ) {}

  #fail(op: 'status' | 'off' | 'on', failure: FencingFailure): FencingError {
    return new FencingError({
      host: this.host,
      driver: this.driver,
      target: this.target,
      credentialSource: this.credentialSource,
      operation: op,
      failure,
      reason: `scripted ${failure}`,
    });
  }

  async status(options: PowerCallOptions = {}): Promise<PowerState> {
    this.calls.push('status');
    this.signals.push(options.signal);
    const next = this.statuses.length > 0 ? this.statuses.shift() : this.after;
    if (next instanceof Error) throw next;
    if (next === 'on' || next === 'off' || next === 'powering-on' || next === 'powering-off') return next;
    throw this.#fail('status', next as FencingFailure);
  }

  async #request(action: 'off' | 'on', options: PowerCallOptions): Promise<PowerRequestResult> {
    this.calls.push(options.dryRun ? `${action}(dry)` : action);
    const result = action === 'off' ? this.offResult : this.onResult;
    if (!options.dryRun && result !== undefined) {
      if (action === 'off') this.offResult = undefined;
      else this.onResult = undefined;
      if (result instanceof Error) throw result;
      throw this.#fail(action, result as FencingFailure);
    }
    return { action, dryRun: options.dryRun ?? false, request: `scripted ${action}` };
  }

  off(options: PowerCallOptions = {}): Promise<PowerRequestResult> {
    return this.#request('off', options);
  }

  on(options: PowerCallOptions = {}): Promise<PowerRequestResult> {
    return this.#request('on', options);
  }
}

const quick = { pollIntervalMs: 5, retryDelayMs: 1 };

test('only a read-back of off confirms: powering-off and on are waited through', async () => {
  const c = new ScriptedController(['on', 'on', 'powering-off', 'powering-off', 'off']);
  const evidence = await fence(c, quick);
  assert.equal(c.calls, ['status', 'off', 'status', 'status', 'status', 'status']);
  assert.is(evidence.state, 'off');
  assert.is(evidence.readBacks, 5);
  assert.is(evidence.alreadyOff, false);
  assert.is(evidence.request, 'scripted off');
  assert.ok(evidence.durationMs >= 0);
});

test('already off: no off sent, alreadyOff', async () => {
  const c = new ScriptedController(['off']);
  const evidence = await fence(c, quick);
  assert.equal(c.calls, ['status']);
  assert.ok(evidence.alreadyOff);
  assert.is(evidence.offSentAt, undefined);
});

test('powering-on at the start is not off: off is sent', async () => {
  const c = new ScriptedController(['powering-on', 'off']);
  await fence(c, quick);
  assert.equal(c.calls, ['status', 'off', 'status']);
});

test('timeout: rejects with timedOut, exit 3 and the last state', async () => {
  const c = new ScriptedController(['on'], 'powering-off');
  const error = await rejection(fence(c, { ...quick, timeoutMs: 50 }));
  assert.ok(error.timedOut);
  assert.is(error.code, 'FENCE_TIMEOUT');
  assert.is(exitCodeOf(error), 3);
  assert.is(error.lastState, 'powering-off');
  assert.is(c.calls.filter((call) => call === 'off').length, 1);
  assert.match(error.message, 'fake9');
  assert.match(error.message, 'command /usr/local/bin/scripted');
});

test('transient status errors are retried up to statusRetries, then the fence fails', async () => {
  const ok = new ScriptedController(['unreachable', 'error', 'on', 'off']);
  await fence(ok, { ...quick, statusRetries: 2 });
  assert.equal(ok.calls, ['status', 'status', 'status', 'off', 'status']);

  const bad = new ScriptedController(['unreachable', 'unreachable', 'unreachable', 'on']);
  const error = await rejection(fence(bad, { ...quick, statusRetries: 2 }));
  assert.ok(error.isUnreachable);
  assert.is(error.code, 'FENCE_UNREACHABLE');
  assert.equal(bad.calls, ['status', 'status', 'status']);
});

test('auth failures and unknown states are never retried', async () => {
  for (const failure of ['auth', 'unknown-state'] as const) {
    const c = new ScriptedController([failure, 'on']);
    const error = await rejection(fence(c, quick));
    assert.is(error.failure, failure);
    assert.is(exitCodeOf(error), 3);
    assert.equal(c.calls, ['status']);
  }
});

test('a failed off is followed by a status read; off there means confirmed, not resent', async () => {
  const c = new ScriptedController(['on', 'off']);
  c.offResult = 'unreachable';
  const evidence = await fence(c, quick);
  assert.equal(c.calls, ['status', 'off', 'status']);
  assert.is(evidence.state, 'off');
});

test('a failed off with the host still on: resent once only if the failure was transient', async () => {
  const transient = new ScriptedController(['on', 'on', 'off']);
  transient.offResult = 'unreachable';
  await fence(transient, quick);
  assert.equal(transient.calls, ['status', 'off', 'status', 'off', 'status']);

  const refused = new ScriptedController(['on', 'on', 'off']);
  refused.offResult = 'rejected';
  const error = await rejection(fence(refused, quick));
  assert.ok(error.isRejected);
  assert.is(error.code, 'FENCE_REJECTED');
  assert.equal(refused.calls, ['status', 'off', 'status']);
});

test('a failed off with the host powering off: waits for off without resending', async () => {
  const c = new ScriptedController(['on', 'powering-off', 'powering-off', 'off']);
  c.offResult = 'rejected';
  await fence(c, quick);
  assert.equal(c.calls, ['status', 'off', 'status', 'status', 'status']);
});

test('anything unexpected thrown by a controller becomes a FencingError (exit 3)', async () => {
  const c = new ScriptedController([new TypeError('boom')]);
  const error = await rejection(fence(c, quick));
  assert.is(error.code, 'FENCE_FAILED');
  assert.is(exitCodeOf(error), 3);
  assert.match(error.message, 'boom');
});

test('an already aborted signal: nothing is read or sent', async () => {
  const c = new ScriptedController(['on', 'off']);
  const abort = new AbortController();
  abort.abort();
  const error = await rejection(fence(c, { ...quick, signal: abort.signal }));
  assert.ok(error.isCanceled);
  assert.is(exitCodeOf(error), 130);
  assert.equal(c.calls, []);
});

test('abort during the wait: rejects at once, no more reads, signal passed to every call', async () => {
  const c = new ScriptedController(['on'], 'powering-off');
  const abort = new AbortController();
  const error = await rejection(
    fence(c, {
      pollIntervalMs: 60_000,
      timeoutMs: 120_000,
      signal: abort.signal,
      onProgress: (event) => {
        if (event.phase === 'wait') abort.abort();
      },
    }),
  );
  assert.ok(error.isCanceled);
  assert.is(error.code, 'FENCE_CANCELED');
  assert.equal(c.calls, ['status', 'off', 'status']);
  assert.ok(c.signals.every((signal) => signal === abort.signal));
});

test('abort after the read but before the send: off is never sent', async () => {
  const c = new ScriptedController(['on', 'off']);
  const abort = new AbortController();
  const error = await rejection(
    fence(c, {
      ...quick,
      signal: abort.signal,
      onProgress: (event) => {
        if (event.phase === 'read') abort.abort();
      },
    }),
  );
  assert.ok(error.isCanceled);
  assert.equal(c.calls, ['status']);
});

test('dry-run: plans the off, sends nothing, reports the current state', async () => {
  const c = new ScriptedController(['on']);
  const report = await fence(c, { ...quick, dryRun: true });
  assert.equal(report, {
    dryRun: true,
    operation: 'fence',
    host: 'fake9',
    driver: 'command',
    target: 'command /usr/local/bin/scripted',
    currentState: 'on',
    wouldSend: 'scripted off',
  });
  assert.equal(c.calls, ['status', 'off(dry)']);
});

test('dry-run of a host already off returns real evidence (it was read back)', async () => {
  const report = await fence(new ScriptedController(['off']), { ...quick, dryRun: true });
  assert.is(report.dryRun, false);
  if (!report.dryRun) assert.ok(report.alreadyOff);
});

test('progress events tell the story in order', async () => {
  const events: PowerProgress[] = [];
  await fence(new ScriptedController(['on', 'powering-off', 'off']), {
    ...quick,
    onProgress: (event) => events.push(event),
  });
  assert.equal(
    events.map((event) => event.phase),
    ['read', 'send', 'sent', 'read', 'wait', 'read', 'confirmed'],
  );
  assert.ok(events.every((event) => event.operation === 'fence' && event.host === 'fake9'));
});

test('powerOn mirrors fence: waits for on, failures exit 1', async () => {
  const c = new ScriptedController(['off', 'powering-on', 'on']);
  const evidence = await powerOn(c, quick);
  assert.equal(c.calls, ['status', 'on', 'status', 'status']);
  assert.is(evidence.state, 'on');
  assert.ok(evidence.onSentAt);

  const stuck = new ScriptedController(['off'], 'off');
  const error = await rejection(powerOn(stuck, { ...quick, timeoutMs: 30 }));
  assert.is(error.code, 'POWER_ON_TIMEOUT');
  assert.is(exitCodeOf(error), 1);

  const already = await powerOn(new ScriptedController(['on']), quick);
  assert.ok(already.alreadyOn);
});

test('errors keep their cause chain and details, and say nothing secret', async () => {
  const secret = 'scripted-Secret-42';
  secrets.add(secret);
  const c = new ScriptedController([new Error(`driver said password=${secret}`)]);
  const error = await rejection(fence(c, quick));
  assert.is(error.data.host, 'fake9');
  assert.is(error.data.operation, 'fence');
  assertNoSecret(error, secret);
  const json = JSON.stringify(error.toJSON());
  assert.match(json, 'FENCE_FAILED');
});

test('FencingError.during re-codes a call failure for the primitive', () => {
  const base = new FencingError({
    host: 'h',
    driver: 'ipmi',
    target: 'ipmi u@a:623',
    operation: 'status',
    failure: 'auth',
    reason: 'denied',
  });
  assert.is(base.code, 'BMC_AUTH_FAILED');
  assert.is(exitCodeOf(base), 1);
  const fenced = base.during('fence');
  assert.is(fenced.code, 'FENCE_AUTH_FAILED');
  assert.is(exitCodeOf(fenced), 3);
  assert.is(fenced.cause, base);
  assert.is(fenced.data.step, 'status');
  const on = base.during('power-on');
  assert.is(on.code, 'POWER_ON_AUTH_FAILED');
  assert.is(exitCodeOf(on), 1);
  const config = new FencingError({
    host: 'h',
    driver: 'ipmi',
    target: 't',
    operation: 'status',
    failure: 'config',
    reason: 'x',
  });
  assert.is(exitCodeOf(config), 2);
  assert.is(exitCodeOf(config.during('fence')), 3);
  const canceled = new FencingError({
    host: 'h',
    driver: 'ipmi',
    target: 't',
    operation: 'fence',
    failure: 'canceled',
    reason: 'x',
  });
  assert.is(exitCodeOf(canceled), 130);
  assert.ok(canceled.isInterrupted);
  assert.ok(fenced.isRefused);
});

test.run();
