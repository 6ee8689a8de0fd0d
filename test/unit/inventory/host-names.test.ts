import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForcedownError } from '../../../src/errors/index.js';
import { loadInventory } from '../../../src/inventory/index.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

/** Inventories find hosts as operators type them, with the rule Nova's lookup uses (src/validation/host-names.ts). */
const bmc = (port: number): unknown => ({
  bmc: { driver: 'ipmi', address: '127.0.0.1', port, username: 'admin', password: { env: 'BMC_PW' } },
});

test('cmp-07 finds cmp-07.example.net and back; an exact name wins; an ambiguous one is refused listing both', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-inv-'));
  try {
    const file = join(dir, 'inventory.json');
    await writeFile(
      file,
      JSON.stringify({
        hosts: {
          'cmp-07.example.net': bmc(1),
          'cmp-08': bmc(2),
          'cmp-08.example.net': bmc(3),
          'cmp-09.a.net': bmc(4),
          'cmp-09.b.net': bmc(5),
        },
      }),
    );
    const inventory = await loadInventory(file, {});
    const port = (name: string): unknown => (inventory.host(name).bmc as { port?: number }).port;
    assert.is(port('cmp-07'), 1);
    assert.is(port('cmp-07.example.net'), 1);
    assert.is(port('cmp-08'), 2, 'exact wins over cmp-08.example.net');
    assert.is(port('cmp-08.example.net'), 3);
    let error: unknown;
    try {
      inventory.host('cmp-09');
    } catch (e) {
      error = e;
    }
    assert.instance(error, ForcedownError);
    assert.is((error as ForcedownError).code, 'HOST_AMBIGUOUS_IN_INVENTORY');
    assert.is(exitCodeOf(error), 2);
    assert.match((error as ForcedownError).message, 'cmp-09.a.net, cmp-09.b.net');
    assert.throws(
      () => inventory.host('cmp-1'),
      (e: ForcedownError) => e.code === 'HOST_NOT_IN_INVENTORY',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
