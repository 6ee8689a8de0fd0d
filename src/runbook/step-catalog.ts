import { loadSchema } from '../validation/index.js';

/** What the runbook schema says about one step type. */
export interface StepTypeInfo {
  readonly type: string;
  /** Output names later steps may reference as ${steps.ID.NAME}. */
  readonly outputs: readonly string[];
  readonly description: string;
  /** Fields holding a duration (the common retryDelay and timeout, and the type's own). */
  readonly durations: readonly string[];
}

type SchemaDef = { properties?: Record<string, { $ref?: string }> } & Record<string, unknown>;

/** Properties of a definition whose schema is the duration definition. */
function durationProperties(def: SchemaDef | undefined): string[] {
  return Object.entries(def?.properties ?? {})
    .filter(([, property]) => property.$ref === '#/$defs/duration')
    .map(([name]) => name);
}

let catalog: ReadonlyMap<string, StepTypeInfo> | undefined;

/**
 * The step types declared in schemas/runbook.schema.json, with their outputs
 * (`x-forcedown-outputs`). The schema is the single source; nothing here repeats it.
 */
export function stepCatalog(): ReadonlyMap<string, StepTypeInfo> {
  if (catalog) return catalog;
  const schema = loadSchema('runbook') as {
    $defs: Record<string, { oneOf?: { $ref: string }[] } & Record<string, unknown>>;
  };
  const defs = schema.$defs;
  const common = durationProperties(defs.stepCommon);
  const map = new Map<string, StepTypeInfo>();
  for (const { $ref } of defs.step?.oneOf ?? []) {
    const def = defs[$ref.split('/').pop()!] as {
      properties: { type: { const: string } };
      description?: string;
      'x-forcedown-outputs'?: string[];
    };
    const type = def.properties.type.const;
    map.set(type, {
      type,
      outputs: def['x-forcedown-outputs'] ?? [],
      description: def.description ?? '',
      durations: [...common, ...durationProperties(def as unknown as SchemaDef)],
    });
  }
  catalog = map;
  return map;
}
