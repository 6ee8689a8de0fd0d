/**
 * `forcedown provider install`: puts the provider where Terraform finds it — an unpacked
 * filesystem-mirror layout
 *
 *     DIR/registry.forcedown.dev/forcedown/forcedown/VERSION/OS_ARCH/terraform-provider-forcedown_vVERSION
 *
 * where the executable is a small shell script that `exec`s Node on the package's provider entry
 * (exec: Terraform's signals and kill reach Node itself; a wrapper that forked would leave Node
 * running and Terraform waiting).
 *
 * The default DIR, `~/.terraform.d/plugins`, is one of Terraform's implied local mirrors: with no
 * `provider_installation` block in the CLI configuration, `terraform init` finds the provider
 * there with no further setup. Otherwise add the printed `filesystem_mirror` block.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidInput } from '../errors/index.js';
import { PROVIDER_HOSTNAME, PROVIDER_NAMESPACE, PROVIDER_SOURCE, PROVIDER_TYPE } from './address.js';

/** The package root (bin/, dist/), from src/provider (tsx) and dist/provider (built) alike. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Marks files written by forcedown (so it only ever overwrites its own). */
const MARKER = 'written by `forcedown provider install`';

/** Options of {@link installProvider}. */
export interface InstallOptions {
  /** Mirror root. @defaultValue `~/.terraform.d/plugins` (an implied local mirror of Terraform) */
  readonly dir?: string;
  /** The Node.js binary the provider runs on. @defaultValue the running one (`process.execPath`) */
  readonly node?: string;
  /** The provider entry script. @defaultValue `<package>/bin/terraform-provider-forcedown.js` */
  readonly entry?: string;
  /** Terraform platform. @defaultValue this machine's (`linux_amd64`, `darwin_arm64`...) */
  readonly platform?: string;
  /** Provider version. @defaultValue forcedown's package version */
  readonly version?: string;
  /** Home directory for the default `dir`. @defaultValue `os.homedir()` */
  readonly home?: string;
}

/** What {@link installProvider} did. */
export interface InstallResult {
  /** The mirror root (for `filesystem_mirror.path`). */
  readonly dir: string;
  /** The installed executable. */
  readonly executable: string;
  readonly version: string;
  readonly platform: string;
  /** `registry.forcedown.dev/forcedown/forcedown`. */
  readonly source: string;
  /** A CLI configuration that uses the mirror for forcedown and the registry for the rest. */
  readonly cliConfig: string;
}

/** Terraform's name for this machine's platform. */
export function terraformPlatform(platform: string = process.platform, arch: string = process.arch): string {
  const os = platform === 'win32' ? 'windows' : platform;
  const cpu = ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' } as Record<string, string>)[arch] ?? arch;
  return `${os}_${cpu}`;
}

/** forcedown's package version. */
export function packageVersion(root: string = PACKAGE_ROOT): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function hclString(text: string): string {
  return JSON.stringify(text);
}

/** The `provider_installation` block for a mirror at `dir`. */
export function cliConfigSnippet(dir: string): string {
  return [
    `# forcedown's Terraform provider (${MARKER})`,
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${hclString(dir)}`,
    `    include = [${hclString(PROVIDER_SOURCE)}]`,
    '  }',
    '  direct {',
    `    exclude = [${hclString(PROVIDER_SOURCE)}]`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The wrapper script Terraform executes. */
export function wrapperScript(node: string, entry: string, version: string): string {
  return [
    '#!/bin/sh',
    `# terraform-provider-forcedown ${version}, ${MARKER}.`,
    '# exec: Terraform signals (and, at worst, kills) this process; it must be Node itself.',
    `exec ${shellQuote(node)} ${shellQuote(entry)} "$@"`,
    '',
  ].join('\n');
}

/** Installs the provider into a filesystem mirror. Idempotent; rewrites only its own files. */
export function installProvider(options: InstallOptions = {}): InstallResult {
  const dir = resolve(options.dir ?? join(options.home ?? homedir(), '.terraform.d', 'plugins'));
  const node = options.node ?? process.execPath;
  const entry = resolve(options.entry ?? join(PACKAGE_ROOT, 'bin', 'terraform-provider-forcedown.js'));
  const version = options.version ?? packageVersion();
  const platform = options.platform ?? terraformPlatform();
  if (!existsSync(entry)) {
    throw invalidInput(
      'PROVIDER_ENTRY_MISSING',
      `the provider entry ${entry} does not exist`,
      'install from a complete forcedown package (bin/ and dist/), or pass --entry',
    );
  }
  if (options.entry === undefined && !existsSync(join(PACKAGE_ROOT, 'dist', 'provider', 'serve.js'))) {
    throw invalidInput(
      'PROVIDER_NOT_BUILT',
      `${join(PACKAGE_ROOT, 'dist')} has no built provider`,
      'run `npm run build` (or `npm ci`, which builds) in the forcedown package first',
    );
  }
  if (!existsSync(node))
    throw invalidInput(
      'NODE_MISSING',
      `the Node.js binary ${node} does not exist`,
      'pass --node with the path of Node.js >= 22.13',
    );
  const target = join(dir, PROVIDER_HOSTNAME, PROVIDER_NAMESPACE, PROVIDER_TYPE, version, platform);
  const executable = join(target, `terraform-provider-${PROVIDER_TYPE}_v${version}`);
  if (existsSync(executable) && !readFileSync(executable, 'utf8').includes(MARKER)) {
    throw invalidInput(
      'PROVIDER_FILE_FOREIGN',
      `${executable} exists and was not written by forcedown`,
      'remove it, or install into another --dir',
    );
  }
  mkdirSync(target, { recursive: true });
  const temporary = `${executable}.tmp-${process.pid}`;
  writeFileSync(temporary, wrapperScript(node, entry, version), { mode: 0o755 });
  chmodSync(temporary, 0o755);
  renameSync(temporary, executable);
  return { dir, executable, version, platform, source: PROVIDER_SOURCE, cliConfig: cliConfigSnippet(dir) };
}

/**
 * Writes a CLI configuration file holding the snippet (for `TF_CLI_CONFIG_FILE`). Refuses to
 * overwrite a file forcedown did not write.
 */
export function writeCliConfig(file: string, snippet: string): string {
  const path = resolve(file);
  if (existsSync(path) && !readFileSync(path, 'utf8').includes(MARKER)) {
    throw invalidInput(
      'CLI_CONFIG_FOREIGN',
      `${path} exists and was not written by forcedown`,
      'add the provider_installation block printed by `forcedown provider install --print-config` to it by hand, or choose another --config-file',
    );
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, snippet);
  return path;
}
