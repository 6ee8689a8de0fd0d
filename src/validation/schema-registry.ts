import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/** The schemas shipped in `schemas/`. */
export type SchemaName = 'runbook' | 'inventory' | 'desired-state';

/** The package root (where `schemas/` lives), from both src/ (tsx) and dist/ (built). */
export const packageRoot: string = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of a shipped schema file. */
export function schemaPath(name: SchemaName): string {
  return join(packageRoot, 'schemas', `${name}.schema.json`);
}

let ajv: Ajv2020 | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();
const raw = new Map<SchemaName, Record<string, unknown>>();

function instance(): Ajv2020 {
  if (ajv) return ajv;
  ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictTuples: false,
    strictRequired: false,
    allowUnionTypes: true,
    discriminator: true,
    verbose: true,
    // annotation-only keywords used by forcedown's schemas
    keywords: ['x-forcedown-outputs'],
  });
  // ajv-formats' CJS default export under nodenext
  (addFormatsModule as unknown as { default: (a: Ajv2020) => void }).default(ajv);
  return ajv;
}

/** The parsed JSON of a shipped schema. */
export function loadSchema(name: SchemaName): Record<string, unknown> {
  let schema = raw.get(name);
  if (!schema) {
    schema = JSON.parse(readFileSync(schemaPath(name), 'utf8')) as Record<string, unknown>;
    raw.set(name, schema);
  }
  return schema;
}

/** The compiled validator of a shipped schema (compiled once per process). */
export function validatorFor(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    validate = instance().compile(loadSchema(name));
    compiled.set(name, validate);
  }
  return validate;
}

/** Validates `value`; returns ajv's errors (empty when valid). */
export function validateAgainst(name: SchemaName, value: unknown): ErrorObject[] {
  const validate = validatorFor(name);
  return validate(value) ? [] : [...(validate.errors ?? [])];
}
