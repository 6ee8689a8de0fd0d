/**
 * The real {@link Connector}: forcedown's OpenStack client (clouds.yaml/secure.yaml/OS_* with the
 * provider arguments as overrides, then a Keystone session and the Nova compute API). Loaded
 * lazily by serve.ts, only when an operation needs Nova.
 */
import type { LoadCloudConfigOptions } from '../openstack/openstack.interface.js';
import { log } from './log.js';
import type { ComputeConnection } from './provider.js';

/** Loads the cloud configuration and connects (Keystone authentication, version discovery). */
export async function connectOpenStack(options: LoadCloudConfigOptions): Promise<ComputeConnection> {
  const openstack = await import('../openstack/index.js');
  const warn = (message: string): void => log('warn', message);
  const config = openstack.loadCloudConfig({ warn, ...options });
  log('debug', 'connecting to OpenStack', {
    cloud: config.cloudName,
    sources: config.sources,
    region: config.regionName,
    interface: config.interface,
  });
  const client = await openstack.connect(config, { warn });
  return { compute: client.compute, close: () => client.close() };
}
