/**
 * The gRPC surface: `tfplugin6.Provider` and `plugin.GRPCController` on a grpc-js server,
 * decoding DynamicValues into {@link TfValue}s for {@link ForcedownProvider} and encoding its
 * answers. A handler never fails at the gRPC level: unexpected errors become error diagnostics,
 * which Terraform shows to the user (a gRPC error would read as "the plugin crashed").
 */
import type {
  Server,
  ServerCredentials,
  ServerUnaryCall,
  sendUnaryData,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { diagnosticFromError, toDiagnosticMessage, type Diagnostic } from './diagnostics.js';
import { log } from './log.js';
import { loadProtocol, serviceDefinition } from './protocol/codec.js';
import { CONTROLLER_SERVICE, PROVIDER_SERVICE } from './protocol/definitions.js';
import type {
  ApplyResourceChangeRequest,
  ConfigureProviderRequest,
  ImportResourceStateRequest,
  PlanResourceChangeRequest,
  ReadDataSourceRequest,
  ReadResourceRequest,
  UpgradeResourceStateRequest,
  ValidateProviderConfigRequest,
  ValidateResourceConfigRequest,
} from './protocol/messages.js';
import type { ForcedownProvider } from './provider.js';
import { decodeDynamicValue, encodeDynamicValue } from './values.js';

type Handler = (request: never) => object | Promise<object>;

const diagnostics = (list: readonly Diagnostic[]): object[] => list.map(toDiagnosticMessage);

/** The RPC handlers, as plain async functions of the decoded request (also used by tests). */
export function providerHandlers(provider: ForcedownProvider): Record<string, Handler> {
  return {
    GetMetadata: () => provider.getMetadata(),
    GetProviderSchema: () => provider.getProviderSchema(),
    ValidateProviderConfig: (request: ValidateProviderConfigRequest) => ({
      diagnostics: diagnostics(provider.validateProviderConfig(decodeDynamicValue(request.config))),
    }),
    ConfigureProvider: (request: ConfigureProviderRequest) => {
      log('info', 'configuring the forcedown provider', { terraform_version: request.terraform_version });
      return { diagnostics: diagnostics(provider.configure(decodeDynamicValue(request.config))) };
    },
    ValidateResourceConfig: (request: ValidateResourceConfigRequest) => ({
      diagnostics: diagnostics(provider.validateResourceConfig(request.type_name, decodeDynamicValue(request.config))),
    }),
    ValidateDataResourceConfig: (request: ValidateResourceConfigRequest) => ({
      diagnostics: diagnostics(
        provider.validateDataResourceConfig(request.type_name, decodeDynamicValue(request.config)),
      ),
    }),
    UpgradeResourceState: (request: UpgradeResourceStateRequest) => {
      const json = request.raw_state?.json;
      const result = provider.upgradeResourceState(
        request.type_name,
        request.version,
        json === undefined || json.length === 0 ? undefined : Buffer.from(json).toString('utf8'),
      );
      return { upgraded_state: encodeDynamicValue(result.state), diagnostics: diagnostics(result.diagnostics) };
    },
    ReadResource: async (request: ReadResourceRequest) => {
      const result = await provider.readResource(request.type_name, decodeDynamicValue(request.current_state));
      return {
        new_state: encodeDynamicValue(result.state),
        diagnostics: diagnostics(result.diagnostics),
        private: request.private ?? new Uint8Array(),
      };
    },
    PlanResourceChange: async (request: PlanResourceChangeRequest) => {
      const result = await provider.planResourceChange(
        request.type_name,
        decodeDynamicValue(request.prior_state),
        decodeDynamicValue(request.proposed_new_state),
        decodeDynamicValue(request.config),
      );
      return {
        planned_state: encodeDynamicValue(result.planned),
        requires_replace: result.requiresReplace.map((path) => ({
          steps: path.map((name) => ({ attribute_name: name })),
        })),
        planned_private: request.prior_private ?? new Uint8Array(),
        diagnostics: diagnostics(result.diagnostics),
      };
    },
    ApplyResourceChange: async (request: ApplyResourceChangeRequest) => {
      const result = await provider.applyResourceChange(
        request.type_name,
        decodeDynamicValue(request.prior_state),
        decodeDynamicValue(request.planned_state),
      );
      return {
        new_state: encodeDynamicValue(result.state),
        private: new Uint8Array(),
        diagnostics: diagnostics(result.diagnostics),
      };
    },
    ImportResourceState: async (request: ImportResourceStateRequest) => {
      const result = await provider.importResourceState(request.type_name, request.id);
      return {
        imported_resources: result.imported.map((item) => ({
          type_name: item.typeName,
          state: encodeDynamicValue(item.state),
          private: new Uint8Array(),
        })),
        diagnostics: diagnostics(result.diagnostics),
      };
    },
    ReadDataSource: async (request: ReadDataSourceRequest) => {
      const result = await provider.readDataSource(request.type_name, decodeDynamicValue(request.config));
      return { state: encodeDynamicValue(result.state), diagnostics: diagnostics(result.diagnostics) };
    },
    StopProvider: () => {
      log('info', 'StopProvider: cancelling calls in flight');
      provider.stop();
      return { Error: '' };
    },
  };
}

function unary(
  name: string,
  handler: Handler,
): (call: ServerUnaryCall<object, object>, callback: sendUnaryData<object>) => void {
  return (call, callback) => {
    log('debug', `rpc ${name}`);
    Promise.resolve()
      .then(() => handler(call.request as never))
      .then(
        (response) => callback(null, response),
        (error: unknown) => {
          log('error', `rpc ${name} failed`, { error: error instanceof Error ? error.message : String(error) });
          callback(null, {
            diagnostics: diagnostics([diagnosticFromError(`The forcedown provider failed in ${name}`, error)]),
          });
        },
      );
  };
}

/** Options of {@link startGrpcServer}. */
export interface GrpcServerOptions {
  readonly provider: ForcedownProvider;
  readonly credentials: ServerCredentials;
  /** Called (once) when Terraform asks the plugin to shut down. */
  readonly onShutdown: () => void;
  /** @defaultValue `'127.0.0.1'` */
  readonly host?: string;
  /** Ports to try, in order; 0 lets the system choose. @defaultValue `[0]` */
  readonly ports?: readonly number[];
}

/** Starts the server; resolves once it listens, with the port it got. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<{ server: Server; port: number }> {
  const grpc = await import('@grpc/grpc-js');
  const root = loadProtocol();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 256 * 1024 * 1024,
    'grpc.max_send_message_length': 256 * 1024 * 1024,
  });
  const implementation: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(providerHandlers(options.provider)))
    implementation[name] = unary(name, handler);
  server.addService(serviceDefinition(root, PROVIDER_SERVICE), implementation);
  let shutdownCalled = false;
  server.addService(serviceDefinition(root, CONTROLLER_SERVICE), {
    Shutdown: (_call: ServerUnaryCall<object, object>, callback: sendUnaryData<object>) => {
      callback(null, {});
      if (!shutdownCalled) {
        shutdownCalled = true;
        setImmediate(options.onShutdown);
      }
    },
  });
  const host = options.host ?? '127.0.0.1';
  let lastError: Error | undefined;
  for (const wanted of options.ports ?? [0]) {
    try {
      const port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`${host}:${wanted}`, options.credentials, (error, bound) =>
          error === null ? resolve(bound) : reject(error),
        );
      });
      return { server, port };
    } catch (error) {
      lastError = error instanceof Error ? error : new Error(String(error));
    }
  }
  throw lastError ?? new Error('no port to bind');
}
