import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';

/**
 * docs/ci.md's GitHub Actions workflow and GitLab CI job, read from the page and run locally line
 * by line as the CI would: the GitHub steps one after another (bash -eo pipefail, GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY, RUNNER_TEMP, `${{ }}` from inputs and earlier steps' outputs), the GitLab
 * script as one shell. Only the install line is left out (forcedown is on PATH from this checkout).
 * A run that succeeds and one whose step fails: summary, JUnit, artifacts and the job's exit code.
 */
const test = suite('docs/ci.md recipes');
const root = join(import.meta.dirname, '../../..');
let dir = '';
let bin = '';

interface Workflow {
  jobs: Record<
    string,
    { env: Record<string, string>; steps: { name?: string; run?: string; env?: Record<string, string> }[] }
  >;
}
interface GitlabJob {
  variables: Record<string, string>;
  script: string[];
  artifacts: { paths: string[]; reports: { junit: string } };
}

function recipe(docs: string, name: string): unknown {
  const at = docs.indexOf(`<!-- ci-recipe:${name} -->`);
  const block = /```yaml\n([\s\S]*?)```/.exec(docs.slice(at));
  assert.ok(at >= 0 && block, `docs/ci.md has the ${name} recipe`);
  return parse(block[1]) as unknown;
}

function runbook(name: string, failing: boolean): string {
  return JSON.stringify({
    name,
    params: {
      host: { type: 'string', description: 'host' },
      reason: { type: 'string', description: 'why' },
    },
    steps: [
      { id: 'announce', type: 'command', command: ['echo', 'fencing ${params.host} for ${params.reason}'] },
      { id: 'act', type: 'command', command: failing ? ['false'] : ['true'] },
    ],
  });
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-ci-recipes-'));
  bin = join(dir, 'bin');
  await mkdir(bin);
  await writeFile(
    join(bin, 'forcedown'),
    `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'bin/forcedown.js')}" "$@"\n`,
  );
  await chmod(join(bin, 'forcedown'), 0o755);
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A checkout with the runbook and an inventory, as the CI's working directory. */
async function checkout(name: string, failing: boolean): Promise<string> {
  const work = join(dir, name);
  await mkdir(join(work, 'runbooks'), { recursive: true });
  await writeFile(join(work, 'runbooks', `${name}.json`), runbook(name, failing));
  await copyFile(join(root, 'runbooks/inventory.example.yaml'), join(work, 'inventory.yaml'));
  return work;
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !/^(OS_|FORCEDOWN_|GITHUB_|CI)/.test(key)) env[key] = value;
  return { ...env, PATH: `${bin}:${env.PATH ?? ''}`, NO_COLOR: '1' };
}

function readOutputs(file: string): Record<string, string> {
  const text = spawnSync('cat', [file], { encoding: 'utf8' }).stdout ?? '';
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

async function runGithub(name: string, failing: boolean): Promise<{ code: number; summary: string; temp: string }> {
  const workflow = recipe(await readFile(join(root, 'docs/ci.md'), 'utf8'), 'github') as Workflow;
  const job = workflow.jobs.forcedown;
  const work = await checkout(name, failing);
  const temp = join(work, '.runner-temp');
  await mkdir(temp);
  const files = { GITHUB_OUTPUT: join(temp, 'output'), GITHUB_STEP_SUMMARY: join(temp, 'summary.md') };
  const inputs: Record<string, string> = {
    host: 'cmp-07.example.net',
    reason: 'INC-ci',
    runbook: `runbooks/${name}.json`,
    dry_run: 'false',
  };
  const expr = (value: string): string =>
    String(value).replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, e: string) => {
      if (e.startsWith('inputs.')) return inputs[e.slice(7)] ?? '';
      if (e.startsWith('secrets.')) return 'not-a-real-secret';
      if (e === 'runner.temp') return temp;
      if (e.startsWith('steps.run.outputs.')) return readOutputs(files.GITHUB_OUTPUT)[e.slice(18)] ?? '';
      throw new Error(`the test does not know the expression ${e}`);
    });
  let code = 0;
  for (const step of job.steps) {
    if (step.run === undefined || /^Install/.test(step.name ?? '')) continue;
    const env: Record<string, string> = {
      ...baseEnv(),
      ...files,
      RUNNER_TEMP: temp,
      GITHUB_ACTIONS: 'true',
      CI: 'true',
    };
    for (const [key, value] of Object.entries({ ...job.env, ...step.env })) env[key] = expr(value);
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], {
      cwd: work,
      env,
      encoding: 'utf8',
    });
    code = result.status ?? 1;
    const last = step === job.steps.at(-1);
    if (!last) assert.is(code, 0, `step "${step.name ?? step.run}" failed:\n${result.stdout}\n${result.stderr}`);
  }
  return { code, summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'), temp };
}

