/** `forcedown_compute_services` data source: validate and read. */
import type { ComputeApi } from '../../openstack/openstack.interface.js';
import { diagnosticFromError, errorDiagnostic, type Diagnostic } from '../diagnostics.js';
import { computeServiceElement, computeServicesDataSource, terraformName } from '../schema/index.js';
import { isUnknown, type TfObject, type TfValue } from '../unknown.js';
import type { DataSourceType, StateResult } from '../resource-type.js';

export const COMPUTE_SERVICES_TYPE = computeServicesDataSource.typeName;

function asObject(value: TfValue): TfObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !isUnknown(value)
    ? (value as TfObject)
    : {};
}

/** Checks the data source's configuration (all problems at once). */
export function validateComputeServicesConfig(configValue: TfValue): Diagnostic[] {
  const config = asObject(configValue);
  const diagnostics: Diagnostic[] = [];
  for (const name of ['host', 'binary']) {
    const value = config[name];
    if (typeof value === 'string' && value.trim() === '') {
      diagnostics.push(
        errorDiagnostic(`Empty ${name}`, `${name} is an empty string: remove it to list all, or give a value.`, [name]),
      );
    }
  }
  return diagnostics;
}

/** Lists the services (sorted by host) matching the filters. */
export async function readComputeServices(
  api: ComputeApi,
  configValue: TfValue,
  signal?: AbortSignal,
): Promise<StateResult> {
  const config = asObject(configValue);
  const host = typeof config.host === 'string' ? config.host : null;
  const binary =
    typeof config.binary === 'string' ? config.binary : computeServicesDataSource.attributes.binary.default;
  try {
    const services = await api.listServices(
      host === null ? { binary } : { host, binary },
      signal === undefined ? undefined : { signal },
    );
    const elements = services
      .filter((s) => s.binary === binary && (host === null || s.host === host))
      .sort((a, b) => a.host.localeCompare(b.host) || a.id.localeCompare(b.id))
      .map((s) => {
        const values: Record<string, TfValue> = {
          id: s.id,
          host: s.host,
          binary: s.binary,
          zone: s.zone,
          status: s.status,
          state: s.state,
          forcedDown: s.forcedDown,
          disabled: s.status === 'disabled',
          disabledReason: s.disabledReason,
          updatedAt: s.updatedAt,
        };
        return Object.fromEntries<TfValue>(
          Object.keys(computeServiceElement).map((key) => [terraformName(key), values[key] ?? null]),
        );
      });
    return { state: { id: `${binary}@${host ?? '*'}`, host, binary, services: elements }, diagnostics: [] };
  } catch (error) {
    return { state: null, diagnostics: [diagnosticFromError('Listing compute services failed', error)] };
  }
}

/** The data source as the server's table holds it. */
export const computeServicesType: DataSourceType = {
  schema: computeServicesDataSource,
  validate: validateComputeServicesConfig,
  read: readComputeServices,
};
