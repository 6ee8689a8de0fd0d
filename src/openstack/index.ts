/**
 * forcedown's OpenStack client: clouds.yaml/env configuration, Keystone v3 session, Nova compute
 * API with microversion negotiation, Glance image lookups, typed errors.
 *
 * ```ts
 * const client = await connect(loadCloudConfig({ cloud: 'prod' }));
 * const svc = await client.compute.findComputeService('cmp-07');
 * ```
 */
export * from './openstack.interface.js';
export { loadCloudConfig } from './config/load-cloud-config.js';
export { cloudRegionName } from './config/cloud-region.js';
export { connect, type ConnectOptions } from './client.js';
export {
  OpenStackApiError,
  OpenStackConnectionError,
  isRetryableOpenStackError,
  type OpenStackServiceName,
} from './errors.js';
export type { RequestEvent } from './http/http-client.js';
export type { RetryPolicy } from './http/retry.js';
export {
  EVACUATE_MAX_MICROVERSION,
  compareMicroversions,
  negotiateMicroversions,
  type MicroversionRange,
  type NegotiatedMicroversions,
} from './compute/microversion.js';
