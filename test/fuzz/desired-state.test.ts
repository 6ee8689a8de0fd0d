import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadDesiredState, synthesizeApp } from '../../src/iac/index.js';
import {
  baseEnv,
  checkAlways,
  checkRejected,
  judge,
  readabilityProblems,
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
import { dictionaryOf, mutate } from './support/mutate.js';
import { Rng } from './support/rng.js';

/**
 * Mutated desired-state files (test/fixtures/desired-state*.json and the example of docs/iac.md)
 * through `forcedown validate --kind desired-state` and through the cdktf app's own entry
 * (`synthesizeApp`, what `cdktf synth` runs). `loadDesiredState` (what the app reads) decides
 * whether a mutant is valid; `forcedown validate` must agree with it, and the app must exit 2
 * with a readable list of problems for an invalid file and synthesize a valid one.
 */
const TARGET = 'desired-state';
const settings = settingsFor(TARGET);

let work: { dir: string; remove: () => Promise<void> };
const bases: { name: string; text: string; value: unknown }[] = [];

test.before(async () => {
  work = await workspace(TARGET);
  for (const file of ['test/fixtures/desired-state.json', 'test/fixtures/desired-state.invalid.json']) {
    const text = await readFile(join(root, file), 'utf8');
    bases.push({ name: file, text, value: JSON.parse(text) as unknown });
  }
  const docs = await readFile(join(root, 'docs/iac.md'), 'utf8');
  const example = /## The desired-state app[\s\S]*?```json\n([\s\S]*?)```/.exec(docs)?.[1];
  assert.ok(example, 'docs/iac.md has a desired-state example');
  bases.push({ name: 'docs/iac.md (example)', text: example, value: JSON.parse(example) as unknown });
  // one step from what only the semantic checks catch (a reason without disabling, names that
  // collide as Terraform resource names)
  const edge = {
    hosts: {
      'cmp-07.dc1': { state: 'failed', fencedReason: 'INC-1', disable: false },
      'cmp-07-dc1': { state: 'maintenance', reason: 'CHG-1' },
      cmp_08: { state: 'healthy' },
    },
  };
  bases.push({ name: '(semantic edge)', text: JSON.stringify(edge, null, 2), value: edge });
});

test.after(async () => {
  await work.remove();
});

async function runCase(index: number, tally: Tally): Promise<void> {
  const rng = Rng.forCase(settings.seed, TARGET, index);
  const base = rng.pick(bases);
  // a third of the cases are YAML (the same document serialized as YAML, plus YAML-only
  // mutations), chosen by a stream of its own so the JSON cases stay as they were
  const format = Rng.forCase(settings.seed, `${TARGET}/format`, index).chance(0.35) ? 'yaml' : 'json';
  const name = `desired-state.${format}`;
  const mutant = mutate(rng, {
    text: base.text,
    value: base.value,
    format,
    dictionary: dictionaryOf(bases.map((b) => b.value)),
  });
  const caseDir = join(work.dir, `case-${index}`);
  const failuresBefore = tally.failures.length;
  await mkdir(caseDir, { recursive: true });
  const file = join(caseDir, name);
  const fail = (failures: string[], argv?: readonly string[], output?: string): void => {
    if (failures.length > 0)
      tally.failures.push({
        target: TARGET,
        index,
        base: base.name,
        steps: mutant.steps,
        failures,
        ...(argv ? { argv } : {}),
        ...(output ? { output } : {}),
      });
  };
  try {
    await writePayload(file, mutant.payload);
    const valid = judge(tally, () => loadDesiredState(file));
    const options = { env: baseEnv(caseDir), cwd: caseDir, timeoutMs: settings.caseTimeoutMs };

    const withKind = rng.chance(0.8);
    const argv = [
      'validate',
      rng.chance(0.5) ? name : file,
      ...(withKind ? ['--kind', 'desired-state'] : []),
      ...(rng.chance(0.25) ? ['--output', 'json'] : []),
    ];
    const validated = timed(tally, await runCli(argv, options), `${TARGET}#${index}`);
    const failures = checkAlways(validated);
    const hintPattern = argv.includes('json') ? /"problems": \[\s*\{/ : /INVALID {2}\S.*\n {2}\S/;
    if (withKind) {
      if (valid && validated.code !== 0)
        failures.push(`validate exits ${validated.code} but the cdktf app accepts the file`);
      if (!valid) failures.push(...checkRejected(validated, { hintPattern }));
    } else if (validated.code === 2) {
      failures.push(...checkRejected(validated, { hintPattern }));
    }
    fail(failures, argv, validated.stdout + validated.stderr);

    // the cdktf app itself (synchronous: no hang limit possible here, the loop's total time shows it)
    let stderr = '';
    const started = Date.now();
    let code: number | string;
    try {
      code = synthesizeApp({
        env: { FORCEDOWN_DESIRED_STATE: file },
        outdir: join(caseDir, 'cdktf.out'),
        stderr: { write: (text: string) => (stderr += text) },
      });
    } catch (error) {
      code = `threw ${(error as Error).stack ?? String(error)}`;
    }
    tally.commands += 1;
    tally.slowestMs = Math.max(tally.slowestMs, Date.now() - started);
    const synthFailures: string[] = [];
    if (valid && code !== 0) synthFailures.push(`synth of a valid file ended with ${code}`);
    if (!valid && code !== 2) synthFailures.push(`synth of an invalid file must exit 2, not ${code}`);
    if (!valid && !/hint: \S/.test(stderr)) synthFailures.push('synth printed no hint');
    for (const problem of readabilityProblems(stderr)) synthFailures.push(`unreadable synth output: ${problem}`);
    fail(synthFailures, ['(cdktf app) FORCEDOWN_DESIRED_STATE=desired-state.json'], stderr);
  } finally {
    await removeCase(caseDir, tally, failuresBefore);
  }
}

test(`${TARGET}: mutated desired-state files through validate and the cdktf app`, async () => {
  await runTarget(TARGET, settings, runCase);
});

test.run();