test('GitHub Actions: a successful run, its Markdown summary, artifacts, exit 0', async () => {
  const { code, summary, temp } = await runGithub('ci-ok', false);
  assert.is(code, 0);
  assert.match(summary, /^### ✅ forcedown ci-ok on [^:]+: succeeded \(exit 0\)/);
  assert.match(summary, '| `announce` | command | ✅ changed |');
  const kept = spawnSync('ls', [temp], { encoding: 'utf8' }).stdout;
  assert.match(kept, 'forcedown-report.html');
  assert.match(kept, /\d{8}T\d{6}Z-ci-ok-[0-9a-f]+\.jsonl/);
});

test('GitHub Actions: a failed step is a red summary and the job exits 1', async () => {
  const { code, summary } = await runGithub('ci-fail', true);
  assert.is(code, 1);
  // its first command step changed something before `act` failed: the runner says so (issue 13)
  assert.match(summary, /^### ❌ forcedown ci-fail on [^:]+: failed after changes \(exit 1\)/);
  assert.match(summary, '| `act` | command | ❌ failed |');
});

async function runGitlab(name: string, failing: boolean): Promise<{ code: number; work: string; out: string }> {
  const job = (recipe(await readFile(join(root, 'docs/ci.md'), 'utf8'), 'gitlab') as Record<string, GitlabJob>)
    .forcedown;
  const work = await checkout(name, failing);
  const env: Record<string, string> = { ...baseEnv(), CI: 'true', GITLAB_CI: 'true', CI_PROJECT_DIR: work };
  for (const [key, value] of Object.entries(job.variables))
    env[key] = value.replace(/\$([A-Z_]+)/g, (_, v: string) => env[v] ?? '');
  Object.assign(env, { RUNBOOK: `runbooks/${name}.json`, HOST: 'cmp-07.example.net', REASON: 'INC-ci' });
  const script = job.script.filter((line) => !line.startsWith('npm install')).join('\n');
  const result = spawnSync('bash', ['-eo', 'pipefail', '-c', script], { cwd: work, env, encoding: 'utf8' });
  return { code: result.status ?? 1, work, out: result.stdout + result.stderr };
}

test('GitLab CI: JUnit report, artifacts, and the run exit code as the job exit code', async () => {
  const job = (recipe(await readFile(join(root, 'docs/ci.md'), 'utf8'), 'gitlab') as Record<string, GitlabJob>)
    .forcedown;
  const ok = await runGitlab('ci-gl-ok', false);
  assert.is(ok.code, 0, ok.out);
  const junit = await readFile(join(ok.work, job.artifacts.reports.junit), 'utf8');
  assert.match(junit, '<testsuites name="forcedown" tests="2" failures="0"');
  for (const path of job.artifacts.paths)
    assert.is(spawnSync('test', ['-e', join(ok.work, path)]).status, 0, `artifact ${path} exists`);
  const failed = await runGitlab('ci-gl-fail', true);
  assert.is(failed.code, 1, failed.out);
  const failedJunit = await readFile(join(failed.work, job.artifacts.reports.junit), 'utf8');
  assert.match(failedJunit, 'failures="1"');
  assert.match(
    failedJunit,
    /<testcase classname="forcedown\.ci-gl-fail\.steps" name="act \(command\)"[^>]*>\s*<failure /,
  );
});

test.run();
