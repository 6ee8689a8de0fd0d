/**
 * The forcedown provider's behaviour, independent of gRPC: schema, configuration, and dispatch
 * of the resource and data source operations by type name, through the table the composition
 * hands in (it never imports a resource), with the generic plan semantics of plan.ts. The gRPC layer (grpc-server.ts)
 * decodes requests into {@link TfValue}s, calls these methods and encodes the results.
 *
 * The OpenStack connection is made on first use (Keystone authentication happens only in the
 * processes that talk to Nova), through an injected {@link Connector} so that tests can pass a
 * fake {@link ComputeApi}.
 */
import type { CoordinationSettings, HostLockProvider } from '../coordination/index.js';
import type { ComputeApi, LoadCloudConfigOptions } from '../openstack/openstack.interface.js';
import { providerCoordination } from './provider-coordination.js';
import { diagnosticFromError, errorDiagnostic, hasErrors, type Diagnostic } from './diagnostics.js';
import type { GetMetadataResponse, GetProviderSchemaResponse } from './protocol/messages.js';
import { cloudOptionsFromConfig, readProviderConfig, validateProviderConfig } from './provider-config.js';
import { keepPlannedComputed, planFromSchema } from './plan.js';
import type {
  DataSourceType,
  OperationContext,
  PlanResult,
  ProviderTable,
  ResourceType,
  StateResult,
} from './resource-type.js';
import { providerSchema, toSchemaMessage } from './schema/index.js';
import { isUnknown, type TfObject, type TfValue } from './unknown.js';

/** What the provider needs from a connected OpenStack client. */
export interface ComputeConnection {
  readonly compute: ComputeApi;
  close(): Promise<void>;
}

/** Makes a connection from `loadCloudConfig` options (the real one: ./openstack-connector.ts). */
export type Connector = (options: LoadCloudConfigOptions) => Promise<ComputeConnection>;

/** Host locks on etcd, opened from the coordination settings (the real one: serve.ts). */
export type LockOpener = (
  settings: CoordinationSettings,
  env: Readonly<Record<string, string | undefined>>,
) => Promise<{ readonly locks: HostLockProvider; close(): void }>;

/** Options of {@link ForcedownProvider}. */
export interface ForcedownProviderOptions {
  readonly connect: Connector;
  /** The resources and data sources served (the composition's table: resources/index.ts). */
  readonly table: ProviderTable;
  /** Opens the etcd locks when the provider has coordination configured. */
  readonly openLocks?: LockOpener;
  /** Environment the client reads `OS_*` from. @defaultValue `process.env` (left to the client) */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The outcome of an import. */
export interface ImportResult {
  readonly imported: readonly { readonly typeName: string; readonly state: TfValue }[];
  readonly diagnostics: readonly Diagnostic[];
}

function unknownType(kind: string, typeName: string, known: readonly { schema: { typeName: string } }[]): Diagnostic {
  const names = known.map((entry) => entry.schema.typeName).join(', ');
  return errorDiagnostic(
    `Unknown ${kind} type ${typeName}`,
    `The forcedown provider has no ${kind} "${typeName}"; it has ${names === '' ? 'none' : names}. Check the type name, or upgrade the provider.`,
  );
}

function asObject(value: TfValue): TfObject | null {
  if (value === null || isUnknown(value) || typeof value !== 'object' || Array.isArray(value)) return null;
  return value as TfObject;
}

/** A type-name lookup that reports an unknown name as a diagnostic. */
function lookup<T extends { readonly schema: { readonly typeName: string } }>(
  kind: string,
  list: readonly T[],
): (typeName: string) => T | Diagnostic {
  const byName = new Map(list.map((entry) => [entry.schema.typeName, entry]));
  return (typeName) => byName.get(typeName) ?? unknownType(kind, typeName, list);
}

const isDiagnostic = (value: object): value is Diagnostic => 'severity' in value && 'summary' in value;

export class ForcedownProvider {
  readonly #connect: Connector;
  readonly #env: Readonly<Record<string, string | undefined>> | undefined;
  readonly #table: ProviderTable;
  readonly #resource: (typeName: string) => ResourceType | Diagnostic;
  readonly #dataSource: (typeName: string) => DataSourceType | Diagnostic;
  #options: LoadCloudConfigOptions | undefined;
  #connection: Promise<ComputeConnection> | undefined;
  #stop = new AbortController();
  readonly #openLocks: LockOpener | undefined;
  #coordination: CoordinationSettings | undefined;
  #locks: ReturnType<LockOpener> | undefined;

