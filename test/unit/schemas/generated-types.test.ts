import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
// @ts-expect-error -- a plain .mjs build script without types
import * as genTypes from '../../../scripts/gen-types.mjs';

const { generate, targets } = genTypes as {
  generate: (schemaPath: string, typeName: string) => Promise<string>;
  targets: [string, string, string][];
};

const root = join(import.meta.dirname, '../../..');

test('the TypeScript types in src/generated are exactly what the schemas generate (no hand-kept copy drifts)', async () => {
  for (const [schemaPath, outPath, typeName] of targets) {
    const expected = await generate(schemaPath, typeName);
    const actual = await readFile(join(root, outPath), 'utf8');
    assert.ok(actual === expected, `${outPath} is stale: run \`npm run gen:types\``);
  }
});

test.run();
