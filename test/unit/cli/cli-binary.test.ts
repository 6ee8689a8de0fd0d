import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

/**
 * The real CLI binary (bin/forcedown.js on the built dist/), run as a child process: usage,
 * help, validation, exit codes, and a runbook of command steps end to end.
 */
const root = join(import.meta.dirname, '../../..');
const bin = join(root, 'bin/forcedown.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function forcedown(args: string[], env: Record<string, string> = {}, input?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

let dir = '';
test.before(async () => {
  assert.ok(existsSync(join(root, 'dist/cli/main.js')), 'dist/ is missing: run `npm run build` first (npm test does)');
  // the binary runs the bundle (scripts/bundle.mjs): these tests are what proves the bundle works
  assert.ok(
    existsSync(join(root, 'dist/cli-bundle/main.mjs')),
    'dist/cli-bundle/ is missing: run `npm run build` first (npm test does)',
  );
});
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-cli-'));
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

const noStackTrace = (text: string): void => {
  assert.not.match(text, /\n\s+at .+:\d+:\d+/, 'no stack trace');
};

test('--help lists the commands and exit codes; each subcommand explains itself', async () => {
  const main = await forcedown(['--help']);
  assert.is(main.code, 0);
  for (const word of ['validate', 'plan', 'run', 'resume', 'runs', 'Exit codes', '--assume-fenced'])
    assert.match(main.stdout, word);
  for (const command of ['validate', 'plan', 'run', 'resume', 'runs', 'services', 'provider']) {
    const help = await forcedown([command, '--help']);
    assert.is(help.code, 0, command);
    assert.match(help.stdout, `Usage: forcedown ${command}`);
    assert.match(help.stdout, 'Example');
  }
});

test('no command prints help and exits 2; unknown commands and options suggest the right one', async () => {
  const none = await forcedown([]);
  assert.is(none.code, 2);
  const typo = await forcedown(['valdate', 'x']);
  assert.is(typo.code, 2);
  assert.match(typo.stderr, 'did you mean "validate"');
  const option = await forcedown(['run', 'runbooks/host-failure.json', '--dryrun']);
  assert.is(option.code, 2);
  assert.match(option.stderr, 'did you mean "dry-run"');
  noStackTrace(option.stderr);
});

test('validate: all problems of all files, exit 2, no stack trace; a good file passes', async () => {
  const result = await forcedown([
    'validate',
    'test/fixtures/runbooks/invalid/13-undefined-param.json',
    'test/fixtures/runbooks/invalid/09-unknown-step-field.json',
    'test/fixtures/runbooks/valid/commands.json',
  ]);
  assert.is(result.code, 2);
  assert.match(
    result.stdout,
    'test/fixtures/runbooks/invalid/13-undefined-param.json:5:47 /steps/0/host: ${params.hots} refers to an undefined parameter "hots"',
  );
  assert.match(result.stdout, 'did you mean "concurrency"');
  assert.match(result.stdout, 'ok       test/fixtures/runbooks/valid/commands.json (runbook)');
  noStackTrace(result.stdout + result.stderr);
  const json = await forcedown([
    'validate',
    '--output',
    'json',
    'test/fixtures/runbooks/invalid/12-duplicate-step-id.json',
  ]);
  const parsed = JSON.parse(json.stdout) as { valid: boolean; problems: { pointer: string; line: number }[] }[];
  assert.equal(
    parsed[0].problems.map((p) => [p.pointer, p.line]),
    [['/steps/1/id', 5]],
  );
  const missing = await forcedown(['validate', 'no/such/file.json']);
  assert.is(missing.code, 2);
  assert.match(missing.stdout, 'no such file');
});

test('every shipped runbook and the example inventory validate (JSON and the YAML examples)', async () => {
  const runbooks = (await readdir(join(root, 'runbooks')))
    .filter((f) => f.endsWith('.json') || f.endsWith('.yaml'))
    .map((f) => `runbooks/${f}`);
  assert.ok(runbooks.length >= 6, runbooks.join(','));
  const result = await forcedown(['validate', ...runbooks]);
  assert.is(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, 'ok       runbooks/host-failure.example.yaml (runbook)');
  assert.match(result.stdout, 'ok       runbooks/inventory.example.yaml (inventory)');
});

test('run: a runbook of command steps end to end, text and JSON events, journal and runs listing', async () => {
  const state = join(dir, 'state');
  const out = join(dir, 'out.txt');
  const runbook = join(dir, 'rb.json');
  await writeFile(
    runbook,
    JSON.stringify({
      name: 'cli-e2e',
      params: { target: { type: 'string', description: 'file to write' } },
      steps: [
        {
          id: 'write',
          type: 'command',
          check: ['test', '-e', '${params.target}'],
          command: ['sh', '-c', 'echo written > "$0"', '${params.target}'],
        },
        { id: 'read', type: 'command', command: ['cat', '${params.target}'] },
      ],
    }),
  );
  const text = await forcedown(['run', runbook, '--var', `target=${out}`, '--yes', '--state-dir', state]);
  assert.is(text.code, 0, text.stderr);
  assert.is((await readFile(out, 'utf8')).trim(), 'written');
  assert.match(text.stdout, /run \S+ succeeded: 2 changed, 0 unchanged/);

  const again = await forcedown([
    'run',
    runbook,
    '--var',
    `target=${out}`,
    '--yes',
    '--state-dir',
    state,
    '--output',
    'json',
  ]);
  assert.is(again.code, 0, again.stderr);
  const events = again.stdout
    .trim()
    .split('\n')
    .map(
      (line) => JSON.parse(line) as { event: string; stepId?: string; status?: string; summary?: { exitCode: number } },
    );
  assert.is(events[0].event, 'run.started');
  assert.equal(
    events.filter((e) => e.event === 'step.finished').map((e) => [e.stepId, e.status]),
    [
      ['write', 'unchanged'],
      ['read', 'changed'],
    ],
  );
  assert.is(events.at(-1)!.event, 'run.finished');
  assert.is(events.at(-1)!.summary!.exitCode, 0);

  const runs = await forcedown(['runs', '--state-dir', state]);
  assert.is(runs.code, 0);
  assert.is(runs.stdout.trim().split('\n').length, 3, runs.stdout);
  assert.match(runs.stdout, 'succeeded (exit 0)');
});

test('exit codes: 1 failed step, 2 invalid params, 3 no --yes when unattended', async () => {
  const state = join(dir, 'state');
  const failing = join(dir, 'fail.json');
  await writeFile(failing, JSON.stringify({ name: 'f', steps: [{ id: 'x', type: 'command', command: ['false'] }] }));
  const failed = await forcedown(['run', failing, '--yes', '--state-dir', state]);
  assert.is(failed.code, 1);
  assert.match(failed.stdout, 'continue with: forcedown resume');
  const params = await forcedown(['run', 'runbooks/host-failure.json', '--yes', '--state-dir', state]);
  assert.is(params.code, 2);
  assert.match(params.stderr, 'missing --var host=');
  noStackTrace(params.stderr);
  const unattended = await forcedown(['run', failing, '--state-dir', state]);
  assert.is(unattended.code, 3);
  assert.match(unattended.stderr, '--yes');
});

test('approve gates: --yes confirms the run, not its gates; --approve ID or all passes them; a mistyped ID is exit 2', async () => {
  const state = join(dir, 'state');
  const runbook = join(dir, 'gated.json');
  await writeFile(
    runbook,
    JSON.stringify({
      name: 'gated',
      steps: [
        { id: 'ok-to-evacuate', type: 'approve', message: 'evacuate cmp-07?' },
        { id: 'after', type: 'command', command: ['true'] },
      ],
    }),
  );
  const yesOnly = await forcedown(['run', runbook, '--yes', '--state-dir', state]);
  assert.is(yesOnly.code, 3, yesOnly.stdout + yesOnly.stderr);
  assert.match(yesOnly.stdout, '--approve ok-to-evacuate');
  for (const id of ['ok-to-evacuate', 'all']) {
    const approved = await forcedown(['run', runbook, '--yes', '--approve', id, '--state-dir', state]);
    assert.is(approved.code, 0, approved.stdout + approved.stderr);
    assert.match(approved.stdout, `(--approve ${id})`);
  }
  const typo = await forcedown(['run', runbook, '--yes', '--approve', 'ok-to-evacuat', '--state-dir', state]);
  assert.is(typo.code, 2);
  assert.match(typo.stderr, 'has no approve step "ok-to-evacuat" (did you mean "ok-to-evacuate"?)');
  noStackTrace(typo.stderr);
  const help = await forcedown(['run', '--help']);
  assert.match(help.stdout, '--yes confirms the run, not its gates');
});

test('resume of an unknown run is an input error', async () => {
  const result = await forcedown(['resume', '20261125T000000Z-nope-abcdef', '--state-dir', join(dir, 'state')]);
  assert.is(result.code, 2);
  assert.match(result.stderr, 'forcedown runs');
});

test('the bundled CLI loads etcd3 (its protos from node_modules): an etcd nobody listens on is a clear exit 3', async () => {
  // regression (found on the testbed): bundling etcd3 broke its `${__dirname}/../proto` load
  const result = await forcedown(['runs', '--all-machines'], {
    FORCEDOWN_ETCD_ENDPOINTS: 'http://127.0.0.1:1',
    FORCEDOWN_ETCD_TIMEOUT: '1',
  });
  assert.is(result.code, 3, result.stderr);
  assert.match(result.stderr, 'COORDINATION_UNAVAILABLE');
  assert.match(result.stderr, 'what to do:');
  assert.not.match(result.stderr, /INTERNAL_ERROR|\n\s+at /);
});

test('SIGTERM during a run: exit 130, journal finished as interrupted', async () => {
  const state = join(dir, 'state');
  const runbook = join(dir, 'slow.json');
  await writeFile(runbook, JSON.stringify({ name: 'slow', steps: [{ id: 'w', type: 'wait', duration: '60s' }] }));
  const child = spawn(process.execPath, [bin, 'run', runbook, '--yes', '--state-dir', state, '--output', 'json'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let sent = false;
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (!sent && stdout.includes('"step.started"')) {
      sent = true;
      child.kill('SIGTERM');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.is(code, 130);
  const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as { event: string; summary: { status: string } };
  assert.is(last.event, 'run.finished');
  assert.is(last.summary.status, 'interrupted');
});

test('a reader that closes stdout early (`| head -1`) does not crash a run: it finishes, exit 0, journal complete', async () => {
  const state = join(dir, 'state');
  const runbook = join(dir, 'chatty.json');
  // enough output that writes go on after the reader has gone
  const steps = Array.from({ length: 40 }, (_, i) => ({ id: `s${i}`, type: 'wait', duration: '10ms' }));
  await writeFile(runbook, JSON.stringify({ name: 'chatty', steps }));
  const child = spawn(process.execPath, [bin, 'run', runbook, '--yes', '--state-dir', state, '--output', 'json'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.once('data', () => child.stdout.destroy()); // like `head -1`: read one chunk, close the pipe
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  noStackTrace(stderr);
  assert.not.match(stderr, 'EPIPE');
  assert.is(code, 0, stderr);
  const [journal] = await readdir(join(state, 'runs'));
  const lines = (await readFile(join(state, 'runs', journal), 'utf8')).trim().split('\n');
  assert.is((JSON.parse(lines.at(-1)!) as { event: string }).event, 'run.finished');
  assert.ok(lines.filter((l) => l.includes('"step.finished"')).length === 40, 'every step ran');
});

test('--quiet drops the progress, --verbose adds every recorded fact (a retry), both anywhere on the line', async () => {
  const runbook = join(dir, 'retry.json');
  await writeFile(
    runbook,
    JSON.stringify({
      name: 'retry-once',
      params: { marker: { type: 'string', description: 'file that exists after the first attempt' } },
      steps: [
        {
          id: 'flaky',
          type: 'command',
          retries: 1,
          retryDelay: '10ms',
          command: ['sh', '-c', 'test -e "$0" || { touch "$0"; exit 3; }', '${params.marker}'],
        },
      ],
    }),
  );
  const base = ['run', runbook, '--yes', '--state-dir', join(dir, 'state-verbosity')];
  const normal = await forcedown([...base, '--var', `marker=${join(dir, 'm1')}`]);
  assert.is(normal.code, 0, normal.stderr);
  assert.match(normal.stderr, 'flaky');
  const quiet = await forcedown(['--quiet', ...base, '--var', `marker=${join(dir, 'm2')}`]);
  assert.is(quiet.code, 0, quiet.stderr);
  assert.is(quiet.stderr, '');
  assert.match(quiet.stdout, /run \S+ succeeded/);
  const verbose = await forcedown([...base, '--var', `marker=${join(dir, 'm3')}`, '--verbose']);
  assert.is(verbose.code, 0, verbose.stderr);
  assert.match(verbose.stderr, /forcedown: [0-9:.]+ flaky: attempt 1 failed \(.*\); retrying in \d+ ms/);
});

test.run();
