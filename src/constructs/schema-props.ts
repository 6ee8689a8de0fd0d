/**
 * Construct props derived from the provider's schema (src/provider/schema): the TypeScript types
 * of `ComputeServiceConfig` / `ForcedownProviderConfig` and their synthesis to Terraform JSON both
 * come from the one definition there. Attribute docs (TSDoc, `@default`) carry over to the props
 * because the mapped types below are homomorphic over the schema's keys.
 */
import type { IResolvable } from 'cdktf';
import { cdk } from './cdk.js';
import { attributesOf, type AttributeSpec, type BlockSpec } from '../provider/schema/index.js';
import { UNKNOWN, type TfObject, type TfValue } from '../provider/unknown.js';

type PropType<T> = T extends 'bool' ? boolean | IResolvable : T extends 'string' ? string : never;
type Values<A> = { readonly [K in keyof A]: A[K] extends { readonly type: infer T } ? PropType<T> : never };
type RequiredKeys<A> = { [K in keyof A]: A[K] extends { readonly required: true } ? K : never }[keyof A];
type OptionalKeys<A> = { [K in keyof A]: A[K] extends { readonly optional: true } ? K : never }[keyof A];

/** The input props of a schema's attributes: required ones required, optional ones optional. */
export type PropsOf<A> = Pick<Values<A>, RequiredKeys<A>> & Partial<Pick<Values<A>, OptionalKeys<A>>>;

function isInput(spec: AttributeSpec): boolean {
  return spec.required === true || spec.optional === true;
}

/** Terraform JSON attributes (snake_case) of the props that are set. */
export function synthesizeProps(block: BlockSpec, given: object): Record<string, unknown> {
  const props = given as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const [key, name, spec] of attributesOf(block)) {
    if (!isInput(spec)) continue;
    const value = props[key];
    if (value === undefined) continue;
    out[name] = spec.type === 'bool' ? cdk.booleanToTerraform(value) : cdk.stringToTerraform(value);
  }
  return out;
}

/**
 * The props as the provider's validators see a configuration: snake_case, unset → null, tokens
 * (values only known at deploy time) → unknown, so synth-time validation applies the provider's
 * own rules without judging what it cannot know yet.
 */
export function propsAsTerraformValue(block: BlockSpec, given: object): TfObject {
  const props = given as Readonly<Record<string, unknown>>;
  const out: Record<string, TfValue> = {};
  for (const [key, name, spec] of attributesOf(block)) {
    const value = props[key];
    if (!isInput(spec) || value === undefined || value === null) out[name] = null;
    else if (cdk.Token.isUnresolved(value)) out[name] = UNKNOWN;
    else if (typeof value === 'string' || typeof value === 'boolean') out[name] = value;
    else out[name] = UNKNOWN;
  }
  return out;
}
