#!/usr/bin/env node
// Runs a uvu suite (unit or e2e) under tsx and prints a closing line "N passed, N failed".
// uvu itself prints Total/Passed/Skipped only; failed = Total - Passed. A run that prints no
// summary (crash, unresolved promise) or runs zero tests counts as a failure.
//
//   node scripts/run-tests.mjs unit            test/unit/**/*.test.ts
//   node scripts/run-tests.mjs e2e             test/e2e/**/*.test.ts (brings the testbed up first)
//   node scripts/run-tests.mjs browser         test/browser/**/*.test.ts (headless Chromium: /usr/bin/chromium)
//   node scripts/run-tests.mjs unit <pattern>  only files whose path matches <pattern> (a regex)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [suite = 'unit', pattern] = process.argv.slice(2);
const suites = {
  unit: { dir: 'test/unit', timeoutMin: 20 },
  e2e: { dir: 'test/e2e', timeoutMin: 40 },
  fuzz: { dir: 'test/fuzz', timeoutMin: 20 },
  browser: { dir: 'test/browser', timeoutMin: 10 },
};
const spec = suites[suite];
if (!spec) {
  console.error(`run-tests: unknown suite "${suite}"; use one of ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}

if (suite === 'e2e') {
  const testbed = join(root, 'test/e2e/testbed');
  if (!existsSync(join(testbed, 'status.sh'))) {
    console.error('run-tests: test/e2e/testbed/status.sh is missing; cannot run the e2e suite');
    process.exit(1);
  }
  const status = spawnSync('bash', [join(testbed, 'status.sh')], { stdio: 'inherit' });
  if (status.status !== 0) {
    console.log('run-tests: testbed is not up; starting it (test/e2e/testbed/up.sh)');
    const up = spawnSync('bash', [join(testbed, 'up.sh')], { stdio: 'inherit' });
    if (up.status !== 0) {
      console.error('run-tests: the testbed did not come up; see its logs (test/e2e/README.md)');
      console.log('0 passed, 1 failed');
      process.exit(1);
    }
  }
}

const filePattern = pattern ?? '\\.test\\.ts$';
const uvu = join(root, 'node_modules/uvu/bin.js');
const child = spawn(process.execPath, ['--import', 'tsx', uvu, spec.dir, filePattern, '--no-color'], {
  cwd: root,
  env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.on('data', (chunk) => {
  out += chunk;
  process.stdout.write(chunk);
});
const timer = setTimeout(() => {
  console.error(`run-tests: ${suite} suite still running after ${spec.timeoutMin} min; killing it`);
  child.kill('SIGKILL');
}, spec.timeoutMin * 60_000);

child.on('close', (code, signal) => {
  clearTimeout(timer);
  if (suite === 'e2e' && process.env.FORCEDOWN_TESTBED_KEEP === '0') {
    spawnSync('bash', [join(root, 'test/e2e/testbed/down.sh')], { stdio: 'inherit' });
  }
  // eslint-disable-next-line no-control-regex
  const plain = out.replace(/\u001b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  if (Number.isNaN(total) || Number.isNaN(passed)) {
    console.log(`run-tests: uvu printed no summary (exit ${code ?? signal}); counting the suite as failed`);
    console.log(`0 passed, 1 failed`);
    process.exit(1);
  }
  const failed = total - passed;
  if (total === 0) {
    console.log('run-tests: no tests ran; counting that as a failure');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 || code !== 0 ? 1 : 0);
});
