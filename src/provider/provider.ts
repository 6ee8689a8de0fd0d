/**
 * The forcedown provider's behaviour, independent of gRPC: schema, configuration, and dispatch
 * of the resource and data source operations by type name. The gRPC layer (grpc-server.ts)
 * decodes requests into {@link TfValue}s, calls these methods and encodes the results.
 *
 * The OpenStack connection is made on first use (Keystone authentication happens only in the
 * processes that talk to Nova), through an injected {@link Connector} so that tests can pass a
 * fake {@link ComputeApi}.
 */
import type { ComputeApi, LoadCloudConfigOptions } from '../openstack/openstack.interface.js';
import { diagnosticFromError, errorDiagnostic, type Diagnostic } from './diagnostics.js';
import type { GetMetadataResponse, GetProviderSchemaResponse } from './protocol/messages.js';
import { cloudOptionsFromConfig, readProviderConfig, validateProviderConfig } from './provider-config.js';
import {
  COMPUTE_SERVICE_TYPE,
  applyComputeService,
  importComputeService,
  planComputeServiceChecked,
  readComputeService,
  upgradeComputeServiceState,
  validateComputeServiceConfig,
  type PlanResult,
  type StateResult,
} from './resources/compute-service.js';
import {
  COMPUTE_SERVICES_TYPE,
  readComputeServices,
  validateComputeServicesConfig,
} from './resources/compute-services.data-source.js';
import { computeServiceResource, computeServicesDataSource, providerSchema, toSchemaMessage } from './schema/index.js';
import type { TfValue } from './unknown.js';

/** What the provider needs from a connected OpenStack client. */
export interface ComputeConnection {
  readonly compute: ComputeApi;
  close(): Promise<void>;
}

/** Makes a connection from `loadCloudConfig` options (the real one: ./openstack-connector.ts). */
export type Connector = (options: LoadCloudConfigOptions) => Promise<ComputeConnection>;

/** Options of {@link ForcedownProvider}. */
export interface ForcedownProviderOptions {
  readonly connect: Connector;
  /** Environment the client reads `OS_*` from. @defaultValue `process.env` (left to the client) */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The outcome of an import. */
export interface ImportResult {
  readonly imported: readonly { readonly typeName: string; readonly state: TfValue }[];
  readonly diagnostics: readonly Diagnostic[];
}

function unknownType(kind: string, typeName: string, known: string): Diagnostic {
  return errorDiagnostic(
    `Unknown ${kind} type ${typeName}`,
    `The forcedown provider has no ${kind} "${typeName}"; it has ${known}. Check the type name, or upgrade the provider.`,
  );
}

export class ForcedownProvider {
  readonly #connect: Connector;
  readonly #env: Readonly<Record<string, string | undefined>> | undefined;
  #options: LoadCloudConfigOptions | undefined;
  #connection: Promise<ComputeConnection> | undefined;
  #stop = new AbortController();

  constructor(options: ForcedownProviderOptions) {
    this.#connect = options.connect;
    this.#env = options.env;
  }

  getProviderSchema(): GetProviderSchemaResponse {
    return {
      provider: toSchemaMessage(providerSchema),
      resource_schemas: { [computeServiceResource.typeName]: toSchemaMessage(computeServiceResource) },
      data_source_schemas: { [computeServicesDataSource.typeName]: toSchemaMessage(computeServicesDataSource) },
      diagnostics: [],
      server_capabilities: { plan_destroy: false, get_provider_schema_optional: false },
    };
  }

  getMetadata(): GetMetadataResponse {
    return {
      server_capabilities: { plan_destroy: false, get_provider_schema_optional: false },
      diagnostics: [],
      resources: [{ type_name: COMPUTE_SERVICE_TYPE }],
      data_sources: [{ type_name: COMPUTE_SERVICES_TYPE }],
    };
  }

  validateProviderConfig(config: TfValue): Diagnostic[] {
    return validateProviderConfig(readProviderConfig(config).values);
  }

