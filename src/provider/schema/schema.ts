/**
 * The one way forcedown describes a Terraform schema: plain data, written once per block in
 * TypeScript, read by the provider (GetProviderSchema, validation, defaults, plan) and by the CDKTF
 * constructs (typed props, synthesis). Attribute keys are the camelCase names the constructs use;
 * the Terraform name is their snake_case form (`forcedDown` → `forced_down`).
 *
 * This module is data and pure functions only (no cdktf, no gRPC), so both sides can import it
 * without paying for the other.
 */
import { StringKind, type SchemaAttributeMessage, type SchemaMessage } from '../protocol/messages.js';

/** The primitive types forcedown's schemas use. */
export type PrimitiveType = 'string' | 'bool' | 'number';

/** A list of strings (the coordination block's `endpoints`). */
export interface ListOfStringsType {
  readonly listOf: 'string';
}

/** A list of objects with primitive attributes (the data source's `services`). */
export interface ListOfObjectsType {
  readonly list: Readonly<Record<string, PrimitiveType>>;
}

/** An attribute's type. */
export type AttributeType = PrimitiveType | ListOfObjectsType | ListOfStringsType;

/** One attribute. Exactly one of required / optional / computed-only applies. */
export interface AttributeSpec {
  readonly type: AttributeType;
  /** Shown by `terraform providers schema` and in docs (Markdown). */
  readonly description: string;
  /** The configuration must set it. */
  readonly required?: boolean;
  /** The configuration may set it. */
  readonly optional?: boolean;
  /** The provider sets it (alone: read-only; with `optional`: defaulted or derived when unset). */
  readonly computed?: boolean;
  /** Terraform hides the value in plans and output. */
  readonly sensitive?: boolean;
  /** A change replaces the resource (`requires_replace`). */
  readonly forceNew?: boolean;
  /** The value planned when the configuration leaves it unset (needs `optional` + `computed`). */
  readonly default?: string | boolean;
  /**
   * A computed-only value an update never changes: plans keep the prior value instead of
   * "known after apply" (terraform-plugin-framework's UseStateForUnknown).
   */
  readonly useStateForUnknown?: boolean;
}

/** A resource, data source or provider configuration block. */
export interface BlockSpec {
  /** `forcedown_compute_service`; the provider's own block uses the provider name. */
  readonly typeName: string;
  /** Schema version recorded in state (bumped with an upgrade path when attributes change). */
  readonly version: number;
  readonly description: string;
  readonly attributes: Readonly<Record<string, AttributeSpec>>;
  /** Nested blocks that appear at most once (`coordination { ... }`; nesting SINGLE). */
  readonly blocks?: Readonly<Record<string, NestedBlockSpec>>;
}

/** A nested block: its own attributes; in a value, an object, or null when absent. */
export interface NestedBlockSpec {
  readonly description: string;
  readonly attributes: Readonly<Record<string, AttributeSpec>>;
}

/** `forcedDown` → `forced_down`. */
export function terraformName(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** `forced_down` → `forcedDown`. */
export function camelName(name: string): string {
  return name.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

/** The block's attributes as `[key, terraformName, spec]`, in declaration order. */
export function attributesOf(block: BlockSpec): [key: string, name: string, spec: AttributeSpec][] {
  return Object.entries(block.attributes).map(([key, spec]) => [key, terraformName(key), spec]);
}

/** The JSON type constraint Terraform reads from `Schema.Attribute.type`. */
export function typeJson(type: AttributeType): unknown {
  if (typeof type === 'string') return type;
  if ('listOf' in type) return ['list', type.listOf];
  return [
    'list',
    ['object', Object.fromEntries(Object.entries(type.list).map(([key, value]) => [terraformName(key), value]))],
  ];
}

function attributeMessages(attributes: Readonly<Record<string, AttributeSpec>>): SchemaAttributeMessage[] {
  return Object.entries(attributes).map(([key, spec]) => ({
    name: terraformName(key),
    type: Buffer.from(JSON.stringify(typeJson(spec.type)), 'utf8'),
    description:
      spec.default === undefined ? spec.description : `${spec.description} Defaults to \`${String(spec.default)}\`.`,
    required: spec.required === true,
    optional: spec.optional === true,
    computed: spec.computed === true,
    sensitive: spec.sensitive === true,
    description_kind: StringKind.MARKDOWN,
    deprecated: false,
  }));
}

/** The protocol message for a block. */
export function toSchemaMessage(block: BlockSpec): SchemaMessage {
  const blockTypes = Object.entries(block.blocks ?? {}).map(([key, nested]) => ({
    type_name: terraformName(key),
    nesting: NESTING_SINGLE,
    min_items: 0,
    max_items: 0,
    block: {
      version: 0,
      attributes: attributeMessages(nested.attributes),
      description: nested.description,
      description_kind: StringKind.MARKDOWN,
      deprecated: false,
    },
  }));
  return {
    version: block.version,
    block: {
      version: block.version,
      attributes: attributeMessages(block.attributes),
      block_types: blockTypes,
      description: block.description,
      description_kind: StringKind.MARKDOWN,
      deprecated: false,
    },
  };
}

/** tfplugin6 `Schema.NestedBlock.NestingMode.SINGLE`. */
const NESTING_SINGLE = 1;

/** Checks a block's internal consistency (used by tests and at module load in development). */
export function schemaProblems(block: BlockSpec): string[] {
  const problems: string[] = [];
  for (const [key, name, spec] of attributesOf(block)) {
    const modes = [
      spec.required === true,
      spec.optional === true,
      spec.computed === true && spec.optional !== true,
    ].filter(Boolean).length;
    if (modes !== 1) problems.push(`${block.typeName}.${name}: exactly one of required, optional, computed(-only)`);
    if (spec.default !== undefined && !(spec.optional === true && spec.computed === true))
      problems.push(`${block.typeName}.${name}: a default needs optional + computed`);
    if (spec.default !== undefined && typeof spec.default !== (spec.type === 'bool' ? 'boolean' : 'string'))
      problems.push(`${block.typeName}.${name}: default does not match type`);
    if (spec.useStateForUnknown === true && !(spec.computed === true && spec.optional !== true))
      problems.push(`${block.typeName}.${name}: useStateForUnknown is for computed-only attributes`);
    if (camelName(name) !== key) problems.push(`${block.typeName}.${key}: key does not round-trip through snake_case`);
  }
  return problems;
}
