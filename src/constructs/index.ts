/**
 * CDKTF constructs for the forcedown provider: L1 bindings typed from the provider's schema
 * ({@link ForcedownProvider}, {@link ComputeService}, {@link DataComputeServices}) and
 * intent-level constructs ({@link FailedHost}, {@link MaintenanceHost}, {@link HealthyHost}).
 */
export { ComputeService, type ComputeServiceConfig } from './compute-service.js';
export { DataComputeServices, type DataComputeServicesConfig } from './data-compute-services.js';
export { ForcedownProvider, PROVIDER_VERSION, type ForcedownProviderConfig } from './forcedown-provider.js';
export {
  FailedHost,
  HealthyHost,
  MaintenanceHost,
  type FailedHostProps,
  type HealthyHostProps,
  type HostProps,
  type MaintenanceHostProps,
} from './hosts.js';
export type { PropsOf } from './schema-props.js';
export { PROVIDER_SOURCE } from '../provider/address.js';
