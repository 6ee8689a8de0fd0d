import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
    assert.is(json.code, 3, json.err);
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

test.run();
