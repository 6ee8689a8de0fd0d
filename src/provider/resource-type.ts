/**
 * What the provider server needs from a resource or data source: its schema and its operations.
 * The server (provider.ts, grpc-server.ts) dispatches by type name through a {@link ProviderTable}
 * handed in by the composition (serve.ts), and never imports a resource module itself; the plan
 * semantics every resource shares (plan.ts) are applied from the schema around the resource's own
 * plan hooks, like terraform-plugin-framework's plan modifiers.
 */
import type { HostLockProvider } from '../coordination/index.js';
import type { ComputeApi } from '../openstack/openstack.interface.js';
import type { Diagnostic } from './diagnostics.js';
import type { BlockSpec } from './schema/schema.js';
import type { TfObject, TfValue } from './unknown.js';

/** Outcome of plan. */
export interface PlanResult {
  readonly planned: TfObject | null;
  /** Attribute paths whose change replaces the resource. */
  readonly requiresReplace: readonly (readonly string[])[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Outcome of apply, read and import. */
export interface StateResult {
  readonly state: TfValue;
  readonly diagnostics: readonly Diagnostic[];
}

/** What an operation gets from the server: the (lazily connected) client and the stop signal. */
export interface OperationContext {
  readonly api: () => Promise<ComputeApi>;
  readonly signal: AbortSignal;
  /** The etcd host locks when coordination is configured (undefined: none). */
  readonly locks: () => Promise<HostLockProvider | undefined>;
}

/** A generic plan, before the resource's hooks: see plan.ts. */
export interface PlanDraft {
  readonly prior: TfObject | null;
  readonly config: TfObject;
  readonly planned: Readonly<Record<string, TfValue>>;
  readonly requiresReplace: readonly (readonly string[])[];
}

/** A managed resource type. */
export interface ResourceType {
  readonly schema: BlockSpec;
  /** Checks a configuration; unknown values are not judged. */
  validate(config: TfValue): Diagnostic[];
  /**
   * Values derived from others (an optional+computed attribute the configuration left unset and
   * that has no `default`, planned unknown by the generic rules): return the values to plan.
   */
  derive?(planned: Readonly<Record<string, TfValue>>, config: TfObject): Readonly<Record<string, TfValue>>;
  /** Checks the finished plan against the world (may read Nova); returns the plan to use. */
  checkPlan?(plan: PlanResult, draft: PlanDraft, context: OperationContext): Promise<PlanResult>;
  /** Applies a planned create/update, or (planned null) a destroy. */
  apply(
    api: ComputeApi,
    prior: TfValue,
    planned: TfValue,
    signal: AbortSignal,
    context?: OperationContext,
  ): Promise<StateResult>;
  /** Refresh: the object as it is now, or null when gone. */
  read(api: ComputeApi, current: TfValue, signal: AbortSignal): Promise<StateResult>;
  import(api: ComputeApi, id: string, signal: AbortSignal): Promise<StateResult>;
  /** Stored state of schema `version` (parsed JSON object) → the current shape. */
  upgrade(version: number, raw: Readonly<Record<string, unknown>>): StateResult;
}

/** A data source type. */
export interface DataSourceType {
  readonly schema: BlockSpec;
  validate(config: TfValue): Diagnostic[];
  read(api: ComputeApi, config: TfValue, signal: AbortSignal): Promise<StateResult>;
}

/** The provider's resources and data sources, handed to the server by the composition. */
export interface ProviderTable {
  readonly resources: readonly ResourceType[];
  readonly dataSources: readonly DataSourceType[];
}
