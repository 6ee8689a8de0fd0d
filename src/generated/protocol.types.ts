/* Generated from src/provider/protocol/definitions.ts by scripts/gen-protocol.ts. Do not edit: edit the proto text and run `npm run gen:protocol`. */
// Decoded shapes (every field present; absent sub-messages null; int64 and enums as numbers).

/** tfplugin6.DynamicValue */
export interface DynamicValue {
  readonly msgpack: Uint8Array;
  readonly json: Uint8Array;
}

/** tfplugin6.Diagnostic */
export interface Diagnostic {
  readonly severity: number;
  readonly summary: string;
  readonly detail: string;
  readonly attribute: AttributePath | null;
}

/** tfplugin6.AttributePath */
export interface AttributePath {
  readonly steps: readonly AttributePath_Step[];
}

/** tfplugin6.AttributePath.Step */
export interface AttributePath_Step {
  readonly attribute_name: string;
  readonly element_key_string: string;
  readonly element_key_int: number;
}

/** tfplugin6.StopProvider */
export type StopProvider = Record<string, never>;

/** tfplugin6.StopProvider.Request */
export type StopProvider_Request = Record<string, never>;

/** tfplugin6.StopProvider.Response */
export interface StopProvider_Response {
  readonly Error: string;
}

/** tfplugin6.RawState */
export interface RawState {
  readonly json: Uint8Array;
  readonly flatmap: Readonly<Record<string, string>>;
}

/** tfplugin6.Schema */
export interface Schema {
  readonly version: number;
  readonly block: Schema_Block | null;
}

/** tfplugin6.Schema.Block */
export interface Schema_Block {
  readonly version: number;
  readonly attributes: readonly Schema_Attribute[];
  readonly block_types: readonly Schema_NestedBlock[];
  readonly description: string;
  readonly description_kind: number;
  readonly deprecated: boolean;
}

