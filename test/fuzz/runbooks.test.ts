import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import { bindParams, loadRunbook, parseVars } from '../../src/runbook/index.js';
import { doubleEnv, startOpenStackDouble, type OpenStackDouble } from '../support/openstack-double/index.js';
import {
  baseEnv,
  checkAlways,
  checkRejected,
  fakeToolsOnPath,
  readBases,
  removeCase,
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
 * Mutated runbooks (from runbooks/*.json and test/fixtures/runbooks/valid) through `forcedown
 * validate`, then `forcedown plan` or `forcedown run --dry-run` with the in-process OpenStack
 * double and a BMC inventory whose ipmitool is a harmless fake. The loader (`loadRunbook` +
 * `bindParams`) decides whether a mutant is still valid; the CLI must agree with it, and for
 * invalid ones exit 2 with a hint and leave no journal, spawn nothing and send no request.
 */
const TARGET = 'runbooks';
const settings = settingsFor(TARGET);

const bases: readonly { file: string; vars: readonly string[] }[] = [
  { file: 'runbooks/host-failure.json', vars: ['host=fake2', 'reason=INC-fuzz'] },
  { file: 'runbooks/host-recovery.json', vars: ['host=fake2'] },
  { file: 'runbooks/evacuate-only.json', vars: ['host=fake2'] },
  { file: 'test/fixtures/runbooks/valid/commands.json', vars: [] },
];

let double: OpenStackDouble;
let work: { dir: string; remove: () => Promise<void> };
let restorePath: () => void;
let inventory = '';
let texts: Map<string, { text: string; value: unknown }>;
let dictionary: Dictionary;

test.before(async () => {
  double = await startOpenStackDouble();
  work = await workspace(TARGET);
  restorePath = await fakeToolsOnPath(work.dir);
  inventory = join(work.dir, 'inventory.json');
  const bmc = (port: number): unknown => ({
    bmc: { driver: 'ipmi', address: '127.0.0.1', port, username: 'admin', password: { env: 'FUZZ_BMC_PASSWORD' } },
  });
  await writeFile(inventory, JSON.stringify({ hosts: { fake1: bmc(1), fake2: bmc(2), fake3: bmc(3) } }));
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
    FUZZ_BMC_PASSWORD: 'fuzz-bmc-password',
  });
}

/** Whether forcedown's own loader accepts the mutant (file + parameters). */
async function loaderVerdict(file: string, cwd: string, vars: readonly string[]): Promise<boolean> {
  try {
    const loaded = await loadRunbook(file, cwd);
    bindParams(loaded.runbook, parseVars(vars));
    return true;
  } catch {
    return false;
  }
}

async function runCase(index: number, tally: Tally): Promise<void> {
  const rng = Rng.forCase(settings.seed, TARGET, index);
  const base = rng.pick(bases);
  const source = texts.get(base.file)!;
  // a third of the cases are YAML (the same document serialized as YAML, plus YAML-only
  // mutations), chosen by a stream of its own so the JSON cases stay as they were
  const format = Rng.forCase(settings.seed, `${TARGET}/format`, index).chance(0.35) ? 'yaml' : 'json';
  const name = `runbook.${format}`;
  const mutant = mutate(rng, { text: source.text, value: source.value, format, dictionary });
  const caseDir = join(work.dir, `case-${index}`);
  const failuresBefore = tally.failures.length;
  const stateDir = join(caseDir, 'state');
  await mkdir(caseDir, { recursive: true });
  const fail = (failures: string[], argv?: readonly string[], output?: string): void => {
    if (failures.length > 0)
      tally.failures.push({
        target: TARGET,
        index,
        base: base.file,
        steps: mutant.steps,
        failures,
        ...(argv ? { argv } : {}),
        ...(output ? { output } : {}),
      });
  };
  try {
    await writePayload(join(caseDir, name), mutant.payload);
    const valid = await loaderVerdict(name, caseDir, base.vars);
    const loadable =
      valid ||
      (await loadRunbook(name, caseDir).then(
        () => true,
        () => false,
      ));
    tally.cases += 1;
    if (valid) tally.stillValid += 1;
    else tally.rejected += 1;
    const options = {
      env: env(caseDir),
      cwd: caseDir,
      timeoutMs: settings.caseTimeoutMs,
      httpCount: () => Object.values(double.calls).reduce((a, b) => a + b, 0),
    };

    // 1. validate (the kind given, so its verdict is comparable with the loader's)
    const json = rng.chance(0.25);
    const validateArgv = [
      'validate',
      rng.chance(0.5) ? name : join(caseDir, name),
      '--kind',
      'runbook',
      ...(json ? ['--output', 'json'] : []),
    ];
    const validated = timed(tally, await runCli(validateArgv, options), `${TARGET}#${index}`);
    const failures = checkAlways(validated);
    if (loadable && validated.code !== 0)
      failures.push(`validate exits ${validated.code} but the loader accepts the runbook`);
    if (!loadable)
      failures.push(
        ...checkRejected(validated, {
          stateDir,
          hintPattern: json ? /"problems": \[\s*\{/ : /INVALID {2}\S.*\n {2}\S/,
        }),
      );
    if (json && validated.code !== 'timeout') {
      try {
        JSON.parse(validated.stdout);
      } catch {
        failures.push('validate --output json printed something that is not JSON');
      }
    }
    fail(failures, validateArgv, validated.stdout + validated.stderr);

    // 2. plan, or run --dry-run (the commands that act on a runbook)
    const command = rng.chance(0.5) ? 'plan' : 'run';
    const argv = [
      command,
      name,
      ...base.vars.flatMap((v) => ['--var', v]),
      '--inventory',
      inventory,
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

test(`${TARGET}: mutated runbooks through validate and plan / run --dry-run`, async () => {
  await runTarget(TARGET, settings, runCase);
});

test.run();
