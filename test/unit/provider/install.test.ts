import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { command } from '../../../src/cli/commands/provider.js';
import { isForcedownError } from '../../../src/errors/index.js';
import {
  cliConfigSnippet,
  installProvider,
  packageVersion,
  terraformPlatform,
  writeCliConfig,
} from '../../../src/provider/install.js';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../../src/provider/serve.js';
import { generateServerCertificate } from '../../../src/provider/tls.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

const version = packageVersion();
const tmp = (): string => mkdtempSync(join(tmpdir(), 'forcedown-install-'));

test('installs HOSTNAME/NAMESPACE/TYPE/VERSION/OS_ARCH/terraform-provider-forcedown_vVERSION, executable, exec-ing node', () => {
  const dir = tmp();
  const result = installProvider({ dir });
  const expected = join(
    dir,
    'registry.forcedown.dev/forcedown/forcedown',
    version,
    terraformPlatform(),
    `terraform-provider-forcedown_v${version}`,
  );
  assert.is(result.executable, expected);
  assert.is(statSync(expected).mode & 0o777, 0o755);
  const script = readFileSync(expected, 'utf8');
  assert.match(script, /^#!\/bin\/sh\n/);
  assert.match(script, `exec '${process.execPath}' '`);
  assert.match(script, `bin/terraform-provider-forcedown.js' "$@"`);
  // idempotent
  assert.is(installProvider({ dir }).executable, expected);
  rmSync(dir, { recursive: true, force: true });
});

test('the installed script is the provider: run by hand it refuses; run as Terraform does it hands over to node (exec) and shakes hands', async () => {
  const dir = tmp();
  const { executable } = installProvider({ dir });
  const env = { ...process.env };
  delete env[MAGIC_COOKIE_KEY];
  const byHand = spawnSync(executable, [], { env, encoding: 'utf8', timeout: 20_000 });
  assert.is(byHand.status, 1);
  assert.match(byHand.stderr, 'is a Terraform plugin');

  const child = spawn(executable, [], {
    env: { ...env, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_CLIENT_CERT: generateServerCertificate().certPem },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  assert.match(line, /^1\|6\|tcp\|127\.0\.0\.1:\d+\|grpc\|[A-Za-z0-9+/]{50,}$/);
  // exec: the process Terraform started is node itself, so its signals reach the server
  const cmdline = readFileSync(`/proc/${String(child.pid)}/cmdline`, 'utf8').split('\0');
  assert.is(cmdline[0], process.execPath);
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.is(code, 0, 'SIGTERM ends the server cleanly');
  rmSync(dir, { recursive: true, force: true });
});

test('never overwrites a file it did not write', () => {
  const dir = tmp();
  const { executable } = installProvider({ dir });
  writeFileSync(executable, '#!/bin/sh\necho someone else\n');
  try {
    installProvider({ dir });
    assert.unreachable('should refuse');
  } catch (error) {
    assert.ok(isForcedownError(error));
    assert.is(error.code, 'PROVIDER_FILE_FOREIGN');
  }
  const config = join(dir, 'terraformrc');
  writeFileSync(config, 'plugin_cache_dir = "/x"\n');
  assert.throws(() => writeCliConfig(config, cliConfigSnippet(dir)), /was not written by forcedown/);
  rmSync(dir, { recursive: true, force: true });
});

test('the CLI config routes the forcedown source to the mirror and everything else to the registry', () => {
  const snippet = cliConfigSnippet('/opt/mirror');
  assert.match(
    snippet,
    'filesystem_mirror {\n    path    = "/opt/mirror"\n    include = ["registry.forcedown.dev/forcedown/forcedown"]',
  );
  assert.match(snippet, 'direct {\n    exclude = ["registry.forcedown.dev/forcedown/forcedown"]');
  assert.is(terraformPlatform('linux', 'x64'), 'linux_amd64');
  assert.is(terraformPlatform('darwin', 'arm64'), 'darwin_arm64');
});

function sink(): { stream: Writable; text: () => string } {
  let out = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out += chunk.toString();
        callback();
      },
    }),
    text: () => out,
  };
}

test('forcedown provider install --dir --config-file --print-config', async () => {
  const dir = tmp();
  const stdout = sink();
  const stderr = sink();
  const code = await command.run(
    { values: { dir: 'mirror', 'config-file': 'forcedown.tfrc', 'print-config': true }, positionals: ['install'] },
    {
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: { HOME: dir },
      cwd: dir,
      signal: new AbortController().signal,
      debug: false,
    },
  );
  assert.is(code, 0);
  assert.ok(existsSync(join(dir, 'mirror/registry.forcedown.dev/forcedown/forcedown', version)));
  assert.is(readFileSync(join(dir, 'forcedown.tfrc'), 'utf8'), stdout.text());
  assert.match(stdout.text(), `path    = "${join(dir, 'mirror')}"`);
  assert.match(stderr.text(), 'export TF_CLI_CONFIG_FILE=');
  await command
    .run(
      { values: {}, positionals: ['uninstall'] },
      {
        stdout: stdout.stream,
        stderr: stderr.stream,
        env: {},
        cwd: dir,
        signal: new AbortController().signal,
        debug: false,
      },
    )
    .then(
      () => assert.unreachable('unknown action'),
      (error: unknown) => assert.ok(isForcedownError(error) && exitCodeOf(error) === 2),
    );
  rmSync(dir, { recursive: true, force: true });
});

test('forcedown provider serve run by hand: the plugin message and exit 1', async () => {
  const stdout = sink();
  const stderr = sink();
  const code = await command.run(
    { values: {}, positionals: ['serve'] },
    {
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: {},
      cwd: '/',
      signal: new AbortController().signal,
      debug: false,
    },
  );
  assert.is(code, 1);
  assert.is(stdout.text(), '');
  assert.match(stderr.text(), 'is a Terraform plugin');
});

test.run();
