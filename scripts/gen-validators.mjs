#!/usr/bin/env node
// Precompiles the JSON Schemas in schemas/ (the source of truth) into standalone ajv validators,
// dist/validation/precompiled/<name>.cjs, with the same options the runtime uses
// (dist/validation/schema-registry.js). Each file carries the sha256 of the schema text it was
// made from; at run time a validator whose schema changed since is ignored and the schema is
// compiled as before. Part of `npm run build` (after tsc, which it needs).
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import standaloneModule from 'ajv/dist/standalone/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const standaloneCode = standaloneModule.default ?? standaloneModule;
const { createAjv, precompiledPath } = await import(join(root, 'dist/validation/schema-registry.js'));

for (const name of ['runbook', 'inventory', 'desired-state', 'coordination']) {
  const text = await readFile(join(root, 'schemas', `${name}.schema.json`), 'utf8');
  const ajv = createAjv({ code: { source: true } });
  const validate = ajv.compile(JSON.parse(text));
  const sha256 = createHash('sha256').update(text).digest('hex');
  const code = `${standaloneCode(ajv, validate)}\nmodule.exports.validate = module.exports;\nmodule.exports.schemaSha256 = ${JSON.stringify(sha256)};\n`;
  const out = precompiledPath(name);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(
    out,
    `// Generated from schemas/${name}.schema.json by scripts/gen-validators.mjs (npm run build). Do not edit.\n${code}`,
  );
}
