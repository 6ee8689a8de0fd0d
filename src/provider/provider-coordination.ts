/**
 * The provider's `coordination { ... }` block (and FORCEDOWN_ETCD_* variables, which override it
 * field by field) → src/coordination's settings, validated by the same schema runs use
 * (schemas/coordination.schema.json). No block and no FORCEDOWN_ETCD_ENDPOINTS: no coordination.
 */
import { ETCD_ENV, coordinationSettings, type CoordinationSettings } from '../coordination/index.js';
import { cloudRegionName } from '../openstack/config/cloud-region.js';
import type { LoadCloudConfigOptions } from '../openstack/openstack.interface.js';
import { diagnosticFromError, type Diagnostic } from './diagnostics.js';
import { isUnknown, type TfObject, type TfValue } from './unknown.js';

function objectOf(value: TfValue | undefined): TfObject | undefined {
  if (value === null || value === undefined || isUnknown(value) || typeof value !== 'object' || Array.isArray(value))
    return undefined;
  return value as TfObject;
}

/** The block's value in the coordination section's shape (unset fields left out). */
export function coordinationSection(block: TfObject): Record<string, unknown> {
  const known = (name: string): TfValue | undefined => {
    const value = block[name];
    return value === null || value === undefined || isUnknown(value) ? undefined : value;
  };
  const section: Record<string, unknown> = {};
  for (const [from, to] of [
    ['endpoints', 'endpoints'],
    ['prefix', 'prefix'],
    ['region', 'region'],
    ['lease_ttl', 'leaseTtl'],
    ['timeout', 'timeout'],
  ] as const) {
    const value = known(from);
    if (value !== undefined) section[to] = value;
  }
  const tls = Object.fromEntries(
    (['ca', 'cert', 'key'] as const).flatMap((key) => {
      const value = known(`${key}_file`);
      return value === undefined ? [] : [[key, value]];
    }),
  );
  if (Object.keys(tls).length > 0) section.tls = tls;
  const username = known('username');
  const passwordEnv = known('password_env');
  const passwordFile = known('password_file');
  const password =
    passwordFile !== undefined ? { file: passwordFile } : passwordEnv !== undefined ? { env: passwordEnv } : undefined;
  if (username !== undefined || password !== undefined)
    section.auth = { ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }) };
  return section;
}

/**
 * The coordination settings of a provider configuration, or a diagnostic saying what is wrong.
 * The default region of the keys is the cloud's, resolved from `cloud` (the provider's cloud
 * options) exactly as runs and watchers resolve it (`region`, else OS_REGION_NAME, else the
 * cloud's clouds.yaml `region_name`): a run and the provider then lock the same
 * `<prefix>/<region>/hosts/<host>`. The cloud configuration is read only when coordination is
 * configured, and one that does not load gives no region (never a configure error).
 */
export function providerCoordination(
  config: TfValue,
  env: Readonly<Record<string, string | undefined>>,
  cloud: LoadCloudConfigOptions,
): { settings: CoordinationSettings | undefined; diagnostics: Diagnostic[] } {
  const block = objectOf(objectOf(config)?.coordination);
  try {
    const configured = block !== undefined || (env[ETCD_ENV.endpoints]?.trim() ?? '') !== '';
    const cloudRegion = configured ? cloudRegionName({ env, ...cloud }) : undefined;
    const settings = coordinationSettings({
      ...(block === undefined ? {} : { section: coordinationSection(block), sectionFile: 'provider "forcedown"' }),
      env,
      cwd: process.cwd(),
      ...(cloudRegion === undefined ? {} : { cloudRegion }),
    });
    return { settings, diagnostics: [] };
  } catch (error) {
    return {
      settings: undefined,
      diagnostics: [diagnosticFromError('Invalid coordination configuration', error, ['coordination'])],
    };
  }
}
