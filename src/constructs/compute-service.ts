import type { IResolvable, ImportableResource, TerraformMetaArguments, TerraformProvider } from 'cdktf';
import { cdk } from './cdk.js';
import type { Construct } from 'constructs';
import { validateComputeServiceConfig } from '../provider/resources/compute-service.js';
import type { computeServiceAttributes } from '../provider/schema/index.js';
import { PROVIDER_NAME, computeServiceResource } from '../provider/schema/index.js';
import { PROVIDER_VERSION } from './forcedown-provider.js';
import { propsAsTerraformValue, synthesizeProps, type PropsOf } from './schema-props.js';

/**
 * Props of {@link ComputeService}: the `forcedown_compute_service` arguments, camelCased, typed
 * from the provider's schema (the one definition; docs and defaults are the schema's).
 */
export interface ComputeServiceConfig extends TerraformMetaArguments, PropsOf<typeof computeServiceAttributes> {}

/** Services validated by an intent-level construct, which reports problems in its own words. */
const validatedByParent = new WeakSet<ComputeService>();

/** Marks `service` as validated by the construct that made it (no duplicate messages). */
export function markValidatedByParent(service: ComputeService): void {
  validatedByParent.add(service);
}

/**
 * L1 binding of `forcedown_compute_service`: the state of one nova-compute service.
 *
 * At synth it applies the provider's own validation rules to literal values (tokens are left to
 * plan time) and reports every problem at once, with the construct path.
 *
 * ```ts
 * new ComputeService(stack, 'cmp07', { host: 'cmp-07', forcedDown: true, fencedReason: 'INC-4711: BMC off', disabled: true });
 * ```
 */
export class ComputeService extends cdk.TerraformResource {
  /** The Terraform resource type. */
  public static readonly tfResourceType = computeServiceResource.typeName;

  /**
   * An import block for an existing service (Terraform >= 1.5): `importFromId` is the service's host
   * name or UUID. Terraform then generates (`-generate-config-out`) or matches configuration.
   */
  public static generateConfigForImport(
    scope: Construct,
    importToId: string,
    importFromId: string,
    provider?: TerraformProvider,
  ): ImportableResource {
    return new cdk.ImportableResource(scope, importToId, {
      terraformResourceType: ComputeService.tfResourceType,
      importId: importFromId,
      provider,
    });
  }

  /** The props as given. */
  public readonly config: ComputeServiceConfig;

  constructor(scope: Construct, id: string, config: ComputeServiceConfig) {
    super(scope, id, {
      terraformResourceType: ComputeService.tfResourceType,
      terraformGeneratorMetadata: { providerName: PROVIDER_NAME, providerVersionConstraint: `>= ${PROVIDER_VERSION}` },
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach,
    });
    this.config = config;
    this.node.addValidation({ validate: () => (validatedByParent.has(this) ? [] : this.#problems()) });
  }

  #problems(): string[] {
    const problems = validateComputeServiceConfig(propsAsTerraformValue(computeServiceResource, this.config))
      .filter((d) => d.severity === 'error')
      .map((d) => `ComputeService '${this.node.path}': ${d.summary}. ${d.detail}`);
    const duplicate = duplicateOf(this);
    if (duplicate !== undefined) {
      problems.push(
        `ComputeService '${this.node.path}': host "${this.config.host}" is also managed by '${duplicate.node.path}'. ` +
          'Declare each compute service once (with one provider), or the two resources will undo each other.',
      );
    }
    return problems;
  }

  /** The service UUID. */
  public get id(): string {
    return this.getStringAttribute('id');
  }
  /** `up` or `down`, as Nova reports it after apply. */
  public get state(): string {
    return this.getStringAttribute('state');
  }
  /** The host's availability zone. */
  public get zone(): string {
    return this.getStringAttribute('zone');
  }
  public get host(): string {
    return this.getStringAttribute('host');
  }
  public get binary(): string {
    return this.getStringAttribute('binary');
  }
  public get forcedDown(): IResolvable {
    return this.getBooleanAttribute('forced_down');
  }
  public get disabled(): IResolvable {
    return this.getBooleanAttribute('disabled');
  }
  public get disabledReason(): string {
    return this.getStringAttribute('disabled_reason');
  }
  public get fencedReason(): string {
    return this.getStringAttribute('fenced_reason');
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return synthesizeProps(computeServiceResource, this.config);
  }
}

/** An earlier ComputeService of the same stack and provider with the same literal host. */
function duplicateOf(service: ComputeService): ComputeService | undefined {
  const host = service.config.host;
  if (cdk.Token.isUnresolved(host)) return undefined;
  const all = cdk.TerraformStack.of(service)
    .node.findAll()
    .filter((c): c is ComputeService => c instanceof ComputeService);
  const index = all.indexOf(service);
  return all
    .slice(0, index)
    .find(
      (other) =>
        other.config.host === host &&
        other.config.provider === service.config.provider &&
        !cdk.Token.isUnresolved(other.config.host),
    );
}