/** tfplugin6.Schema.Attribute */
export interface Schema_Attribute {
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

/** tfplugin6.Schema.NestedBlock */
export interface Schema_NestedBlock {
  readonly type_name: string;
  readonly block: Schema_Block | null;
  readonly nesting: number;
  readonly min_items: number;
  readonly max_items: number;
}

/** tfplugin6.ServerCapabilities */
export interface ServerCapabilities {
  readonly plan_destroy: boolean;
  readonly get_provider_schema_optional: boolean;
}

/** tfplugin6.ClientCapabilities */
export interface ClientCapabilities {
  readonly deferral_allowed: boolean;
  readonly write_only_attributes_allowed: boolean;
}

/** tfplugin6.GetMetadata */
export type GetMetadata = Record<string, never>;

/** tfplugin6.GetMetadata.Request */
export type GetMetadata_Request = Record<string, never>;

/** tfplugin6.GetMetadata.Response */
export interface GetMetadata_Response {
  readonly server_capabilities: ServerCapabilities | null;
  readonly diagnostics: readonly Diagnostic[];
  readonly data_sources: readonly GetMetadata_DataSourceMetadata[];
  readonly resources: readonly GetMetadata_ResourceMetadata[];
}

/** tfplugin6.GetMetadata.DataSourceMetadata */
export interface GetMetadata_DataSourceMetadata {
  readonly type_name: string;
}

/** tfplugin6.GetMetadata.ResourceMetadata */
export interface GetMetadata_ResourceMetadata {
  readonly type_name: string;
}

/** tfplugin6.GetProviderSchema */
export type GetProviderSchema = Record<string, never>;

/** tfplugin6.GetProviderSchema.Request */
export type GetProviderSchema_Request = Record<string, never>;

/** tfplugin6.GetProviderSchema.Response */
export interface GetProviderSchema_Response {
  readonly provider: Schema | null;
  readonly resource_schemas: Readonly<Record<string, Schema>>;
  readonly data_source_schemas: Readonly<Record<string, Schema>>;
  readonly diagnostics: readonly Diagnostic[];
  readonly provider_meta: Schema | null;
  readonly server_capabilities: ServerCapabilities | null;
}

/** tfplugin6.ValidateProviderConfig */
export type ValidateProviderConfig = Record<string, never>;

/** tfplugin6.ValidateProviderConfig.Request */
export interface ValidateProviderConfig_Request {
  readonly config: DynamicValue | null;
}

/** tfplugin6.ValidateProviderConfig.Response */
export interface ValidateProviderConfig_Response {
  readonly diagnostics: readonly Diagnostic[];
}

/** tfplugin6.UpgradeResourceState */
export type UpgradeResourceState = Record<string, never>;

/** tfplugin6.UpgradeResourceState.Request */
export interface UpgradeResourceState_Request {
  readonly type_name: string;
  readonly version: number;
  readonly raw_state: RawState | null;
}

/** tfplugin6.UpgradeResourceState.Response */
export interface UpgradeResourceState_Response {
  readonly upgraded_state: DynamicValue | null;
  readonly diagnostics: readonly Diagnostic[];
}

/** tfplugin6.ValidateResourceConfig */
export type ValidateResourceConfig = Record<string, never>;

/** tfplugin6.ValidateResourceConfig.Request */
export interface ValidateResourceConfig_Request {
  readonly type_name: string;
  readonly config: DynamicValue | null;
  readonly client_capabilities: ClientCapabilities | null;
}

/** tfplugin6.ValidateResourceConfig.Response */
export interface ValidateResourceConfig_Response {
  readonly diagnostics: readonly Diagnostic[];
}

/** tfplugin6.ValidateDataResourceConfig */
export type ValidateDataResourceConfig = Record<string, never>;

/** tfplugin6.ValidateDataResourceConfig.Request */
export interface ValidateDataResourceConfig_Request {
  readonly type_name: string;
  readonly config: DynamicValue | null;
}

/** tfplugin6.ValidateDataResourceConfig.Response */
export interface ValidateDataResourceConfig_Response {
  readonly diagnostics: readonly Diagnostic[];
}

/** tfplugin6.ConfigureProvider */
export type ConfigureProvider = Record<string, never>;

/** tfplugin6.ConfigureProvider.Request */
export interface ConfigureProvider_Request {
  readonly terraform_version: string;
  readonly config: DynamicValue | null;
  readonly client_capabilities: ClientCapabilities | null;
}

/** tfplugin6.ConfigureProvider.Response */
export interface ConfigureProvider_Response {
  readonly diagnostics: readonly Diagnostic[];
}

/** tfplugin6.ReadResource */
export type ReadResource = Record<string, never>;

/** tfplugin6.ReadResource.Request */
export interface ReadResource_Request {
  readonly type_name: string;
  readonly current_state: DynamicValue | null;
  readonly private: Uint8Array;
  readonly provider_meta: DynamicValue | null;
  readonly client_capabilities: ClientCapabilities | null;
}

/** tfplugin6.ReadResource.Response */
export interface ReadResource_Response {
  readonly new_state: DynamicValue | null;
  readonly diagnostics: readonly Diagnostic[];
  readonly private: Uint8Array;
}

/** tfplugin6.PlanResourceChange */
export type PlanResourceChange = Record<string, never>;

/** tfplugin6.PlanResourceChange.Request */
export interface PlanResourceChange_Request {
  readonly type_name: string;
  readonly prior_state: DynamicValue | null;
  readonly proposed_new_state: DynamicValue | null;
  readonly config: DynamicValue | null;
  readonly prior_private: Uint8Array;
  readonly provider_meta: DynamicValue | null;
  readonly client_capabilities: ClientCapabilities | null;
}

/** tfplugin6.PlanResourceChange.Response */
export interface PlanResourceChange_Response {
  readonly planned_state: DynamicValue | null;
  readonly requires_replace: readonly AttributePath[];
  readonly planned_private: Uint8Array;
  readonly diagnostics: readonly Diagnostic[];
}

/** tfplugin6.ApplyResourceChange */
export type ApplyResourceChange = Record<string, never>;

/** tfplugin6.ApplyResourceChange.Request */
export interface ApplyResourceChange_Request {
  readonly type_name: string;
  readonly prior_state: DynamicValue | null;
  readonly planned_state: DynamicValue | null;
  readonly config: DynamicValue | null;
  readonly planned_private: Uint8Array;
  readonly provider_meta: DynamicValue | null;
}

/** tfplugin6.ApplyResourceChange.Response */
export interface ApplyResourceChange_Response {
  readonly new_state: DynamicValue | null;
  readonly private: Uint8Array;
  readonly diagnostics: readonly Diagnostic[];
}

/** tfplugin6.ImportResourceState */
export type ImportResourceState = Record<string, never>;

/** tfplugin6.ImportResourceState.Request */
export interface ImportResourceState_Request {
  readonly type_name: string;
  readonly id: string;
  readonly client_capabilities: ClientCapabilities | null;
}

/** tfplugin6.ImportResourceState.ImportedResource */
export interface ImportResourceState_ImportedResource {
  readonly type_name: string;
  readonly state: DynamicValue | null;
  readonly private: Uint8Array;
}

/** tfplugin6.ImportResourceState.Response */
export interface ImportResourceState_Response {
  readonly imported_resources: readonly ImportResourceState_ImportedResource[];
  readonly diagnostics: readonly Diagnostic[];
}

/** tfplugin6.ReadDataSource */
export type ReadDataSource = Record<string, never>;

/** tfplugin6.ReadDataSource.Request */
export interface ReadDataSource_Request {
  readonly type_name: string;
  readonly config: DynamicValue | null;
  readonly provider_meta: DynamicValue | null;
  readonly client_capabilities: ClientCapabilities | null;
}

/** tfplugin6.ReadDataSource.Response */
export interface ReadDataSource_Response {
  readonly state: DynamicValue | null;
  readonly diagnostics: readonly Diagnostic[];
}

/** plugin.Empty */
export type Plugin_Empty = Record<string, never>;
