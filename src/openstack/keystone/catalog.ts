/** Picking an endpoint from a Keystone v3 service catalog. */
import { invalidInput } from '../../errors/index.js';
import type { EndpointInterface } from '../openstack.interface.js';

/** One endpoint of a catalog entry. */
export interface CatalogEndpoint {
  readonly id?: string;
  readonly interface: string;
  readonly region?: string | null;
  readonly region_id?: string | null;
  readonly url: string;
}

/** One service of the catalog. */
export interface CatalogEntry {
  readonly type: string;
  readonly name?: string;
  readonly id?: string;
  readonly endpoints: readonly CatalogEndpoint[];
}

/** What to look for. */
export interface EndpointQuery {
  /** `compute`, `image`... */
  readonly serviceType: string;
  readonly interface: EndpointInterface;
  /** Region; @defaultValue the only region offering the service, else an error listing them */
  readonly region?: string;
}

function regionOf(endpoint: CatalogEndpoint): string {
  return endpoint.region_id ?? endpoint.region ?? '';
}

/** A summary of the catalog for error messages: `compute (public@RegionOne, internal@RegionOne), image (...)`. */
export function describeCatalog(catalog: readonly CatalogEntry[]): string {
  if (catalog.length === 0) return 'an empty catalog';
  return catalog
    .map((entry) => `${entry.type} (${entry.endpoints.map((e) => `${e.interface}@${regionOf(e) || '-'}`).join(', ')})`)
    .join(', ');
}

/**
 * The endpoint URL of `serviceType` for the interface and region.
 * @throws ForcedownError (exit 2) saying what the catalog offers instead.
 */
export function selectEndpoint(catalog: readonly CatalogEntry[], query: EndpointQuery): string {
  const services = catalog.filter((entry) => entry.type === query.serviceType);
  if (services.length === 0) {
    throw invalidInput(
      'OPENSTACK_CATALOG_NO_SERVICE',
      `the service catalog has no "${query.serviceType}" service; it has ${describeCatalog(catalog)}`,
      `check that the token's project can see ${query.serviceType} (catalog entries are per project/region) and that the cloud entry points at the right Keystone`,
      { serviceType: query.serviceType, catalog: describeCatalog(catalog) },
    );
  }
  const endpoints = services.flatMap((s) => s.endpoints);
  const byInterface = endpoints.filter((e) => e.interface === query.interface);
  const regions = [...new Set(byInterface.map(regionOf))];
  let chosen: CatalogEndpoint[];
  if (query.region !== undefined && query.region !== '') {
    chosen = byInterface.filter((e) => regionOf(e) === query.region || e.region === query.region);
  } else if (regions.length > 1) {
    throw invalidInput(
      'OPENSTACK_CATALOG_AMBIGUOUS_REGION',
      `the "${query.serviceType}" service has ${query.interface} endpoints in several regions (${regions.join(', ')}) and no region was given`,
      'set region_name in the cloud entry, or OS_REGION_NAME',
      { serviceType: query.serviceType, regions },
    );
  } else {
    chosen = byInterface;
  }
  const first = chosen[0];
  if (first === undefined) {
    const offered = endpoints.map((e) => `${e.interface}@${regionOf(e) || '-'}`).join(', ');
    throw invalidInput(
      'OPENSTACK_CATALOG_NO_ENDPOINT',
      `the "${query.serviceType}" service has no ${query.interface} endpoint${query.region ? ` in region ${query.region}` : ''}; it offers ${offered || 'none'}`,
      'set interface (OS_INTERFACE: public, internal, admin) and region_name (OS_REGION_NAME) to one the catalog offers',
      { serviceType: query.serviceType, interface: query.interface, region: query.region, offered },
    );
  }
  return first.url;
}
