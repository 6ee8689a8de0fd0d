#!/usr/bin/env node
// Precompiles the JSON Schemas in schemas/ (the source of truth) into standalone ajv validators,
// dist/validation/precompiled/<name>.cjs, with the same options the runtime uses
// (dist/validation/schema-registry.js). Each file carries the sha256 of the schema text it was
// made from (and of the fragment schemas it references); at run time a validator whose schema
// changed since is ignored and the schema is compiled as before. Part of `npm run build` (after tsc, which it needs).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import standaloneModule from 'ajv/dist/standalone/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const standaloneCode = standaloneModule.default ?? standaloneModule;
const { createAjv, precompiledPath, schemaFingerprint, FRAGMENT_SCHEMAS } = await import(
  join(root, 'dist/validation/schema-registry.js')
);

for (const name of ['runbook', 'inventory', 'desired-state', 'coordination', 'watch']) {
  const text = await readFile(join(root, 'schemas', `${name}.schema.json`), 'utf8');
  const ajv = createAjv({ code: { source: true } });
  const schema = JSON.parse(text);
  // a fragment (coordination) is already known to every instance: compiling it again would clash
  const validate = (FRAGMENT_SCHEMAS.includes(name) && ajv.getSchema(schema.$id)) || ajv.compile(schema);
  const sha256 = schemaFingerprint(name);
  const code = `${standaloneCode(ajv, validate)}\nmodule.exports.validate = module.exports;\nmodule.exports.schemaSha256 = ${JSON.stringify(sha256)};\n`;
  const out = precompiledPath(name);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(
    out,
    `// Generated from schemas/${name}.schema.json by scripts/gen-validators.mjs (npm run build). Do not edit.\n${code}`,
  );
}
