import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
// @ts-expect-error: a plain .js ESLint plugin without type declarations
import forcedown from '../../../scripts/eslint/layers.js';

const root = join(import.meta.dirname, '../../..');

/** ESLint with only forcedown/layers on, linting `code` as if it were the file at `path` (under src/). */
async function lint(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { forcedown: forcedown as ESLint.Plugin },
        rules: { 'forcedown/layers': 'error' },
      },
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return result.messages.map((message) => message.message);
}

test('an upward import fails: steps may not import the runner', async () => {
  const messages = await lint('src/steps/x.ts', "import type { RunEvent } from '../runner/index.js';\n");
  assert.equal(messages.length, 1);
  assert.match(messages[0], 'src/steps may not import src/runner (a higher layer)');
});

test('a peer import fails: openstack may not import runbook', async () => {
  const messages = await lint('src/openstack/config/x.ts', "export { parseDuration } from '../../runbook/index.js';\n");
  assert.equal(messages.length, 1);
  assert.match(messages[0], 'src/openstack may not import src/runbook (a peer)');
});

test('nothing imports cli, not even dynamically or from the top layers', async () => {
  for (const from of ['src/runner/x.ts', 'src/report/x.ts', 'src/errors/x.ts']) {
    const messages = await lint(from, "export const main = async () => import('../cli/main.js');\n");
    assert.equal(messages.length, 1, from);
    assert.match(messages[0], 'nothing imports src/cli');
  }
});

test('downward, same-folder, allowed sideways and package imports pass', async () => {
  const code = [
    "import { ForcedownError } from '../errors/index.js';",
    "import { createOpenStackClient } from '../openstack/index.js';",
    "import { local } from './local.js';",
    "import { readFile } from 'node:fs/promises';",
    'export { ForcedownError, createOpenStackClient, local, readFile };',
  ].join('\n');
  assert.equal(await lint('src/hostops/x.ts', code), []);
  assert.equal(await lint('src/iac/x.ts', "export { Hosts } from '../constructs/index.js';\n"), []);
  assert.equal(await lint('src/cli/commands/x.ts', "export { executeRun } from '../../runner/index.js';\n"), []);
});

test('a folder missing from the layer table fails until it is placed', async () => {
  const messages = await lint('src/newthing/x.ts', "export { ForcedownError } from '../errors/index.js';\n");
  assert.match(messages[0], 'src/newthing is not in the layer table');
});

test('the repository config turns the rule and the 100-line limit on for src/', async () => {
  const config = (await new ESLint({ cwd: root }).calculateConfigForFile(join(root, 'src/steps/fence.ts'))) as {
    rules: Record<string, unknown[]>;
  };
  assert.equal(config.rules['forcedown/layers'][0], 2);
  assert.equal(config.rules['max-lines-per-function'][0], 2);
});

test.run();
