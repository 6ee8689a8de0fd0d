#!/usr/bin/env node
// Runs a uvu suite under tsx and prints a closing line "N passed, N failed".
// uvu itself prints Total/Passed/Skipped only; failed = Total - Passed. A run that prints no
// summary (crash, unresolved promise, killed) or runs zero tests counts as a failure.
//
//   node scripts/run-tests.mjs unit            test/unit/**/*.test.ts (one process)
//   node scripts/run-tests.mjs e2e             test/e2e/**/*.test.ts (brings the testbed up first;
//                                              one process per file, each with its own time limit)
//   node scripts/run-tests.mjs browser         test/browser/**/*.test.ts (headless Chromium: /usr/bin/chromium)
//   node scripts/run-tests.mjs unit <pattern>  only files whose path matches <pattern> (a regex)
//
// The e2e suite runs file by file so that one file that hangs is killed on its own (its tests
// count as failed, the rest still run), the testbed is checked (and brought back) after a file
// failed, and the closing table says how long each file took. Before the first file and after
// a failed one, test/e2e/support/clean-slate.ts puts every compute back and deletes leftover
// servers.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [suite = 'unit', pattern] = process.argv.slice(2);
const suites = {
  unit: { dir: 'test/unit', timeoutMin: 20 },
  e2e: { dir: 'test/e2e', timeoutMin: 75, perFileMin: Number(process.env.FORCEDOWN_E2E_FILE_MINUTES ?? 15) },
  fuzz: { dir: 'test/fuzz', timeoutMin: 20 },
  browser: { dir: 'test/browser', timeoutMin: 10 },
};
const spec = suites[suite];
if (!spec) {
  console.error(`run-tests: unknown suite "${suite}"; use one of ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}
const filePattern = pattern ?? '\\.test\\.ts$';
const testbedDir = join(root, 'test/e2e/testbed');

/** status.sh, then up.sh when it reports something missing; false when the testbed did not come up. */
function ensureTestbed(quiet = false) {
  if (!existsSync(join(testbedDir, 'status.sh'))) {
    console.error('run-tests: test/e2e/testbed/status.sh is missing; cannot run the e2e suite');
    return false;
  }
  const status = spawnSync('bash', [join(testbedDir, 'status.sh')], { stdio: quiet ? 'ignore' : 'inherit' });
  if (status.status === 0) return true;
  console.log('run-tests: testbed is not up; starting it (test/e2e/testbed/up.sh)');
  const up = spawnSync('bash', [join(testbedDir, 'up.sh')], { stdio: 'inherit' });
  if (up.status === 0) return true;
  console.error('run-tests: the testbed did not come up; see its logs (test/e2e/README.md)');
  return false;
}

/**
 * test/e2e/support/clean-slate.ts: every compute healthy, leftover e2e/bench servers deleted (a
 * killed file leaves its servers, and later files count every server on a host). A failure here
 * is reported, not fatal: the files themselves will say what is wrong.
 */
function cleanSlate() {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(testbedDir, '../support/clean-slate.ts')], {
    cwd: root,
    stdio: 'inherit',
    timeout: 600_000,
  });
  if (r.status !== 0) console.error(`run-tests: clean-slate failed (exit ${r.status ?? r.signal}); going on`);
}

/** The counts uvu printed: { total, passed, skipped }, or undefined when it printed no summary. */
function summaryOf(out) {
  // eslint-disable-next-line no-control-regex
  const plain = out.replace(/\u001b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  return Number.isNaN(total) || Number.isNaN(passed) ? undefined : { total, passed, skipped };
}

/**
 * One uvu process over `dir` and the files matching `regex`, killed (with its whole process
 * group) after `limitMin` minutes. Resolves { out, code, signal, timedOut, ms }.
 */
function runUvu(dir, regex, limitMin, label) {
  const started = Date.now();
  const uvu = join(root, 'node_modules/uvu/bin.js');
  const child = spawn(process.execPath, ['--import', 'tsx', uvu, dir, regex, '--no-color'], {
    cwd: root,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  let out = '';
  let timedOut = false;
  child.stdout.on('data', (chunk) => {
    out += chunk;
    process.stdout.write(chunk);
  });
  const timer = setTimeout(() => {
    timedOut = true;
    console.error(`run-tests: ${label} still running after ${limitMin} min; killing it and what it started`);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, limitMin * 60_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ out, code, signal, timedOut, ms: Date.now() - started });
    });
  });
}

/** Every *.test.ts under `dir` whose path relative to `dir` matches `regex`, sorted. */
function filesOf(dir, regex) {
  const re = new RegExp(regex);
  const walk = (at) =>
    readdirSync(join(root, at), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(at, e.name)) : e.name.endsWith('.test.ts') ? [join(at, e.name)] : [],
    );
  return walk(dir)
    .map((f) => relative(dir, f))
    .filter((f) => re.test(f))
    .sort();
}

/**
 * What one uvu process counts for: its passed tests, and as failed its failed tests, or 1 when it
 * printed no summary, plus 1 when every test passed but it exited badly (or was killed).
 */
function tally(r) {
  const s = summaryOf(r.out);
  if (!s) return { passed: 0, failed: 1, skipped: 0, summary: undefined };
  const badExit = s.total === s.passed && (r.timedOut || r.code !== 0);
  return { passed: s.passed, failed: s.total - s.passed + (badExit ? 1 : 0), skipped: s.skipped, summary: s };
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const fmt = (ms) => `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;

/** Runs the e2e files one by one; returns { passed, failed, rows } (rows for the timing table). */
async function runFiles(files) {
  const deadline = Date.now() + spec.timeoutMin * 60_000;
  const rows = [];
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    if (Date.now() >= deadline) {
      console.log(`run-tests: ${file} not run: the suite is past its ${spec.timeoutMin} min limit`);
      rows.push({ file, ms: 0, note: 'not run (suite time limit)' });
      failed += 1;
      continue;
    }
    const left = Math.max(0.5, (deadline - Date.now()) / 60_000);
    const r = await runUvu(spec.dir, `^${escapeRe(file)}$`, Math.min(spec.perFileMin, left), file);
    const t = tally(r);
    const note = r.timedOut
      ? 'killed (time limit)'
      : t.summary
        ? `${t.passed} / ${t.summary.total} passed`
        : `no summary (exit ${r.code ?? r.signal})`;
    passed += t.passed;
    failed += t.failed;
    rows.push({ file, ms: r.ms, note });
    if (t.failed > 0 && !ensureTestbed(true)) {
      failed += files.length - rows.length;
      break;
    }
    if (t.failed > 0) cleanSlate();
  }
  return { passed, failed, rows };
}

function timingTable(rows) {
  const width = Math.max(...rows.map((r) => r.file.length));
  console.log('\nrun-tests: time per file');
  for (const r of [...rows].sort((a, b) => b.ms - a.ms))
    console.log(`  ${r.file.padEnd(width)}  ${fmt(r.ms).padStart(7)}  ${r.note}`);
  console.log(`  ${'all files'.padEnd(width)}  ${fmt(rows.reduce((t, r) => t + r.ms, 0)).padStart(7)}`);
}

function tearDown() {
  if (suite === 'e2e' && process.env.FORCEDOWN_TESTBED_KEEP === '0')
    spawnSync('bash', [join(testbedDir, 'down.sh')], { stdio: 'inherit' });
}

function finish(passed, failed, skipped = 0) {
  tearDown();
  if (passed + failed === 0) {
    console.log('run-tests: no tests ran; counting that as a failure');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
}

if (suite === 'e2e') {
  if (!ensureTestbed()) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  cleanSlate();
  const { passed, failed, rows } = await runFiles(filesOf(spec.dir, filePattern));
  if (rows.length > 0) timingTable(rows);
  finish(passed, failed);
} else {
  const r = await runUvu(spec.dir, filePattern, spec.timeoutMin, `${suite} suite`);
  const t = tally(r);
  if (!t.summary)
    console.log(`run-tests: uvu printed no summary (exit ${r.code ?? r.signal}); counting the suite as failed`);
  finish(t.passed, t.failed, t.skipped);
}
