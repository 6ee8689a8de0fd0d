#!/usr/bin/env node
// Generates TypeScript types from the JSON Schemas in schemas/ (the single source of truth) into
// src/generated/*.types.ts. Run `npm run gen:types` after editing a schema; a unit test fails when
// the committed types are stale.
//
//   node scripts/gen-types.mjs          write the files
//   node scripts/gen-types.mjs --check  exit 1 if a file would change
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** schema file -> [generated file, root type name] */
export const targets = [
  ['schemas/runbook.schema.json', 'src/generated/runbook.types.ts', 'Runbook'],
  ['schemas/inventory.schema.json', 'src/generated/inventory.types.ts', 'Inventory'],
  ['schemas/desired-state.schema.json', 'src/generated/desired-state.types.ts', 'DesiredState'],
  ['schemas/coordination.schema.json', 'src/generated/coordination.types.ts', 'Coordination'],
  ['schemas/watch.schema.json', 'src/generated/watch.types.ts', 'WatchConfig'],
];

export async function generate(schemaPath, typeName) {
  const schema = JSON.parse(await readFile(join(root, schemaPath), 'utf8'));
  const body = await compile(schema, typeName, {
    bannerComment: `/* Generated from ${schemaPath} by scripts/gen-types.mjs. Do not edit: edit the schema and run \`npm run gen:types\`. */`,
    additionalProperties: false,
    unreachableDefinitions: true,
    strictIndexSignatures: false,
    format: true,
    style: { singleQuote: true, printWidth: 140 },
    cwd: join(root, 'schemas'),
  });
  return body;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [schemaPath, outPath, typeName] of targets) {
    let schemaExists = true;
    try {
      await readFile(join(root, schemaPath));
    } catch {
      schemaExists = false;
    }
    if (!schemaExists) continue;
    const body = await generate(schemaPath, typeName);
    const current = await readFile(join(root, outPath), 'utf8').catch(() => '');
    if (current === body) continue;
    if (check) {
      console.error(`gen-types: ${outPath} is stale; run \`npm run gen:types\``);
      stale += 1;
    } else {
      await writeFile(join(root, outPath), body);
      console.log(`gen-types: wrote ${outPath}`);
    }
  }
  process.exitCode = stale ? 1 : 0;
}
