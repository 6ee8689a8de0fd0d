import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuSample, loadBetween } from '../../../bench/lib/load.js';

const test = suite('bench: machine load');

test('busy share from two /proc/stat samples: idle and iowait are not busy', () => {
  // user nice system idle iowait irq softirq steal
  const a = cpuSample('cpu  100 0 50 800 50 0 0 0\ncpu0 50 0 25 400 25 0 0 0\n');
  const b = cpuSample('cpu  250 0 100 1000 50 0 0 0\ncpu0 125 0 50 500 25 0 0 0\n');
  assert.equal(a, { busy: 150, total: 1000 });
  assert.is(loadBetween(a, b).busyPct, 50);
});

test('no /proc: zeros, and the share is NaN rather than a made-up number', () => {
  const none = cpuSample('');
  assert.equal(none, { busy: 0, total: 0 });
  assert.ok(Number.isNaN(loadBetween(none, none).busyPct));
});

test.run();
