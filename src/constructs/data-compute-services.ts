import type { IResolvable, TerraformMetaArguments } from 'cdktf';
import { cdk } from './cdk.js';
import type { Construct } from 'constructs';
import type { computeServicesAttributes } from '../provider/schema/index.js';
import { PROVIDER_NAME, computeServicesDataSource } from '../provider/schema/index.js';
import { PROVIDER_VERSION } from './forcedown-provider.js';
import { synthesizeProps, type PropsOf } from './schema-props.js';

/** Props of {@link DataComputeServices} (filters), typed from the provider's schema. */
export interface DataComputeServicesConfig extends TerraformMetaArguments, PropsOf<typeof computeServicesAttributes> {}

/**
 * L1 binding of the `forcedown_compute_services` data source: Nova's compute services with their
 * state, for outputs and checks (`services[*].forced_down`, `.state`...).
 */
export class DataComputeServices extends cdk.TerraformDataSource {
  /** The Terraform data source type. */
  public static readonly tfResourceType = computeServicesDataSource.typeName;

  public readonly config: DataComputeServicesConfig;

  constructor(scope: Construct, id: string, config: DataComputeServicesConfig = {}) {
    super(scope, id, {
      terraformResourceType: DataComputeServices.tfResourceType,
      terraformGeneratorMetadata: { providerName: PROVIDER_NAME, providerVersionConstraint: `>= ${PROVIDER_VERSION}` },
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      forEach: config.forEach,
    });
    this.config = config;
  }

  /** `<binary>@<host>` or `<binary>@*`. */
  public get id(): string {
    return this.getStringAttribute('id');
  }
  /** The services: a list of objects (id, host, binary, zone, status, state, forced_down, disabled, disabled_reason, updated_at). */
  public get services(): IResolvable {
    return this.interpolationForAttribute('services');
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return synthesizeProps(computeServicesDataSource, this.config);
  }
}
