// docs/iac.md's loop, copied command by command from the page, on a fresh clone of this
// repository (`git clone`, then the page's own `npm ci` with the machine's Node 24): synth, deploy
// and diff against the testbed with cdktf 0.21 and then with cdktn 0.24 (CDK Terrain) on the same
// state. A synth prints no red [ERROR] line (DEP0044); deploy forces the host down in Nova; diff
// shows a drift made behind its back. The host is put back and the clone removed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpenStackClient } from '../../../src/openstack/index.js';
import {
  adminClient,
  loudSkip,
  restore,
  root,
  settled,
  terraformAvailable,
  testbedPath,
  type Testbed,
} from './harness.js';

const HOST = 'fake2';

interface Step {
  readonly line: string;
  readonly status: number | null;
  readonly output: string;
}

/** The shell lines of the docs block after `<!-- iac-loop:NAME -->`, comments stripped. */
export function loopLines(markdown: string, name: string): string[] {
  const marker = markdown.indexOf(`<!-- iac-loop:${name} -->`);
  if (marker < 0) throw new Error(`docs/iac.md has no <!-- iac-loop:${name} --> block`);
  const block = /```sh\n([\s\S]*?)```/.exec(markdown.slice(marker));
  if (!block) throw new Error(`no sh block after iac-loop:${name}`);
  return block[1]
    .split('\n')
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Runs docs lines one by one in `cwd`, as a user's shell would: `export` lines change the environment. */
class Shell {
  readonly steps: Step[] = [];
  constructor(
    readonly cwd: string,
    readonly env: Record<string, string>,
    readonly substitute: (line: string) => string,
  ) {}

  run(line: string): Step {
    const actual = this.substitute(line);
    const exported = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(actual);
    const script = exported ? `printf %s ${exported[2]}` : actual;
    const result = spawnSync('bash', ['-c', script], {
      cwd: this.cwd,
      env: { ...this.env, PWD: this.cwd },
      encoding: 'utf8',
      timeout: 900_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const step = { line: actual, status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
    if (exported && result.status === 0) this.env[exported[1]] = result.stdout;
    this.steps.push(step);
    assert.is(step.status, 0, `\`${actual}\` exited ${String(step.status)}:\n${step.output.slice(-4000)}`);
    return step;
  }

  runAll(lines: readonly string[]): Step[] {
    return lines.map((line) => this.run(line));
  }
}

function cleanEnv(testbed: Testbed): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(OS_|TF_|FORCEDOWN_|CDKTF_|npm_)/.test(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    CI: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    OS_CLIENT_CONFIG_FILE: testbed.cloudsYaml,
    OS_CLIENT_SECURE_FILE: testbed.secureYaml,
  };
}

interface Context {
  dir: string;
  clone: string;
  shell: Shell;
  client: OpenStackClient;
  docs: string;
}
const test = suite<Context>('docs/iac.md loop on a fresh clone: cdktf, then cdktn');

if (!terraformAvailable()) {
  loudSkip('test/e2e/provider/iac-loop.test.ts');
  test.skip('the docs/iac.md loop', () => undefined);
} else {
  test.before(async (ctx) => {
    const testbed = JSON.parse(readFileSync(testbedPath, 'utf8')) as Testbed;
    ctx.dir = mkdtempSync(join(tmpdir(), 'fd-e2e-iac-loop-'));
    ctx.clone = join(ctx.dir, 'forcedown');
    const clone = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', root, ctx.clone], { encoding: 'utf8' });
    assert.is(clone.status, 0, clone.stderr);
    ctx.docs = readFileSync(join(ctx.clone, 'docs/iac.md'), 'utf8');
    writeFileSync(
      join(ctx.clone, 'desired-state.yaml'),
      `# e2e: ${HOST} failed, as an operator writes it\nstatePath: state/forcedown.tfstate\nhosts:\n  ${HOST}:\n    state: failed\n    fencedReason: "e2e: fenced by the docs loop test (testbed)"\n`,
    );
    ctx.shell = new Shell(ctx.clone, cleanEnv(testbed), (line) =>
      line.replace('OS_CLOUD=prod', `OS_CLOUD=${testbed.admin.cloud}`),
    );
    ctx.client = await adminClient({ dir: ctx.dir, env: {}, testbed });
    await settled(ctx.client, HOST);
  });

  test.after(async (ctx) => {
    try {
      if (ctx.shell !== undefined && ctx.shell.env.TF_CLI_CONFIG_FILE !== undefined)
        spawnSync('bash', ['-c', 'npx cdktf destroy forcedown --auto-approve --skip-provider-lock'], {
          cwd: ctx.clone,
          env: { ...ctx.shell.env, FORCEDOWN_CDK: 'cdktf' },
          encoding: 'utf8',
          timeout: 600_000,
        });
      if (ctx.client !== undefined) await restore(ctx.client, HOST);
    } finally {
      await ctx.client?.close();
      if (ctx.dir !== undefined) rmSync(ctx.dir, { recursive: true, force: true });
    }
  });

  test('setup: npm ci on the fresh clone prints no install-scripts warning; validate; provider install', (ctx) => {
    const [install, ...rest] = ctx.shell.runAll(loopLines(ctx.docs, 'setup'));
    assert.match(install.line, /^npm ci/);
    assert.not.match(install.output, /install-scripts|allowScripts/);
    assert.ok(rest.some((step) => step.output.includes('desired-state.yaml (desired-state)')));
  });

  for (const library of ['cdktf', 'cdktn'] as const) {
    test(`${library}: synth, deploy, diff as docs/iac.md writes them`, async (ctx) => {
      const { client } = ctx;
      const lines = loopLines(ctx.docs, library);
      const steps = new Map<string, Step>();
      for (const line of lines) {
        const step = ctx.shell.run(line);
        const verb = /(synth|deploy|diff)\b/.exec(line)?.[1];
        if (verb !== undefined) steps.set(verb, step);
        if (verb === 'deploy') {
          const svc = await client.compute.findComputeService(HOST);
          assert.equal(
            [svc.forcedDown, svc.status, svc.disabledReason],
            [true, 'disabled', 'forcedown: fenced: e2e: fenced by the docs loop test (testbed)'],
            `${library} deploy forced ${HOST} down`,
          );
          await client.compute.setForcedDown(svc, false); // drift behind its back
        }
      }
      const synth = steps.get('synth');
      assert.ok(synth && steps.get('deploy') && steps.get('diff'), 'the block has synth, deploy and diff');
      assert.not.match(synth.output, /DEP0044|\[ERROR\]/, synth.output);
      assert.match(synth.output, 'Generated Terraform code for the stacks: forcedown');
      assert.match(steps.get('diff')!.output, /forced_down\s+= false -> true/);
      const tfJson = readFileSync(join(ctx.clone, 'cdktf.out/stacks/forcedown/cdk.tf.json'), 'utf8');
      const version = (JSON.parse(tfJson) as { '//': { metadata: { version: string } } })['//'].metadata.version;
      assert.is(version, library === 'cdktn' ? '0.24.0' : '0.21.0', `synthesized by ${library}`);
    });
  }
}

test.run();
