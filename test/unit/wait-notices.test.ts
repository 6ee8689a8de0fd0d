import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NOTICE_EVERY_MS, startWaitNotices, type NoticeTimers } from '../../src/wait-notices.js';

/** A clock that only moves when the test says so, and intervals that fire as it moves. */
function fakeTimers(): NoticeTimers & { advance(ms: number): void; active(): number } {
  let now = 1_000_000;
  const intervals = new Map<number, { callback: () => void; every: number; next: number }>();
  let ids = 0;
  return {
    now: () => now,
    setInterval(callback, ms) {
      ids += 1;
      intervals.set(ids, { callback, every: ms, next: now + ms });
      return ids;
    },
    clearInterval(handle) {
      intervals.delete(handle as number);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...intervals.values()].filter((i) => i.next <= end).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        now = due.next;
        due.next += due.every;
        due.callback();
      }
      now = end;
    },
    active: () => intervals.size,
  };
}

test('the first notice comes at the threshold, not before, then once per threshold', () => {
  const timers = fakeTimers();
  const ticks: number[] = [];
  const stop = startWaitNotices((waitedMs) => ticks.push(waitedMs), { everyMs: 4000, timers });
  timers.advance(3999);
  assert.equal(ticks, [], 'nothing before the threshold');
  timers.advance(1);
  assert.equal(ticks, [4000]);
  timers.advance(8000);
  assert.equal(ticks, [4000, 8000, 12000]);
  stop();
  timers.advance(20_000);
  assert.equal(ticks, [4000, 8000, 12000], 'nothing after stop');
  assert.is(timers.active(), 0);
  stop(); // twice is harmless
});

test('a timer that fires a millisecond before the clock says so still reports the threshold', () => {
  // Node's timers use a monotonic clock; Date.now may read 99 ms when a 100 ms interval fires
  let fire: () => void = () => undefined;
  let now = 1000;
  const timers: NoticeTimers = {
    now: () => now,
    setInterval: (callback) => {
      fire = callback;
      return 1;
    },
    clearInterval: () => undefined,
  };
  const ticks: number[] = [];
  const stop = startWaitNotices((waitedMs) => ticks.push(waitedMs), { everyMs: 100, timers });
  now = 1099;
  fire();
  now = 1199;
  fire();
  now = 1450;
  fire();
  assert.equal(ticks, [100, 200, 450]);
  stop();
});

test('the default threshold is the OpenStack notices one, under 5 s', () => {
  const timers = fakeTimers();
  const ticks: number[] = [];
  const stop = startWaitNotices((waitedMs) => ticks.push(waitedMs), { timers });
  timers.advance(NOTICE_EVERY_MS - 1);
  assert.equal(ticks, []);
  timers.advance(1);
  assert.equal(ticks, [NOTICE_EVERY_MS]);
  assert.ok(NOTICE_EVERY_MS < 5000);
  stop();
});

test('a listener that throws does not stop the notices', () => {
  const timers = fakeTimers();
  let calls = 0;
  const stop = startWaitNotices(
    () => {
      calls += 1;
      throw new Error('listener broke');
    },
    { everyMs: 100, timers },
  );
  timers.advance(300);
  assert.is(calls, 3);
  stop();
});

test.run();
