import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadInventory } from '../../../src/inventory/index.js';
import { cliIn } from '../../support/captured-output.js';

/**
 * The README's quick start names files that exist and a host its inventory has (the issue: it
 * named `cmp-07` while the example inventory has `cmp-07.example.net`), and the files it names
 * validate.
 */
const test = suite('README quick start');
const root = join(import.meta.dirname, '../../..');

test('the quick-start run line: runbook and inventory exist and validate; the host is in the inventory', async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Run the main job'));
  const line = /^npx forcedown run (\S+) --var host=(\S+) --inventory (\S+) --dry-run$/m.exec(section);
  assert.ok(line, 'the quick start has a `npx forcedown run RUNBOOK --var host=H --inventory FILE --dry-run` line');
  const [, runbook, host, inventoryFile] = line;
  const inventory = await loadInventory(join(root, inventoryFile), {});
  assert.ok(inventory.host(host), `${host} is in ${inventoryFile}`);
  const validated = await cliIn(root, ['validate', runbook, inventoryFile]);
  assert.is(validated.code, 0, validated.out + validated.err);
});

test.run();
