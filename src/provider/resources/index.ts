/**
 * The provider's table of resources and data sources: the one list a new resource joins. The
 * composition (serve.ts) hands it to the server; the server never imports a resource.
 */
import type { ProviderTable } from '../resource-type.js';
import { computeServiceType } from './compute-service.js';
import { computeServicesType } from './compute-services.data-source.js';

export const PROVIDER_TABLE: ProviderTable = {
  resources: [computeServiceType],
  dataSources: [computeServicesType],
};
