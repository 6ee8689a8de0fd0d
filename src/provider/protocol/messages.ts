/**
 * TypeScript shapes of the protocol messages as they cross the gRPC boundary (field names as in
 * the definitions, snake_case; bytes as Uint8Array; int64 as number; enums as numbers).
 * Requests are what the codec (wire.ts) decodes (with defaults), responses what the handlers return.
 */

import type * as P from '../../generated/protocol.types.js';

export interface DynamicValueMessage {
  readonly msgpack?: Uint8Array;
  readonly json?: Uint8Array;
}

export const Severity = { INVALID: 0, ERROR: 1, WARNING: 2 } as const;
export type SeverityValue = (typeof Severity)[keyof typeof Severity];

export interface AttributePathStep {
  readonly attribute_name?: string;
  readonly element_key_string?: string;
  readonly element_key_int?: number;
}

export interface AttributePathMessage {
  readonly steps: readonly AttributePathStep[];
}

export interface DiagnosticMessage {
  readonly severity: SeverityValue;
  readonly summary: string;
  readonly detail: string;
  readonly attribute?: AttributePathMessage;
}

export const StringKind = { PLAIN: 0, MARKDOWN: 1 } as const;

export interface SchemaAttributeMessage {
  readonly name: string;
  readonly type: Uint8Array;
  readonly description: string;
  readonly required: boolean;
  readonly optional: boolean;
  readonly computed: boolean;
  readonly sensitive: boolean;
  readonly description_kind: number;
  readonly deprecated: boolean;
}

/** A block without nested blocks (forcedown nests one level only). */
export interface SchemaLeafBlockMessage {
  readonly version: number;
  readonly attributes: readonly SchemaAttributeMessage[];
  readonly description: string;
  readonly description_kind: number;
  readonly deprecated: boolean;
}

export interface SchemaBlockMessage extends SchemaLeafBlockMessage {
  readonly block_types?: readonly SchemaNestedBlockMessage[];
}

export interface SchemaNestedBlockMessage {
  readonly type_name: string;
  readonly block: SchemaLeafBlockMessage;
  /** 1 SINGLE, 2 LIST, 3 SET, 4 MAP, 5 GROUP. */
  readonly nesting: number;
  readonly min_items: number;
  readonly max_items: number;
}

export interface SchemaMessage {
  readonly version: number;
  readonly block: SchemaBlockMessage;
}

export interface ServerCapabilitiesMessage {
  readonly plan_destroy: boolean;
  readonly get_provider_schema_optional: boolean;
}

export interface GetProviderSchemaResponse {
  readonly provider: SchemaMessage;
  readonly resource_schemas: Readonly<Record<string, SchemaMessage>>;
  readonly data_source_schemas: Readonly<Record<string, SchemaMessage>>;
  readonly diagnostics: readonly DiagnosticMessage[];
  readonly server_capabilities: ServerCapabilitiesMessage;
}

export interface GetMetadataResponse {
  readonly server_capabilities: ServerCapabilitiesMessage;
  readonly diagnostics: readonly DiagnosticMessage[];
  readonly data_sources: readonly { readonly type_name: string }[];
  readonly resources: readonly { readonly type_name: string }[];
}

export interface ValidateProviderConfigRequest {
  readonly config: DynamicValueMessage | null;
}
export interface ConfigureProviderRequest {
  readonly terraform_version: string;
  readonly config: DynamicValueMessage | null;
}
export interface ValidateResourceConfigRequest {
  readonly type_name: string;
  readonly config: DynamicValueMessage | null;
}
export interface UpgradeResourceStateRequest {
  readonly type_name: string;
  readonly version: number;
  readonly raw_state: { readonly json?: Uint8Array; readonly flatmap?: Readonly<Record<string, string>> } | null;
}
export interface ReadResourceRequest {
  readonly type_name: string;
  readonly current_state: DynamicValueMessage | null;
  readonly private?: Uint8Array;
}
export interface PlanResourceChangeRequest {
  readonly type_name: string;
  readonly prior_state: DynamicValueMessage | null;
  readonly proposed_new_state: DynamicValueMessage | null;
  readonly config: DynamicValueMessage | null;
  readonly prior_private?: Uint8Array;
}
export interface ApplyResourceChangeRequest {
  readonly type_name: string;
  readonly prior_state: DynamicValueMessage | null;
  readonly planned_state: DynamicValueMessage | null;
  readonly config: DynamicValueMessage | null;
  readonly planned_private?: Uint8Array;
}
export interface ImportResourceStateRequest {
  readonly type_name: string;
  readonly id: string;
}
export interface ReadDataSourceRequest {
  readonly type_name: string;
  readonly config: DynamicValueMessage | null;
}

// ---- checked against the generated types -------------------------------------------------------
// Every shape above must use only fields the proto text declares (src/generated/protocol.types.ts,
// generated from it): a misspelt or undeclared field, at any depth, fails the typecheck here.

/** The first field of `Hand` (at any depth) that `Generated` does not declare; never when none. */
type Undeclared<Hand, Generated> = Hand extends Uint8Array
  ? never
  : Hand extends readonly (infer Item)[]
    ? Generated extends readonly (infer GeneratedItem)[]
      ? Undeclared<Item, GeneratedItem>
      : 'a list where the protocol has none'
    : Hand extends object
      ? {
          [K in keyof Hand]-?: K extends keyof Generated ? Undeclared<Hand[K], NonNullable<Generated[K]>> : K;
        }[keyof Hand]
      : never;
type Declares<Hand, Generated> = [Undeclared<Hand, Generated>] extends [never] ? true : Undeclared<Hand, Generated>;

export const CHECKED_AGAINST_PROTOCOL: readonly true[] = [
  true satisfies Declares<DynamicValueMessage, P.DynamicValue>,
  true satisfies Declares<DiagnosticMessage, P.Diagnostic>,
  true satisfies Declares<AttributePathMessage, P.AttributePath>,
  true satisfies Declares<SchemaMessage, P.Schema>,
  true satisfies Declares<SchemaAttributeMessage, P.Schema_Attribute>,
  true satisfies Declares<ServerCapabilitiesMessage, P.ServerCapabilities>,
  true satisfies Declares<GetProviderSchemaResponse, P.GetProviderSchema_Response>,
  true satisfies Declares<GetMetadataResponse, P.GetMetadata_Response>,
  true satisfies Declares<ValidateProviderConfigRequest, P.ValidateProviderConfig_Request>,
  true satisfies Declares<ConfigureProviderRequest, P.ConfigureProvider_Request>,
  true satisfies Declares<ValidateResourceConfigRequest, P.ValidateResourceConfig_Request>,
  true satisfies Declares<UpgradeResourceStateRequest, P.UpgradeResourceState_Request>,
  true satisfies Declares<ReadResourceRequest, P.ReadResource_Request>,
  true satisfies Declares<PlanResourceChangeRequest, P.PlanResourceChange_Request>,
  true satisfies Declares<ApplyResourceChangeRequest, P.ApplyResourceChange_Request>,
  true satisfies Declares<ImportResourceStateRequest, P.ImportResourceState_Request>,
  true satisfies Declares<ReadDataSourceRequest, P.ReadDataSource_Request>,
];