  /** Stores the configuration; the connection is made when an operation first needs Nova. */
  configure(config: TfValue): Diagnostic[] {
    const { values } = readProviderConfig(config);
    const diagnostics = validateProviderConfig(values).filter((d) => d.severity === 'error');
    if (diagnostics.length > 0) return diagnostics;
    this.#options = cloudOptionsFromConfig(values, this.#env);
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
    if (typeName !== COMPUTE_SERVICE_TYPE) return [unknownType('resource', typeName, COMPUTE_SERVICE_TYPE)];
    return validateComputeServiceConfig(config);
  }

  validateDataResourceConfig(typeName: string, config: TfValue): Diagnostic[] {
    if (typeName !== COMPUTE_SERVICES_TYPE) return [unknownType('data source', typeName, COMPUTE_SERVICES_TYPE)];
    return validateComputeServicesConfig(config);
  }

  upgradeResourceState(typeName: string, version: number, rawJson: string | undefined): StateResult {
    if (typeName !== COMPUTE_SERVICE_TYPE)
      return { state: null, diagnostics: [unknownType('resource', typeName, COMPUTE_SERVICE_TYPE)] };
    if (rawJson === undefined || rawJson === '') return { state: null, diagnostics: [] };
    let raw: unknown;
    try {
      raw = JSON.parse(rawJson);
    } catch (error) {
      return { state: null, diagnostics: [diagnosticFromError('The stored state is not valid JSON', error)] };
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { state: null, diagnostics: [] };
    return upgradeComputeServiceState(version, raw as Record<string, unknown>);
  }

  async readResource(typeName: string, current: TfValue): Promise<StateResult> {
    if (typeName !== COMPUTE_SERVICE_TYPE)
      return { state: current, diagnostics: [unknownType('resource', typeName, COMPUTE_SERVICE_TYPE)] };
    const result = await this.#withApi('a refresh', (api, signal) => readComputeService(api, current, signal));
    // a failed connection must not look like "the object is gone"
    return result.state === null && result.diagnostics.length > 0
      ? { state: current, diagnostics: result.diagnostics }
      : result;
  }

  async planResourceChange(typeName: string, prior: TfValue, proposed: TfValue, config: TfValue): Promise<PlanResult> {
    if (typeName !== COMPUTE_SERVICE_TYPE)
      return {
        planned: null,
        requiresReplace: [],
        diagnostics: [unknownType('resource', typeName, COMPUTE_SERVICE_TYPE)],
      };
    return planComputeServiceChecked(() => this.#api(), prior, proposed, config, this.#stop.signal);
  }

  async applyResourceChange(typeName: string, prior: TfValue, planned: TfValue): Promise<StateResult> {
    if (typeName !== COMPUTE_SERVICE_TYPE)
      return { state: prior, diagnostics: [unknownType('resource', typeName, COMPUTE_SERVICE_TYPE)] };
    const result = await this.#withApi('an apply', (api, signal) => applyComputeService(api, prior, planned, signal));
    return result;
  }

  async importResourceState(typeName: string, id: string): Promise<ImportResult> {
    if (typeName !== COMPUTE_SERVICE_TYPE)
      return { imported: [], diagnostics: [unknownType('resource', typeName, COMPUTE_SERVICE_TYPE)] };
    const result = await this.#withApi('an import', (api, signal) => importComputeService(api, id, signal));
    return {
      imported: result.state === null ? [] : [{ typeName, state: result.state }],
      diagnostics: result.diagnostics,
    };
  }

  async readDataSource(typeName: string, config: TfValue): Promise<StateResult> {
    if (typeName !== COMPUTE_SERVICES_TYPE)
      return { state: null, diagnostics: [unknownType('data source', typeName, COMPUTE_SERVICES_TYPE)] };
    return this.#withApi('a data source read', (api, signal) => readComputeServices(api, config, signal));
  }

  /** StopProvider: cancels the Nova calls in flight; later calls get a fresh signal. */
  stop(): void {
    this.#stop.abort();
    this.#stop = new AbortController();
  }

  /** Closes the OpenStack connection, if one was made. */
  async close(): Promise<void> {
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
