import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import type * as Ajv2020Module from 'ajv/dist/2020.js';
import type { Ajv2020 } from 'ajv/dist/2020.js';

// ajv is loaded only when a schema has to be compiled here: the build ships the validators
// precompiled (scripts/gen-validators.mjs), which spares every CLI start ~200 ms of compiling
const require = createRequire(import.meta.url);

/** The schemas shipped in `schemas/`. */
export type SchemaName = 'runbook' | 'inventory' | 'desired-state' | 'coordination' | 'watch';

/** The package root (where `schemas/` lives), from both src/ (tsx) and dist/ (built). */
export const packageRoot: string = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of a shipped schema file. */
export function schemaPath(name: SchemaName): string {
  return join(packageRoot, 'schemas', `${name}.schema.json`);
}

let ajv: Ajv2020 | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();
const raw = new Map<SchemaName, { readonly schema: Record<string, unknown>; readonly sha256: string }>();

/** The options every forcedown validator is compiled with (here and in scripts/gen-validators.mjs). */
export const AJV_OPTIONS: Options = {
  allErrors: true,
  strict: true,
  strictTuples: false,
  strictRequired: false,
  allowUnionTypes: true,
  discriminator: true,
  verbose: true,
  // annotation-only keywords used by forcedown's schemas
  keywords: ['x-forcedown-outputs'],
};

/** An ajv instance with forcedown's options and formats (`code` options for the build's generator). */
export function createAjv(extra: Options = {}): Ajv2020 {
  const { Ajv2020: AjvClass } = require('ajv/dist/2020.js') as typeof Ajv2020Module;
  const instance = new AjvClass({ ...AJV_OPTIONS, ...extra });
  // ajv-formats is CommonJS: its default export is the function
  (require('ajv-formats') as { default: (a: Ajv2020) => void }).default(instance);
  for (const fragment of FRAGMENT_SCHEMAS) instance.addSchema(loadSchema(fragment));
  return instance;
}

function instance(): Ajv2020 {
  ajv ??= createAjv();
  return ajv;
}

/**
 * Schemas other schemas reference by file name (`"$ref": "coordination.schema.json"`): one
 * definition, reused. Every ajv instance knows them, and a precompiled validator's fingerprint
 * covers their text too (a change to a fragment makes the validators that embed it stale).
 */
export const FRAGMENT_SCHEMAS: readonly SchemaName[] = ['coordination'];

function readSchema(name: SchemaName): { readonly schema: Record<string, unknown>; readonly sha256: string } {
  let entry = raw.get(name);
  if (!entry) {
    const text = readFileSync(schemaPath(name), 'utf8');
    const hash = createHash('sha256').update(text);
    for (const fragment of FRAGMENT_SCHEMAS)
      if (fragment !== name && text.includes(`"${fragment}.schema.json"`))
        hash.update(readFileSync(schemaPath(fragment), 'utf8'));
    entry = {
      schema: JSON.parse(text) as Record<string, unknown>,
      sha256: hash.digest('hex'),
    };
    raw.set(name, entry);
  }
  return entry;
}

/** The parsed JSON of a shipped schema. */
export function loadSchema(name: SchemaName): Record<string, unknown> {
  return readSchema(name).schema;
}

/** The fingerprint a precompiled validator of `name` must carry (its text and the fragments it uses). */
export function schemaFingerprint(name: SchemaName): string {
  return readSchema(name).sha256;
}

/** Where the build writes the precompiled validator of a schema. */
export function precompiledPath(name: SchemaName): string {
  return join(packageRoot, 'dist', 'validation', 'precompiled', `${name}.cjs`);
}

/**
 * The validator the build precompiled from exactly this schema text, if there is one: the
 * schema stays the source of truth (a validator generated from another version of it is ignored).
 */
function precompiled(name: SchemaName, sha256: string): ValidateFunction | undefined {
  try {
    const module = require(precompiledPath(name)) as { schemaSha256?: string; validate?: ValidateFunction };
    return module.schemaSha256 === sha256 ? module.validate : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A precompiled validator whose errors point into the loaded schema: the generated code carries
 * its own copies of the schema's objects, and the error formatter recognises alternatives'
 * branches by object identity, so each error's `schema`/`parentSchema` is mapped back to the
 * loaded schema's object with the same content (only when a document is invalid).
 */
function withLoadedSchemaObjects(validate: ValidateFunction, schema: Record<string, unknown>): ValidateFunction {
  let byContent: Map<string, unknown> | undefined;
  const original = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    if (!byContent) {
      byContent = new Map();
      const stack: unknown[] = [schema];
      while (stack.length > 0) {
        const node = stack.pop();
        if (typeof node !== 'object' || node === null) continue;
        const key = JSON.stringify(node);
        if (!byContent.has(key)) byContent.set(key, node);
        for (const child of Object.values(node)) stack.push(child);
      }
    }
    return byContent.get(JSON.stringify(value)) ?? value;
  };
  const wrapped = ((data: unknown) => {
    const valid = validate(data);
    wrapped.errors = valid
      ? null
      : (validate.errors ?? []).map((error) => ({
          ...error,
          schema: original(error.schema),
          parentSchema: original(error.parentSchema) as ErrorObject['parentSchema'],
        }));
    return valid;
  }) as ValidateFunction;
  wrapped.schema = schema;
  wrapped.errors = null;
  return wrapped;
}

/** The compiled validator of a shipped schema (precompiled by the build, else compiled once per process). */
export function validatorFor(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    const { schema, sha256 } = readSchema(name);
    const ready = precompiled(name, sha256);
    const id = typeof schema.$id === 'string' ? schema.$id : undefined;
    const known = FRAGMENT_SCHEMAS.includes(name) && id !== undefined ? instance().getSchema(id) : undefined;
    validate = ready ? withLoadedSchemaObjects(ready, schema) : (known ?? instance().compile(schema));
    compiled.set(name, validate);
  }
  return validate;
}

/** Validates `value`; returns ajv's errors (empty when valid). */
export function validateAgainst(name: SchemaName, value: unknown): ErrorObject[] {
  const validate = validatorFor(name);
  return validate(value) ? [] : [...(validate.errors ?? [])];
}
