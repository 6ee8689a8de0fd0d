import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { doubleEnv, startOpenStackDouble, type OpenStackDouble } from '../../support/openstack-double/index.js';

/**
 * Issue 12's crash sweep: the real CLI binary evacuates 20 servers from the OpenStack double
 * (served over HTTP) and is killed with SIGKILL right after each journal event of its evacuate
 * step in turn, one case per boundary (test/fixtures/bin/kill-at-journal-boundary.mjs), then
 * `forcedown resume` finishes it. Every case must end with every server evacuated exactly once,
 * in its original state (one SHUTOFF, one PAUSED that is reset, evacuated and paused again),
 * none in ERROR, the run's locks lifted and an owner's lock kept.
 *
 * Replay one case: FORCEDOWN_CRASH_ONLY=<boundary> node scripts/run-tests.mjs unit crash-sweep
 * (FORCEDOWN_CRASH_KEEP=1 keeps its state dir and journal).
 */
const test = suite('crash sweep');
const root = join(import.meta.dirname, '../../..');
const killer = join(root, 'test/fixtures/bin/kill-at-journal-boundary.mjs');
const SERVERS = 20;
const PARALLEL = 4;
const runbook = {
  name: 'crash-sweep',
  params: { host: { type: 'string', description: 'Nova service host' } },
  steps: [
    { id: 'force-down', type: 'force-down', host: '${params.host}', disable: true, disabledReason: 'crash sweep' },
    {
      id: 'evacuate',
      type: 'evacuate',
      host: '${params.host}',
      concurrency: 6,
      resetNonEvacuable: true,
      pollInterval: '50ms',
      serverTimeout: '60s',
      lateRequestGrace: '1s',
    },
    { id: 'reset-failed', type: 'reset-state', only: '${steps.evacuate.failed}', state: 'error' },
  ],
};
let dir = '';
let runbookFile = '';

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-crash-sweep-'));
  runbookFile = join(dir, 'crash-sweep.json');
  await writeFile(runbookFile, JSON.stringify(runbook, null, 2));
});
test.after(async () => {
  if (!process.env.FORCEDOWN_CRASH_KEEP) await rm(dir, { recursive: true, force: true });
});

interface Cloud {
  readonly double: OpenStackDouble;
  readonly ids: readonly string[];
  readonly stopped: string;
  readonly paused: string;
  readonly owned: string;
}

async function cloud(): Promise<Cloud> {
  const double = await startOpenStackDouble({
    reportIntervalMs: 100,
    serviceDownTimeMs: 400,
    rebuildDelayMs: { min: 100, max: 400 },
  });
  const ids = double.addServers(SERVERS - 3, { host: 'fake1' });
  const stopped = double.addServer({ host: 'fake1', name: 'vm-off', vmState: 'stopped' }).id;
  const paused = double.addServer({ host: 'fake1', name: 'vm-paused', vmState: 'paused' }).id;
  const owned = double.addServer({ host: 'fake1', name: 'vm-owned', locked: { by: 'owner', reason: 'mine' } }).id;
  double.killCompute('fake1', { now: true });
  return { double, ids: [...ids, stopped, paused, owned], stopped, paused, owned };
}

