import { cdk } from './cdk.js';
import { readFileSync } from 'node:fs';
import type { Construct } from 'constructs';
import { PROVIDER_SOURCE } from '../provider/address.js';
import type { providerAttributes } from '../provider/schema/index.js';
import { PROVIDER_NAME, providerSchema } from '../provider/schema/index.js';
import { synthesizeProps, type PropsOf } from './schema-props.js';

/** The provider version these constructs are made for (forcedown's package version). */
export const PROVIDER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * Arguments of the `forcedown` provider: terraform-provider-openstack's names, camelCased. Every
 * one is optional; unset ones come from `OS_*` variables and clouds.yaml/secure.yaml.
 */
export interface ForcedownProviderConfig extends PropsOf<typeof providerAttributes> {
  /** Alias, for several clouds in one stack. @default no alias */
  readonly alias?: string;
}

const SECRET_PROPS = ['password', 'token', 'applicationCredentialSecret'] as const;

/**
 * The `forcedown` provider (source `registry.forcedown.dev/forcedown/forcedown`).
 *
 * ```ts
 * new ForcedownProvider(stack, 'forcedown', { cloud: 'prod' });
 * ```
 *
 * Secrets given as plain strings end up in `cdk.tf.json`: pass credentials through `OS_*`
 * variables or secure.yaml instead (a synth warning says so).
 */
export class ForcedownProvider extends cdk.TerraformProvider {
  /** The provider type (`provider "forcedown"`). */
  public static readonly tfResourceType = PROVIDER_NAME;
  /** The source address in `required_providers`. */
  public static readonly source = PROVIDER_SOURCE;

  readonly #config: ForcedownProviderConfig;

  constructor(scope: Construct, id: string, config: ForcedownProviderConfig = {}) {
    super(scope, id, {
      terraformResourceType: PROVIDER_NAME,
      terraformGeneratorMetadata: { providerName: PROVIDER_NAME, providerVersionConstraint: `>= ${PROVIDER_VERSION}` },
      terraformProviderSource: PROVIDER_SOURCE,
    });
    this.#config = config;
    this.alias = config.alias;
    const literal = SECRET_PROPS.filter(
      (key) => typeof config[key] === 'string' && !cdk.Token.isUnresolved(config[key]),
    );
    if (literal.length > 0) {
      cdk.Annotations.of(this).addWarning(
        `ForcedownProvider '${id}': ${literal.join(', ')} given as plain text will be written to cdk.tf.json. ` +
          'Leave them unset and provide OS_PASSWORD / OS_TOKEN / OS_APPLICATION_CREDENTIAL_SECRET in the environment, or secure.yaml.',
      );
    }
  }

  private _alias?: string;

  /** The configured alias, if any (synthesized as the provider block's `alias`). */
  public override get alias(): string | undefined {
    return this._alias;
  }
  public override set alias(value: string | undefined) {
    this._alias = value;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return synthesizeProps(providerSchema, this.#config);
  }
}
