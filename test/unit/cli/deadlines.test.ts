import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

/**
 * Never hang, never silent: the real CLI binary against a Keystone that accepts connections and
 * never answers, and against a port where nothing listens. Every command ends within its
 * documented deadline (plus a generous 5 s: these are hang guards, not speed targets), says what
 * it waited for, and prints progress lines while it waits.
 */
const root = join(import.meta.dirname, '../../..');
const bin = join(root, 'bin/forcedown.js');
const MARGIN_MS = 5000;

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
  /** When each stderr line arrived, in ms after the start. */
  readonly stderrAt: readonly number[];
}

function forcedown(args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: home,
      // nothing from the developer's own cloud configuration
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        NO_COLOR: '1',
        FORCEDOWN_STATE_DIR: join(home, 'state'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const stderrAt: number[] = [];
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      for (const _line of c.toString().split('\n').slice(1)) stderrAt.push(Date.now() - started);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, elapsedMs: Date.now() - started, stderrAt }));
  });
}

let home = '';
let silent: Server;
const sockets = new Set<Socket>();
let accepted = 0;
let silentPort = 0;
let refusedPort = 0;
/** `services` with the default limits, started first: it runs while the other tests do. */
let withDefaults: Promise<Result>;

test.before(async () => {
  home = await mkdtemp(join(tmpdir(), 'fd-deadlines-'));
  // accepts every connection and never answers
  silent = createServer((socket) => {
    sockets.add(socket);
    accepted += 1;
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as { port: number }).port;
  // a port nothing listens on: bound once, then closed
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  refusedPort = (closed.address() as { port: number }).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  withDefaults = forcedown(['services'], cloud(silentPort));
  await writeFile(
    join(home, 'down.json'),
    JSON.stringify({
      name: 'down',
      params: { host: { type: 'string', description: 'host' } },
      steps: [{ id: 'down', type: 'force-down', host: '${params.host}' }],
    }),
  );
  await writeFile(
    join(home, 'short.json'),
    JSON.stringify({
      name: 'short',
      params: { host: { type: 'string', description: 'host' } },
      steps: [{ id: 'down', type: 'force-down', host: '${params.host}', timeout: '2s' }],
    }),
  );
});
test.after(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  await rm(home, { recursive: true, force: true });
});

const cloud = (port: number): Record<string, string> => ({
  OS_AUTH_URL: `http://127.0.0.1:${port}/v3`,
  OS_USERNAME: 'admin',
  OS_PASSWORD: 'deadline-test-pw',
  OS_PROJECT_NAME: 'admin',
  OS_USER_DOMAIN_NAME: 'Default',
  OS_PROJECT_DOMAIN_NAME: 'Default',
});
/** Short limits, so that the suite is quick: 4 s per answer, 6 s per call with its retries. */
const SHORT = { FORCEDOWN_API_TIMEOUT: '4s', FORCEDOWN_API_BUDGET: '6' };
const SHORT_DEADLINE_MS = 6000;
const fenced = ['--var', 'host=cmp-07', '--assume-fenced', 'PDU port off, deadline test'];

function assertEnded(result: Result, deadlineMs: number, what: string): void {
  assert.ok(
    result.elapsedMs <= deadlineMs + MARGIN_MS,
    `${what} ended after ${result.elapsedMs} ms; its deadline is ${deadlineMs} ms\n${result.stderr}`,
  );
  assert.not.match(result.stdout + result.stderr, /\n\s+at .+:\d+:\d+/, `${what}: no stack trace`);
}

function assertProgress(result: Result, what: string): void {
  assert.match(
    result.stdout + result.stderr,
    /waiting for Keystone \(POST http:\/\/127\.0\.0\.1:\d+\/v3\/auth\/tokens\)/,
  );
  assert.match(result.stdout + result.stderr, /gives up after \d/, `${what} says how long it waits`);
}