  constructor(options: ForcedownProviderOptions) {
    this.#connect = options.connect;
    this.#env = options.env;
    this.#table = options.table;
    this.#openLocks = options.openLocks;
    this.#resource = lookup('resource', options.table.resources);
    this.#dataSource = lookup('data source', options.table.dataSources);
  }

  getProviderSchema(): GetProviderSchemaResponse {
    return {
      provider: toSchemaMessage(providerSchema),
      resource_schemas: Object.fromEntries(
        this.#table.resources.map((r) => [r.schema.typeName, toSchemaMessage(r.schema)]),
      ),
      data_source_schemas: Object.fromEntries(
        this.#table.dataSources.map((d) => [d.schema.typeName, toSchemaMessage(d.schema)]),
      ),
      diagnostics: [],
      server_capabilities: { plan_destroy: false, get_provider_schema_optional: false },
    };
  }

  getMetadata(): GetMetadataResponse {
    return {
      server_capabilities: { plan_destroy: false, get_provider_schema_optional: false },
      diagnostics: [],
      resources: this.#table.resources.map((r) => ({ type_name: r.schema.typeName })),
      data_sources: this.#table.dataSources.map((d) => ({ type_name: d.schema.typeName })),
    };
  }

  validateProviderConfig(config: TfValue): Diagnostic[] {
    return validateProviderConfig(readProviderConfig(config).values);
  }

