import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cliIn } from '../../support/captured-output.js';
import { adminEnv, startSimulatedCloud } from '../../support/simulated-cloud.js';

test('watch --once --dry-run reports what it would do and acts on nothing', async () => {
  const cloud = await startSimulatedCloud({ computes: ['fake1', 'fake2', 'fake3', 'fake4'] });
  const dir = await mkdtemp(join(tmpdir(), 'fd-watch-cli-'));
  try {
    await writeFile(join(dir, 'w.json'), JSON.stringify({ confirmSamples: 1, stateDir: 'state' }));
    const args = ['watch', '--config', 'w.json', '--once', '--dry-run'];
    const quiet = await cliIn(dir, args, adminEnv(cloud.double));
    assert.is(quiet.code, 0, quiet.err);
    assert.match(quiet.out, /nothing to do/);
    cloud.double.killCompute('fake1', { now: true });
    const json = await cliIn(dir, [...args, '--output', 'json'], adminEnv(cloud.double));
    assert.is(json.code, 10, json.err);
    const report = JSON.parse(json.out) as { recover: string[]; acted: boolean; dryRun: boolean };
    assert.equal(report.recover, ['fake1']);
    assert.is(report.acted, false);
    assert.is(cloud.double.service('fake1')?.forcedDown, false);
    const text = await cliIn(dir, args, adminEnv(cloud.double));
    assert.match(text.out, /would recover fake1/);
    assert.not.match(json.err + text.err, /admin-pw|OS_PASSWORD/);
  } finally {
    await cloud.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('watch --once acting: a recovery run that is refused gives its own exit code', async () => {
  const cloud = await startSimulatedCloud({ computes: ['fake1', 'fake2', 'fake3', 'fake4'] });
  const dir = await mkdtemp(join(tmpdir(), 'fd-watch-cli-'));
  try {
    // a BMC command that reads back nothing: the fence cannot be confirmed, the run refuses
    const bmc = { driver: 'command', command: ['/bin/true'] };
    await writeFile(join(dir, 'inventory.json'), JSON.stringify({ hosts: { fake1: { bmc } } }));
    await writeFile(
      join(dir, 'w.json'),
      JSON.stringify({ mode: 'act', confirmSamples: 1, stateDir: 'state', inventory: 'inventory.json' }),
    );
    cloud.double.killCompute('fake1', { now: true });
    const run = await cliIn(dir, ['watch', '--config', 'w.json', '--once', '--output', 'json'], adminEnv(cloud.double));
    const report = JSON.parse(run.out) as {
      recover: string[];
      runs: { host: string; status: string; exitCode: number }[];
    };
    assert.equal(report.recover, ['fake1']);
    assert.is(report.runs.length, 1, run.err);
    assert.is(report.runs[0].host, 'fake1');
    assert.is(report.runs[0].status, 'refused');
    assert.is(report.runs[0].exitCode, 3);
    assert.is(run.code, 3);
    assert.is(cloud.double.service('fake1')?.forcedDown, false);
    // the next --once (a new process): the failed run's journal holds fake1 back, no second fence
    const next = await cliIn(dir, ['watch', '--config', 'w.json', '--once'], adminEnv(cloud.double));
    assert.is(next.code, 11, next.out + next.err);
    assert.match(next.out, /held back fake1: its last recovery run \S+ ended refused; no new run until /);
    assert.match(next.out, /forcedown show /);
    assert.not.match(next.out, /recovering fake1/);
    assert.match(next.err, /"whatToDo":"see why with `forcedown show /);
  } finally {
    await cloud.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('watch with a bad or missing config exits 2 and says what to do', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-watch-cli-'));
  try {
    await writeFile(join(dir, 'bad.yaml'), 'mode: fix\ninterval: 5\n');
    const bad = await cliIn(dir, ['watch', '--config', 'bad.yaml', '--once']);
    assert.is(bad.code, 2);
    assert.match(bad.err, /2 problems/);
    assert.match(bad.err, /what to do/);
    const none = await cliIn(dir, ['watch', '--once']);
    assert.is(none.code, 2);
    assert.match(none.err, /--config FILE/);
    const help = await cliIn(dir, ['watch', '--help']);
    assert.is(help.code, 0);
    assert.match(help.out, /os-services/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('watch --once tells a failed poll apart: 4 bad credentials, 12 unreachable, 2 wrong cloud config', async () => {
  const cloud = await startSimulatedCloud({ computes: ['fake1', 'fake2'] });
  const dir = await mkdtemp(join(tmpdir(), 'fd-watch-cli-'));
  try {
    await writeFile(join(dir, 'w.json'), JSON.stringify({ stateDir: 'state' }));
    const args = ['watch', '--config', 'w.json', '--once', '--dry-run'];
    const auth = await cliIn(dir, args, { ...adminEnv(cloud.double), OS_PASSWORD: 'wrong-pw' });
    assert.is(auth.code, 4, auth.out + auth.err);
    assert.match(auth.out, /poll of Nova failed/);
    assert.match(auth.out, /what to do: /);
    assert.not.match(auth.out + auth.err, /wrong-pw/);
    const json = await cliIn(dir, [...args, '--output', 'json'], { ...adminEnv(cloud.double), OS_PASSWORD: 'x' });
    assert.is(json.code, 4);
    const report = JSON.parse(json.out) as { ok: boolean; failure: { kind: string; code: string; hint: string } };
    assert.is(report.ok, false);
    assert.is(report.failure.kind, 'auth');
    assert.ok(report.failure.hint.length > 0);

    const port = await closedPort();
    const gone = await cliIn(dir, args, {
      ...adminEnv(cloud.double),
      OS_AUTH_URL: `http://127.0.0.1:${port}/v3`,
      FORCEDOWN_API_BUDGET: '1',
    });
    assert.is(gone.code, 12, gone.out + gone.err);
    assert.match(gone.out, /cannot reach/);
    assert.match(gone.out, /what to do: /);

    const wrong = await cliIn(dir, args, { OS_CLOUD: 'nosuchcloud' });
    assert.is(wrong.code, 2, wrong.out + wrong.err);
    assert.match(wrong.out + wrong.err, /nosuchcloud/);
    assert.match(wrong.out + wrong.err, /what to do: /);

    const help = await cliIn(dir, ['watch', '--help']);
    assert.match(help.out, /12 {2}Keystone or Nova could not be reached/);
  } finally {
    await cloud.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
