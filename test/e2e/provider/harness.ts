/**
 * Shared set-up of the provider e2e suites: the real testbed (testbed.json), the built provider
 * installed into a private filesystem mirror with its own CLI configuration, a runner for
 * `terraform`/`cdktf` with a clean environment, and the OpenStack client to look at Nova directly
 * and put the hosts back.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect, loadCloudConfig, type ComputeService, type OpenStackClient } from '../../../src/openstack/index.js';
import { installProvider, writeCliConfig } from '../../../src/provider/install.js';

export interface Testbed {
  cloudsYaml: string;
  secureYaml: string;
  computes: { host: string }[];
  admin: { cloud: string };
}

export const root = join(import.meta.dirname, '../../..');
export const testbedPath = process.env.FORCEDOWN_TESTBED_JSON ?? '/tmp/forcedown-testbed/testbed.json';

/** `terraform` on PATH? (the e2e suites are skipped, loudly, without it) */
export function terraformAvailable(): boolean {
  return (
    spawnSync('terraform', ['version'], { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } })
      .status === 0
  );
}

export function loudSkip(what: string): void {
  const line = '!'.repeat(100);
  console.log(
    `\n${line}\n!!! SKIPPED: ${what}\n!!! \`terraform\` is not on PATH: the forcedown provider was NOT tested against real Terraform.\n${line}\n`,
  );
}

/** The newest mtime under `dir` (files ending in .ts). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (entry.name.endsWith('.ts')) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

/** Builds dist/ when it is missing or older than the sources the provider and the app use. */
export function ensureBuilt(): void {
  const marker = join(root, 'dist/provider/serve.js');
  const sources = ['src/provider', 'src/openstack', 'src/constructs', 'src/iac', 'src/validation'].map((d) =>
    newest(join(root, d)),
  );
  if (
    existsSync(marker) &&
    statSync(marker).mtimeMs >= Math.max(...sources) &&
    existsSync(join(root, 'dist/iac/main.js'))
  )
    return;
  // tsc emits even when unrelated files have type errors; the provider's own files are checked by npm test
  spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
    { cwd: root, stdio: 'inherit' },
  );
  if (!existsSync(marker)) throw new Error('dist/provider/serve.js is missing after the build');
}

export interface Workspace {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly testbed: Testbed;
}

/** A scratch dir with the provider installed in a private mirror and a CLI config using it. */
export function workspace(): Workspace {
  const testbed = JSON.parse(readFileSync(testbedPath, 'utf8')) as Testbed;
  const dir = mkdtempSync(join(tmpdir(), 'fd-e2e-tf-'));
  const installed = installProvider({ dir: join(dir, 'mirror') });
  const cliConfig = writeCliConfig(join(dir, 'terraformrc'), installed.cliConfig);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('OS_') && !key.startsWith('TF_')) env[key] = value;
  }
  Object.assign(env, {
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
    NO_COLOR: '1',
    // the provider reads the cloud like every OpenStack tool: clouds.yaml + secure.yaml (the password)
    OS_CLIENT_CONFIG_FILE: testbed.cloudsYaml,
    OS_CLIENT_SECURE_FILE: testbed.secureYaml,
  });
  return { dir, env, testbed };
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program in `cwd` with the workspace's environment. */
export function run(
  ws: Workspace,
  cwd: string,
  program: string,
  args: readonly string[],
  extraEnv: Record<string, string> = {},
  timeoutMs = 300_000,
): Run {
  const result = spawnSync(program, [...args], {
    cwd,
    env: { ...ws.env, ...extraEnv },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

export function terraform(ws: Workspace, cwd: string, ...args: string[]): Run {
  return run(ws, cwd, 'terraform', [...args, '-no-color']);
}

/** An admin client on the testbed, for looking at Nova behind Terraform's back. */
export async function adminClient(ws: Workspace): Promise<OpenStackClient> {
  const config = loadCloudConfig({
    env: {
      OS_CLIENT_CONFIG_FILE: ws.testbed.cloudsYaml,
      OS_CLIENT_SECURE_FILE: ws.testbed.secureYaml,
      OS_CLOUD: ws.testbed.admin.cloud,
    },
    cwd: ws.dir,
    home: ws.dir,
    etcDir: join(ws.dir, 'etc'),
    warn: () => undefined,
  });
  return connect(config, { retry: { retries: 2, baseDelayMs: 200, maxDelayMs: 1000 }, warn: () => undefined });
}

/** Waits until the host is up, not forced down and enabled (another suite may be using it). */
export async function settled(client: OpenStackClient, host: string, timeoutMs = 120_000): Promise<ComputeService> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const svc = await client.compute.findComputeService(host);
    if (!svc.forcedDown && svc.state === 'up' && svc.status === 'enabled') return svc;
    if (Date.now() > deadline)
      throw new Error(
        `${host} stays forced_down=${String(svc.forcedDown)} state=${svc.state} status=${svc.status}; something left it so`,
      );
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Puts the host back: forced_down cleared, enabled. */
export async function restore(client: OpenStackClient, host: string): Promise<void> {
  let svc = await client.compute.findComputeService(host);
  if (svc.forcedDown) svc = await client.compute.setForcedDown(svc, false);
  if (svc.status !== 'enabled') await client.compute.enableService(svc);
}

/**
 * cdktf-cli runs terraform in a pseudo-terminal (@cdktf/node-pty-prebuilt-multiarch). That package
 * ships prebuilt binaries up to Node 22's ABI and npm 11 does not run its install script, so under
 * Node 24 it is compiled here, once, with npm's node-gyp against the running Node's headers
 * (a few seconds; needs g++ and make). Returns a reason when that is impossible.
 */
export function ensureNodePty(): string | undefined {
  const pkg = join(root, 'node_modules/@cdktf/node-pty-prebuilt-multiarch');
  const loads = (): boolean =>
    spawnSync(process.execPath, ['-e', `require(${JSON.stringify(pkg)})`], { stdio: 'ignore' }).status === 0;
  if (loads()) return undefined;
  const nodedir = join(dirname(process.execPath), '..');
  if (!existsSync(join(nodedir, 'include/node/node.h')))
    return `no Node.js headers under ${nodedir}/include/node to build node-pty with`;
  const npm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  const gyp = npm === '' ? '' : join(dirname(realpathSync(npm)), '../node_modules/node-gyp/bin/node-gyp.js');
  if (gyp === '' || !existsSync(gyp)) return "npm's node-gyp was not found (needed to build node-pty for this Node.js)";
  const build = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], {
    cwd: pkg,
    encoding: 'utf8',
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
  if (build.status !== 0 || !loads())
    return `building node-pty failed:\n${build.stdout.slice(-2000)}\n${build.stderr.slice(-2000)}`;
  return undefined;
}
