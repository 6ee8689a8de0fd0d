/**
 * The plan semantics every resource shares, applied from its schema (Terraform's
 * resource-instance-change-lifecycle; terraform-plugin-framework's plan modifiers):
 *
 * - every non-null configuration value is kept;
 * - an optional+computed attribute the configuration leaves unset gets its `default`, else is
 *   unknown until the resource's `derive` hook plans it;
 * - a change of a `forceNew` attribute replaces the resource (`requires_replace`);
 * - computed-only attributes are unknown on create and replace; on update they keep the prior
 *   value when `useStateForUnknown` is set or nothing the configuration controls changes, and are
 *   unknown otherwise;
 * - after apply, computed values that were known in the plan are returned as planned.
 */
import type { PlanDraft, ResourceType } from './resource-type.js';
import { attributesOf, type BlockSpec } from './schema/schema.js';
import { UNKNOWN, isUnknown, type TfObject, type TfValue } from './unknown.js';

function differs(a: TfValue | undefined, b: TfValue | undefined): boolean {
  if (isUnknown(a) || isUnknown(b)) return true;
  return (a ?? null) !== (b ?? null);
}

const unset = (value: TfValue | undefined): boolean => value === null || value === undefined;

/** Configuration-side values: config kept, defaults, derived values (the resource's hook). */
function configuredValues(type: ResourceType, proposed: TfObject, config: TfObject): Record<string, TfValue> {
  const planned: Record<string, TfValue> = {};
  for (const [, name, spec] of attributesOf(type.schema)) {
    planned[name] = proposed[name] ?? null;
    if (spec.optional === true && spec.computed === true && unset(config[name]))
      planned[name] = spec.default ?? UNKNOWN;
  }
  return type.derive === undefined ? planned : { ...planned, ...type.derive(planned, config) };
}

/** The generic plan of a create or update (null `proposed`: a destroy, planned null). */
export function planFromSchema(
  type: ResourceType,
  prior: TfObject | null,
  proposed: TfObject | null,
  config: TfObject,
): PlanDraft | null {
  if (proposed === null) return null;
  const block = type.schema;
  const planned = configuredValues(type, proposed, config);
  const specs = attributesOf(block);
  const requiresReplace =
    prior === null
      ? []
      : specs
          .filter(([, name, spec]) => spec.forceNew === true && differs(planned[name], prior[name]))
          .map(([, n]) => [n]);
  const configurable = specs.filter(([, , spec]) => spec.required === true || spec.optional === true);
  const changing = prior !== null && configurable.some(([, name]) => differs(planned[name], prior[name]));
  for (const [, name, spec] of specs) {
    if (spec.computed !== true || spec.optional === true) continue;
    if (prior === null || requiresReplace.length > 0) planned[name] = UNKNOWN;
    else if (spec.useStateForUnknown === true) planned[name] = prior[name] ?? UNKNOWN;
    else planned[name] = changing ? UNKNOWN : (prior[name] ?? null);
  }
  return { prior, config, planned, requiresReplace };
}

/** An applied state with the computed values known in the plan kept as planned. */
export function keepPlannedComputed(block: BlockSpec, planned: TfObject, state: TfObject): TfObject {
  const out: Record<string, TfValue> = { ...state };
  for (const [, name, spec] of attributesOf(block)) {
    const value = planned[name];
    if (spec.computed === true && spec.optional !== true && !unset(value) && !isUnknown(value)) out[name] = value;
  }
  return out;
}
