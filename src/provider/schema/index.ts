export {
  attributesOf,
  camelName,
  schemaProblems,
  terraformName,
  toSchemaMessage,
  typeJson,
  type AttributeSpec,
  type AttributeType,
  type BlockSpec,
  type ListOfObjectsType,
  type PrimitiveType,
} from './schema.js';
export {
  DISABLED_REASON_MAX,
  NOVA_COMPUTE,
  REASON_PREFIX,
  computeServiceAttributes,
  computeServiceResource,
} from './compute-service.schema.js';
export {
  computeServiceElement,
  computeServicesAttributes,
  computeServicesDataSource,
} from './compute-services.schema.js';
export { ENDPOINT_TYPES, PROVIDER_NAME, providerAttributes, providerSchema } from './provider.schema.js';
