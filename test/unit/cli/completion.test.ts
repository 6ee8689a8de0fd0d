import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { commands } from '../../../src/cli/registry.js';
import { cliIn } from '../../support/captured-output.js';

/**
 * `forcedown completion bash|zsh` is generated from the command table: every command and every
 * option of every command is in it, and the scripts work in the real shells (bash completes
 * commands, options and --output values; zsh parses and loads it under compinit).
 */
const test = suite('forcedown completion');
let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-completion-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function bashComplete(script: string, words: string[]): string[] {
  const program = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _forcedown; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['-c', program, 'bash', script, ...words], { encoding: 'utf8' });
  assert.is(result.status, 0, result.stderr);
  return result.stdout.split('\n').filter(Boolean);
}

test('bash: commands, each command options, value lists, from the command table', async () => {
  const result = await cliIn(dir, ['completion', 'bash']);
  assert.is(result.code, 0, result.err);
  const script = join(dir, 'forcedown.bash');
  await writeFile(script, result.out);
  assert.equal(bashComplete(script, ['forcedown', 're']).sort(), ['report', 'resume']);
  for (const entry of commands) {
    assert.ok(bashComplete(script, ['forcedown', '']).includes(entry.name), entry.name);
    const spec = await entry.load();
    const offered = bashComplete(script, ['forcedown', entry.name, '--']);
    for (const option of Object.keys(spec.options))
      assert.ok(offered.includes(`--${option}`), `${entry.name} --${option}`);
    assert.ok(offered.includes('--quiet') && offered.includes('--help'), entry.name);
  }
  assert.equal(bashComplete(script, ['forcedown', 'show', 'RUN', '--output', 'j']), ['json', 'junit']);
  assert.ok(bashComplete(script, ['forcedown', 'run', '--var-']).includes('--var-file'));
});

test('zsh: the script parses and defines its functions under compinit', async () => {
  const result = await cliIn(dir, ['completion', 'zsh']);
  assert.is(result.code, 0, result.err);
  assert.match(result.out, /^#compdef forcedown/);
  for (const entry of commands) assert.match(result.out, `'${entry.name}:`);
  const script = join(dir, '_forcedown');
  await writeFile(script, result.out);
  const zsh = spawnSync('sh', ['-c', 'command -v zsh'], { encoding: 'utf8' }).stdout.trim();
  if (zsh === '') {
    if (process.env.CI) assert.unreachable('zsh is missing in CI (.ci/run installs it)');
    console.log('\n!!! SKIPPED: zsh is not installed; the zsh completion script was not run (apt-get install zsh)\n');
    return;
  }
  const load = spawnSync(
    zsh,
    [
      '-fc',
      `autoload -U compinit && compinit -u -d ${join(dir, 'zcompdump')} && source ${script} && whence -w _forcedown`,
    ],
    { encoding: 'utf8' },
  );
  assert.is(load.status, 0, load.stderr);
  assert.match(load.stdout, '_forcedown: function');
});

test('an unknown shell is a usage error (exit 2)', async () => {
  const result = await cliIn(dir, ['completion', 'fish']);
  assert.is(result.code, 2);
  assert.match(result.err, 'unknown shell "fish"');
});

test.run();
