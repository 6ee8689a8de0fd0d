import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadInventory } from '../../src/inventory/index.js';
import { doubleEnv, startOpenStackDouble, type OpenStackDouble } from '../support/openstack-double/index.js';
import {
  baseEnv,
  checkAlways,
  checkRejected,
  fakeToolsOnPath,
  readBases,
  removeCase,
  root,
  runCli,
  runTarget,
  settingsFor,
  type Tally,
  timed,
  workspace,
  writePayload,
} from './support/harness.js';
import { mutate, type Dictionary } from './support/mutate.js';
import { Rng } from './support/rng.js';

/**
 * Mutated BMC inventories (runbooks/inventory.example.json and the testbed's, stored as
 * test/fuzz/fixtures/testbed-inventory.json) through `forcedown validate --kind inventory`, then
 * `forcedown plan` or `run --dry-run` of runbooks/host-failure.json with `--inventory` pointing at
 * the mutant. `loadInventory` decides whether a mutant is still valid; the CLI must agree, and an
 * invalid inventory must stop the command with exit 2 before anything is contacted: no BMC
 * program spawned, no Keystone/Nova request, no journal.
 */
const TARGET = 'inventories';
const settings = settingsFor(TARGET);
const testbedInventory = '/tmp/forcedown-testbed/inventory.json';

const bases: readonly { file: string; host: string }[] = [
  { file: 'runbooks/inventory.example.json', host: 'cmp-07.example.net' },
  { file: 'runbooks/inventory.example.json', host: 'cmp-09.example.net' },
  { file: 'test/fuzz/fixtures/testbed-inventory.json', host: 'fake2' },
];

let double: OpenStackDouble;
let work: { dir: string; remove: () => Promise<void> };
let restorePath: () => void;
let texts: Map<string, { text: string; value: unknown }>;
let dictionary: Dictionary;

test.before(async () => {
  double = await startOpenStackDouble({
    computes: ['fake1', 'fake2', 'fake3', 'cmp-07.example.net', 'cmp-09.example.net'],
  });
  work = await workspace(TARGET);
  restorePath = await fakeToolsOnPath(work.dir);
  ({ texts, dictionary } = await readBases(bases.map((base) => base.file)));
});

test.after(async () => {
  restorePath();
  await double.close();
  await work.remove();
});

function env(caseDir: string): Record<string, string> {
  return baseEnv(caseDir, {
    ...doubleEnv(double),
    BMC_PASSWORD_CMP07: 'fuzz-bmc-password',
    PDU_PASSWORD: 'fuzz-pdu-password',
  });
}

test("the stored testbed inventory is the testbed's (when the testbed is up)", async () => {
  if (!existsSync(testbedInventory)) return;
  assert.equal(
    JSON.parse(await readFile(join(root, 'test/fuzz/fixtures/testbed-inventory.json'), 'utf8')),
    JSON.parse(await readFile(testbedInventory, 'utf8')),
  );
});

async function runCase(index: number, tally: Tally): Promise<void> {
  const rng = Rng.forCase(settings.seed, TARGET, index);
  const base = rng.pick(bases);
  const source = texts.get(base.file)!;
  // a third of the cases are YAML (the same document serialized as YAML, plus YAML-only
  // mutations), chosen by a stream of its own so the JSON cases stay as they were
  const format = Rng.forCase(settings.seed, `${TARGET}/format`, index).chance(0.35) ? 'yaml' : 'json';
  const name = `inventory.${format}`;
  const mutant = mutate(rng, { text: source.text, value: source.value, format, dictionary });
  const caseDir = join(work.dir, `case-${index}`);
  const failuresBefore = tally.failures.length;
  const stateDir = join(caseDir, 'state');
  await mkdir(caseDir, { recursive: true });
  const file = join(caseDir, name);
  const fail = (failures: string[], argv?: readonly string[], output?: string): void => {
    if (failures.length > 0)
      tally.failures.push({
        target: TARGET,
        index,
        base: `${base.file} (${base.host})`,
        steps: mutant.steps,
        failures,
        ...(argv ? { argv } : {}),
        ...(output ? { output } : {}),
      });
  };
  try {
    await writePayload(file, mutant.payload);
    const caseEnv = env(caseDir);
    const valid = await loadInventory(file, caseEnv, name).then(
      () => true,
      () => false,
    );
    tally.cases += 1;
    if (valid) tally.stillValid += 1;
    else tally.rejected += 1;
    const options = {
      env: caseEnv,
      cwd: caseDir,
      timeoutMs: settings.caseTimeoutMs,
      httpCount: () => Object.values(double.calls).reduce((a, b) => a + b, 0),
    };

    const withKind = rng.chance(0.8);
    const validateArgv = ['validate', name, ...(withKind ? ['--kind', 'inventory'] : [])];
    const validated = timed(tally, await runCli(validateArgv, options), `${TARGET}#${index}`);
    const failures = checkAlways(validated);
    if (withKind) {
      if (valid && validated.code !== 0)
        failures.push(`validate exits ${validated.code} but loadInventory accepts the inventory`);
      if (!valid) failures.push(...checkRejected(validated, { stateDir, hintPattern: /INVALID {2}\S.*\n {2}\S/ }));
    } else if (validated.code === 2) {
      failures.push(...checkRejected(validated, { stateDir, hintPattern: /INVALID {2}\S.*\n {2}\S/ }));
    }
    fail(failures, validateArgv, validated.stdout + validated.stderr);

    const command = rng.chance(0.5) ? 'plan' : 'run';
    const argv = [
      command,
      join(root, 'runbooks/host-failure.json'),
      '--var',
      `host=${base.host}`,
      '--inventory',
      rng.chance(0.5) ? name : file,
      '--state-dir',
      stateDir,
      ...(command === 'run' ? ['--dry-run'] : []),
      ...(rng.chance(0.3) ? ['--output', 'json'] : []),
    ];
    const ran = timed(tally, await runCli(argv, options), `${TARGET}#${index}`);
    const runFailures = checkAlways(ran);
    if (!valid) runFailures.push(...checkRejected(ran, { stateDir }));
    fail(runFailures, argv, ran.stdout + ran.stderr);
  } finally {
    await removeCase(caseDir, tally, failuresBefore);
  }
}

test(`${TARGET}: mutated inventories through validate and plan / run --dry-run`, async () => {
  await runTarget(TARGET, settings, runCase);
});

test.run();
