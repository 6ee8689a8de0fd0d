/**
 * The selected cloud's region name, for what is keyed by region outside OpenStack (the etcd keys
 * of src/coordination). One function for every caller (runs, watchers, the Terraform provider),
 * so that all the machines and tools of one cloud meet under one region.
 */
import type { LoadCloudConfigOptions } from '../openstack.interface.js';
import { loadCloudConfig } from './load-cloud-config.js';

/**
 * The region the cloud configuration selects, with loadCloudConfig's precedence: the overrides'
 * `regionName` (`--os-region-name`, the provider's `region`), else `OS_REGION_NAME`, else the
 * selected cloud's clouds.yaml `region_name`; undefined when none names one.
 *
 * Quiet and total: a configuration that does not load (no cloud, broken YAML, missing auth_url)
 * warns nothing and throws nothing (the command that needs the cloud reports it itself); then the
 * explicit region (overrides, else `OS_REGION_NAME`) is still the answer when there is one.
 */
export function cloudRegionName(options: LoadCloudConfigOptions): string | undefined {
  try {
    return loadCloudConfig({ ...options, warn: () => undefined }).regionName;
  } catch {
    const env = options.env ?? process.env;
    return nonEmpty(options.overrides?.regionName) ?? nonEmpty(env.OS_REGION_NAME);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
