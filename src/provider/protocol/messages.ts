/**
 * TypeScript shapes of the protocol messages as they cross the gRPC boundary (field names as in
 * the definitions, snake_case; bytes as Uint8Array; int64 as number; enums as numbers).
 * Requests are what the codec (wire.ts) decodes (with defaults), responses what the handlers return.
 */

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

export interface SchemaMessage {
  readonly version: number;
  readonly block: {
    readonly version: number;
    readonly attributes: readonly SchemaAttributeMessage[];
    readonly description: string;
    readonly description_kind: number;
    readonly deprecated: boolean;
  };
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