test('services, plan, run and resume against a Keystone that never answers: they end, say why, and show progress', async () => {
  const env = { ...cloud(silentPort), ...SHORT };
  const [services, plan, dryRun, run] = await Promise.all([
    forcedown(['services'], env),
    forcedown(['plan', join(home, 'down.json'), ...fenced], env),
    forcedown(['run', join(home, 'down.json'), ...fenced, '--dry-run'], env),
    forcedown(['run', join(home, 'down.json'), ...fenced, '--yes', '--output', 'json'], env),
  ]);
  for (const [what, result] of [
    ['services', services],
    ['plan', plan],
    ['run --dry-run', dryRun],
    ['run --yes', run],
  ] as const) {
    assertEnded(result, SHORT_DEADLINE_MS, what);
    assert.match(result.stdout + result.stderr, 'did not answer POST /v3/auth/tokens', what);
    assertProgress(result, what);
  }
  assert.is(services.code, 1);
  assert.match(services.stderr, 'what to do:');
  assert.match(services.stderr, 'FORCEDOWN_API_BUDGET');
  assert.is(dryRun.code, 1);
  assert.is(run.code, 1);
  // JSON mode: the waiting is an event of the step that waits, in the journal too
  const events = run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { event: string; runId: string; stepId?: string; message?: string });
  const waits = events.filter((e) => e.event === 'step.output' && e.message?.startsWith('waiting for Keystone'));
  assert.ok(waits.length >= 1, run.stdout);
  assert.is(waits[0].stepId, 'down');

  const resume = await forcedown(['resume', events[0].runId, '--yes'], env);
  assertEnded(resume, SHORT_DEADLINE_MS, 'resume');
  assert.is(resume.code, 1, resume.stderr + resume.stdout);
  assert.match(resume.stdout, 'did not answer POST /v3/auth/tokens');
  assertProgress(resume, 'resume');
});

test('services, plan, run and resume against a refused connection: bounded, reported', async () => {
  const env = { ...cloud(refusedPort), ...SHORT };
  const [services, plan, dryRun, run] = await Promise.all([
    forcedown(['services'], env),
    forcedown(['plan', join(home, 'down.json'), ...fenced], env),
    forcedown(['run', join(home, 'down.json'), ...fenced, '--dry-run'], env),
    // 20 s: long enough that the run is still retrying when the first notice is due (at 4 s)
    forcedown(['run', join(home, 'down.json'), ...fenced, '--yes'], { ...env, FORCEDOWN_API_BUDGET: '20s' }),
  ]);
  for (const [what, result, deadline] of [
    ['services', services, SHORT_DEADLINE_MS],
    ['plan', plan, SHORT_DEADLINE_MS],
    ['run --dry-run', dryRun, SHORT_DEADLINE_MS],
    ['run --yes', run, 20_000],
  ] as const) {
    assertEnded(result, deadline, what);
    assert.match(
      result.stdout + result.stderr,
      /cannot reach Keystone at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
      what,
    );
    assert.match(result.stdout + result.stderr, /gave up after \d+ attempts? in/, what);
  }
  assert.is(services.code, 1);
  assert.is(run.code, 1);
  // a run retries for longer than `services` (a restarting Keystone is ridden out): it says so while it does
  assert.match(run.stderr, /waiting for Keystone .*attempt \d+ failed \(ECONNREFUSED\), trying again/);
  const runId = /run (\S+) failed/.exec(run.stdout)?.[1];
  assert.ok(runId, run.stdout);
  const resume = await forcedown(['resume', runId, '--yes'], env);
  assertEnded(resume, SHORT_DEADLINE_MS, 'resume');
  assert.is(resume.code, 1);
  assert.match(resume.stdout, 'ECONNREFUSED');
});

test("a step's timeout ends the step and the process, even while the sign-in still waits", async () => {
  // the call's budget (30 s in a dry run) is longer than the step's 2 s timeout
  const result = await forcedown(['run', join(home, 'short.json'), ...fenced, '--dry-run'], cloud(silentPort));
  assertEnded(result, 2000, 'run --dry-run');
  assert.is(result.code, 1);
  assert.match(result.stdout, 'did not finish within 2.0s');
});

test('time limits that are not positive times are invalid input (exit 2) before anything is contacted', async () => {
  accepted = 0;
  for (const [name, value] of [
    ['FORCEDOWN_API_BUDGET', '0'],
    ['FORCEDOWN_CONNECT_TIMEOUT', 'soon'],
    ['FORCEDOWN_API_TIMEOUT', '-5s'],
    ['OS_API_TIMEOUT', '0s'],
  ]) {
    const result = await forcedown(['services'], { ...cloud(silentPort), [name]: value });
    assert.is(result.code, 2, `${name}=${value}: ${result.stderr}`);
    assert.match(result.stderr, name === 'OS_API_TIMEOUT' ? 'api_timeout' : name);
    assert.ok(result.elapsedMs < 5000, `${name}: ${result.elapsedMs} ms`);
  }
  assert.is(accepted, 0, 'no connection was opened');
});

test('the documented defaults: services gives up on a silent Keystone after 30 s, never silent for more than 5 s', async () => {
  const result = await withDefaults;
  assertEnded(result, 30_000, 'services');
  assert.is(result.code, 1);
  assert.match(result.stderr, 'did not answer POST /v3/auth/tokens');
  const times = [0, ...result.stderrAt];
  const gaps = times.slice(1).map((at, index) => at - times[index]);
  assert.ok(Math.max(...gaps) <= 5000 + 1500, `silent for ${Math.max(...gaps)} ms: ${result.stderr}`);
});

test.run();
