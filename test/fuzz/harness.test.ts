import { spawnSync } from 'node:child_process';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkAlways, checkRejected, readabilityProblems, runCli, workspace, type CliRun } from './support/harness.js';
import { mutate } from './support/mutate.js';
import { DEFAULT_CASES, DEFAULT_SEED, Rng, TARGET_SHARES, caseIndexes, fuzzSettings } from './support/rng.js';

/**
 * The fuzz harness itself: a case is reproducible from seed and index, and each check fails
 * when what it guards happens (a stack trace, a raw escape sequence, a hang, a crash, a spawn,
 * a request, a journal) — so a green fuzz run means something.
 */
const base = {
  text: '{"name": "x", "steps": [{"id": "a", "type": "command", "command": ["true"]}]}',
  value: { name: 'x', steps: [{ id: 'a', type: 'command', command: ['true'] }] },
  format: 'json' as const,
};

test('the same seed and index give the same mutant; another seed or index another one', () => {
  const bytes = (seed: string, index: number): string => {
    const m = mutate(Rng.forCase(seed, 'runbooks', index), base);
    return `${m.steps.join('|')}\n${m.payload.kind === 'bytes' ? m.payload.bytes.toString('hex') : m.payload.kind}`;
  };
  for (let i = 0; i < 50; i += 1) assert.is(bytes('s1', i), bytes('s1', i));
  const a = Array.from({ length: 50 }, (_, i) => bytes('s1', i));
  const b = Array.from({ length: 50 }, (_, i) => bytes('s2', i));
  assert.ok(new Set(a).size > 40, 'indexes differ');
  assert.ok(a.filter((x, i) => x !== b[i]).length > 40, 'seeds differ');
});

test('settings: defaults, the count split between targets, replay of chosen cases, typos refused', () => {
  const defaults = fuzzSettings({});
  assert.equal([defaults.seed, defaults.cases, defaults.only], [DEFAULT_SEED, DEFAULT_CASES, undefined]);
  assert.ok(DEFAULT_CASES >= 1000);
  const total = Object.keys(TARGET_SHARES).reduce((sum, target) => sum + caseIndexes(defaults, target).length, 0);
  assert.is(total, DEFAULT_CASES);
  assert.ok(caseIndexes(defaults, 'alert-intake').length >= 500, 'the alert intake gets at least 500 cases');
  const replay = fuzzSettings({
    FORCEDOWN_FUZZ_SEED: 'abc',
    FORCEDOWN_FUZZ_ONLY: 'runbooks#17, clouds-yaml#3,runbooks#2',
  });
  assert.equal(caseIndexes(replay, 'runbooks'), [2, 17]);
  assert.equal(caseIndexes(replay, 'clouds-yaml'), [3]);
  assert.equal(caseIndexes(replay, 'inventories'), []);
  assert.throws(() => fuzzSettings({ FORCEDOWN_FUZZ_CASES: '1e3x' }), /FORCEDOWN_FUZZ_CASES/);
  assert.throws(() => fuzzSettings({ FORCEDOWN_FUZZ_ONLY: 'runbooks-17' }), /TARGET#INDEX/);
});

test('readability: each kind of nonsense is caught; a good message and quoted input are not', () => {
  const good =
    'forcedown: error: runbook rb.json has 1 problem:\n  rb.json:1:2 /steps/0/typ: unknown property "undefined" (did you mean "type"?); refers to an undefined parameter\n  what to do: fix the file';
  assert.equal(readabilityProblems(good), []);
  for (const bad of [
    'Error: x\n    at loadRunbook (file:///work/main/src/runbook/load-runbook.ts:12:5)',
    '    at /work/main/dist/cli/main.js:10:3',
    'forcedown: error: TypeError: cannot read properties',
    'host [object Object] is not known',
    'host undefined is not known',
    'timeout NaN ms',
    'unexpected internal error: boom',
    'failed: ERR_INVALID_ARG_VALUE',
    'unknown property "\u001b[31mred"',
    'name \u202eevil',
    'x'.repeat(200 * 1024),
  ]) {
    assert.ok(readabilityProblems(bad).length > 0, `not caught: ${JSON.stringify(bad.slice(0, 60))}`);
  }
});

const run = (overrides: Partial<CliRun>): CliRun => ({
  argv: [],
  code: 2,
  stdout: '',
  stderr: 'forcedown: error: x\n  what to do: fix it\n',
  spawned: [],
  httpRequests: 0,
  crashes: [],
  ms: 1,
  limitMs: 1000,
  ...overrides,
});

test('checks of invalid input: exit code, hint, spawns, requests, journal, size', async () => {
  const work = await workspace('harness');
  try {
    assert.equal(checkRejected(run({})), []);
    assert.match(checkRejected(run({ code: 1 })).join(), 'must exit 2');
    assert.match(checkRejected(run({ stderr: 'forcedown: error: x\n' })).join(), 'saying what to fix');
    assert.match(
      checkRejected(run({ spawned: [{ file: 'ipmitool', args: ['-E'], pid: 1, at: '' }] })).join(),
      'spawned 1 process',
    );
    assert.match(checkRejected(run({ httpRequests: 2 })).join(), 'sent 2 HTTP');
    assert.match(checkRejected(run({ stdout: 'y'.repeat(200 * 1024) })).join(), 'bytes of output');
    await mkdir(join(work.dir, 'runs'), { recursive: true });
    await writeFile(join(work.dir, 'runs', 'r.jsonl'), '{}\n');
    assert.match(checkRejected(run({}), { stateDir: work.dir }).join(), 'wrote a journal');
    assert.match(checkAlways(run({ code: 7 })).join(), 'not a documented one');
    assert.match(checkAlways(run({ code: 'timeout' })).join(), 'hang');
    assert.match(checkAlways(run({ ms: 5000 })).join(), 'time limit');
    assert.match(checkAlways(run({ crashes: ['unhandled rejection: boom'] })).join(), 'boom');
  } finally {
    await work.remove();
  }
});

test('runCli: a command that never ends is cut at the time limit; a stray rejection is reported', async () => {
  const work = await workspace('harness');
  const fifo = join(work.dir, 'fifo.json');
  try {
    // reading a FIFO nobody writes to blocks until a writer comes: a hang on demand
    assert.is(spawnSync('mkfifo', [fifo]).status, 0);
    const hung = await runCli(['validate', fifo], { env: { HOME: work.dir }, cwd: work.dir, timeoutMs: 300 });
    assert.is(hung.code, 'timeout');
    assert.match(checkAlways(hung).join(), 'hang');
    // release the blocked read
    await (await open(fifo, 'w')).close();

    setTimeout(() => void Promise.reject(new Error('planted rejection')), 0);
    const crashed = await runCli(['--version'], { env: { HOME: work.dir }, cwd: work.dir, timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const later = await runCli(['--version'], { env: { HOME: work.dir }, cwd: work.dir, timeoutMs: 5000 });
    assert.match([...crashed.crashes, ...later.crashes].join(), 'planted rejection');
  } finally {
    await work.remove();
  }
});

test.run();