function cli(
  double: OpenStackDouble,
  args: readonly string[],
  killAfter?: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', killer, join(root, 'bin/forcedown.js'), ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        NO_COLOR: '1',
        ...doubleEnv(double),
        ...(killAfter === undefined ? {} : { FORCEDOWN_TEST_KILL_AFTER_SYNC: String(killAfter) }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function journalOf(stateDir: string): Promise<{ runId: string; events: Record<string, unknown>[] }> {
  const [file] = (await readdir(join(stateDir, 'runs'))).filter((f) => f.endsWith('.jsonl'));
  const text = await readFile(join(stateDir, 'runs', file), 'utf8');
  const events = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { runId: file.replace(/\.jsonl$/, ''), events };
}

const runArgs = (stateDir: string): string[] => [
  'run',
  runbookFile,
  '--var',
  'host=fake1',
  '--assume-fenced',
  'crash sweep: the double has no BMC',
  '--yes',
  '--output',
  'json',
  '--state-dir',
  stateDir,
];

/** What happened to every server: exactly one evacuation each, original states, locks. */
function assertExactlyOnce(c: Cloud, label: string): void {
  const d = c.double;
  assert.is(d.doubleEvacuations, 0, `${label}: no double evacuation`);
  for (const id of c.ids) {
    const server = d.server(id)!;
    assert.is(d.migrations({ instanceUuid: id }).length, 1, `${label}: ${server.name} evacuated exactly once`);
    assert.is.not(server.host, 'fake1', `${label}: ${server.name} moved`);
    const wanted = id === c.stopped ? 'stopped' : id === c.paused ? 'paused' : 'active';
    assert.is(server.vmState, wanted, `${label}: ${server.name} ${wanted}, not ${server.vmState}`);
    assert.is(
      server.locked,
      id === c.owned,
      `${label}: ${server.name} ${id === c.owned ? 'keeps its owner lock' : 'unlocked'}`,
    );
  }
}

/** The journal boundaries of the evacuate step in a run without a crash: [first, last] seq. */
async function boundaries(): Promise<{ first: number; last: number }> {
  const c = await cloud();
  const stateDir = await mkdtemp(join(dir, 'reference-'));
  try {
    const run = await cli(c.double, runArgs(stateDir));
    assert.is(run.code, 0, run.stderr + run.stdout.slice(-2000));
    assertExactlyOnce(c, 'reference run');
    const { events } = await journalOf(stateDir);
    const ofStep = events.filter((e) => e.stepId === 'evacuate').map((e) => Number(e.seq));
    return { first: Math.min(...ofStep), last: Math.max(...ofStep) };
  } finally {
    await c.double.close();
  }
}

async function crashAt(boundary: number): Promise<string> {
  const c = await cloud();
  const stateDir = await mkdtemp(join(dir, `case-${boundary}-`));
  const label = `boundary ${boundary} (replay: FORCEDOWN_CRASH_ONLY=${boundary} node scripts/run-tests.mjs unit crash-sweep)`;
  try {
    const first = await cli(c.double, runArgs(stateDir), boundary);
    const { runId, events } = await journalOf(stateDir).catch((error: unknown) => {
      throw new Error(`${label}: no journal (${String(error)}); the run said: ${first.stderr}${first.stdout}`);
    });
    const last = events.at(-1)!;
    const killed = first.signal === 'SIGKILL';
    assert.ok(killed || first.code === 0, `${label}: killed, or finished first (${first.code}) ${first.stderr}`);
    const resumed = await cli(c.double, ['resume', runId, '--yes', '--output', 'json', '--state-dir', stateDir]);
    assert.is(
      resumed.code,
      0,
      `${label}: resume exit ${resumed.code}\n${resumed.stderr}${resumed.stdout.slice(-3000)}`,
    );
    assertExactlyOnce(c, label);
    return killed ? String(last.kind ?? last.event) : 'not reached';
  } finally {
    await c.double.close();
    if (process.env.FORCEDOWN_CRASH_KEEP) console.log(`  kept ${stateDir}`);
    else await rm(stateDir, { recursive: true, force: true });
  }
}

test('kill -9 at every journal boundary of a 20-server evacuation, then resume: each server evacuated exactly once', async () => {
  const only = process.env.FORCEDOWN_CRASH_ONLY;
  const { first, last } = only ? { first: Number(only), last: Number(only) } : await boundaries();
  const cases = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  const kinds = new Map<string, number>();
  const queue = [...cases];
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let boundary = queue.shift(); boundary !== undefined; boundary = queue.shift()) {
        try {
          const kind = await crashAt(boundary);
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        } catch (error) {
          failures.push(String((error as Error).message));
        }
      }
    }),
  );
  const killed = cases.length - (kinds.get('not reached') ?? 0);
  console.log(
    `  crash sweep: ${cases.length} journal boundaries (seq ${first}-${last}) of a ${SERVERS}-server evacuation, ${killed} killed with SIGKILL and resumed; after: ${[
      ...kinds,
    ]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  assert.equal(failures, [], failures.join('\n\n'));
  // the number of events (progress lines) varies a little from run to run: a case whose run ended
  // before its boundary is not a crash, but it still had to end well
  assert.ok(killed >= cases.length * 0.9, `${killed} of ${cases.length} boundaries reached by their runs`);
});

test.run();