  /** Stores the configuration; the connection is made when an operation first needs Nova. */
  configure(config: TfValue): Diagnostic[] {
    const { values } = readProviderConfig(config);
    const diagnostics = validateProviderConfig(values).filter((d) => d.severity === 'error');
    const options = cloudOptionsFromConfig(values, this.#env);
    const coordination = providerCoordination(config, this.#env ?? process.env, options);
    if (diagnostics.length > 0 || coordination.diagnostics.length > 0)
      return [...diagnostics, ...coordination.diagnostics];
    this.#options = options;
    this.#coordination = coordination.settings;
    return [];
  }

  /** The `loadCloudConfig` options from the last configure (for tests and logs; may hold secrets). */
  get cloudOptions(): LoadCloudConfigOptions | undefined {
    return this.#options;
  }

  async #api(): Promise<ComputeApi> {
    if (this.#options === undefined) {
      // Terraform always configures before CRUD; a missing configure is a protocol bug
      throw new Error('the provider was used before ConfigureProvider');
    }
    this.#connection ??= this.#connect(this.#options);
    return (await this.#connection).compute;
  }

  /** The etcd host locks, opened on first use; undefined without coordination. */
  async #hostLocks(): Promise<HostLockProvider | undefined> {
    const settings = this.#coordination;
    if (settings === undefined) return undefined;
    if (this.#openLocks === undefined)
      throw new Error('coordination is configured but this provider was built without an etcd lock opener');
    this.#locks ??= this.#openLocks(settings, this.#env ?? process.env);
    return (await this.#locks).locks;
  }

  #context(): OperationContext {
    return { api: () => this.#api(), signal: this.#stop.signal, locks: () => this.#hostLocks() };
  }

  async #withApi(
    what: string,
    run: (api: ComputeApi, signal: AbortSignal) => Promise<StateResult>,
  ): Promise<StateResult> {
    let api: ComputeApi;
    try {
      api = await this.#api();
    } catch (error) {
      return { state: null, diagnostics: [diagnosticFromError(`Connecting to OpenStack for ${what} failed`, error)] };
    }
    return run(api, this.#stop.signal);
  }

  validateResourceConfig(typeName: string, config: TfValue): Diagnostic[] {
    const type = this.#resource(typeName);
    return isDiagnostic(type) ? [type] : type.validate(config);
  }

  validateDataResourceConfig(typeName: string, config: TfValue): Diagnostic[] {
    const type = this.#dataSource(typeName);
    return isDiagnostic(type) ? [type] : type.validate(config);
  }

  upgradeResourceState(typeName: string, version: number, rawJson: string | undefined): StateResult {
    const type = this.#resource(typeName);
    if (isDiagnostic(type)) return { state: null, diagnostics: [type] };
    if (rawJson === undefined || rawJson === '') return { state: null, diagnostics: [] };
    let raw: unknown;
    try {
      raw = JSON.parse(rawJson);
    } catch (error) {
      return { state: null, diagnostics: [diagnosticFromError('The stored state is not valid JSON', error)] };
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { state: null, diagnostics: [] };
    return type.upgrade(version, raw as Record<string, unknown>);
  }

  async readResource(typeName: string, current: TfValue): Promise<StateResult> {
    const type = this.#resource(typeName);
    if (isDiagnostic(type)) return { state: current, diagnostics: [type] };
    const result = await this.#withApi('a refresh', (api, signal) => type.read(api, current, signal));
    // a failed connection must not look like "the object is gone"
    return result.state === null && result.diagnostics.length > 0
      ? { state: current, diagnostics: result.diagnostics }
      : result;
  }

  /** Plan: validation (values unknown at validate time may be known now), plan.ts, the resource's hooks. */
  async planResourceChange(typeName: string, prior: TfValue, proposed: TfValue, config: TfValue): Promise<PlanResult> {
    const type = this.#resource(typeName);
    if (isDiagnostic(type)) return { planned: null, requiresReplace: [], diagnostics: [type] };
    const invalid = type.validate(config).filter((d) => d.severity === 'error');
    if (invalid.length > 0) return { planned: null, requiresReplace: [], diagnostics: invalid };
    const draft = planFromSchema(type, asObject(prior), asObject(proposed), asObject(config) ?? {});
    if (draft === null) return { planned: null, requiresReplace: [], diagnostics: [] };
    const plan: PlanResult = { planned: draft.planned, requiresReplace: draft.requiresReplace, diagnostics: [] };
    if (type.checkPlan === undefined) return plan;
    return type.checkPlan(plan, draft, this.#context());
  }

  async applyResourceChange(typeName: string, prior: TfValue, planned: TfValue): Promise<StateResult> {
    const type = this.#resource(typeName);
    if (isDiagnostic(type)) return { state: prior, diagnostics: [type] };
    const result = await this.#withApi('an apply', (api, signal) =>
      type.apply(api, prior, planned, signal, this.#context()),
    );
    const plannedObject = asObject(planned);
    const state = asObject(result.state);
    if (plannedObject === null || state === null || hasErrors(result.diagnostics)) return result;
    return { ...result, state: keepPlannedComputed(type.schema, plannedObject, state) };
  }

  async importResourceState(typeName: string, id: string): Promise<ImportResult> {
    const type = this.#resource(typeName);
    if (isDiagnostic(type)) return { imported: [], diagnostics: [type] };
    const result = await this.#withApi('an import', (api, signal) => type.import(api, id, signal));
    return {
      imported: result.state === null ? [] : [{ typeName, state: result.state }],
      diagnostics: result.diagnostics,
    };
  }

  async readDataSource(typeName: string, config: TfValue): Promise<StateResult> {
    const type = this.#dataSource(typeName);
    if (isDiagnostic(type)) return { state: null, diagnostics: [type] };
    return this.#withApi('a data source read', (api, signal) => type.read(api, config, signal));
  }

  /** StopProvider: cancels the Nova calls in flight; later calls get a fresh signal. */
  stop(): void {
    this.#stop.abort();
    this.#stop = new AbortController();
  }

  /** Closes the OpenStack connection, if one was made. */
  async close(): Promise<void> {
    const locks = this.#locks;
    this.#locks = undefined;
    if (locks !== undefined) await locks.then((opened) => opened.close()).catch(() => undefined);
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection === undefined) return;
    try {
      await (await connection).close();
    } catch {
      // a connection that failed to open has nothing to close
    }
  }
}
