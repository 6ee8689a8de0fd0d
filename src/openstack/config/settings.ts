/**
 * One cloud entry (from clouds.yaml, secure.yaml or OS_* variables) flattened into a single map of
 * snake_case settings, with openstacksdk's "magic fixes" applied:
 * - `-` in keys becomes `_`; numbers become strings;
 * - `auth_plugin` is an old name of `auth_type`; `*endpoint_type` of `interface`;
 * - `tenant_id`/`tenant_name` are `project_id`/`project_name`, `auth_token` is `token`;
 * - for project/domain/token keys a value outside `auth:` wins over one inside it (CLI/env
 *   overrides, openstacksdk story 2010784); for the other auth options the `auth:` value wins;
 * - with a project scope, `domain_id`/`domain_name` fill in the user and project domains; without
 *   one, they are the domain scope.
 */
import { invalidInput } from '../../errors/index.js';
import { isMapping } from './files.js';

/** A flattened, normalised cloud entry. Keys are openstacksdk's names. */
export type Settings = Record<string, string | boolean | undefined>;

/** Auth keys where the `auth:` section's value wins over a top-level one. */
const AUTH_WINS = [
  'auth_url',
  'username',
  'user_id',
  'password',
  'application_credential_id',
  'application_credential_name',
  'application_credential_secret',
] as const;

/** Auth keys where a top-level value wins, with their old names (first is the canonical name). */
const TOP_WINS: Readonly<Record<string, readonly string[]>> = {
  domain_id: ['domain_id'],
  domain_name: ['domain_name'],
  user_domain_id: ['user_domain_id'],
  user_domain_name: ['user_domain_name'],
  project_domain_id: ['project_domain_id'],
  project_domain_name: ['project_domain_name'],
  token: ['auth_token', 'token'],
  project_id: ['tenant_id', 'project_id'],
  project_name: ['tenant_name', 'project_name'],
};

/** Every auth key a Settings map can hold. */
export const AUTH_KEYS: readonly string[] = [...AUTH_WINS, ...Object.keys(TOP_WINS)];

function normalizeKeys(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const name = key.replace(/-/g, '_');
    if (isMapping(item)) out[name] = normalizeKeys(item);
    else if (typeof item === 'number' || typeof item === 'bigint') out[name] = String(item);
    else out[name] = item;
  }
  return out;
}

function scalar(value: unknown, where: string, key: string): string | boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  throw invalidInput(
    'CLOUD_CONFIG_INVALID',
    `${where}: "${key}" must be a single value, not ${Array.isArray(value) ? 'a list' : 'a mapping'}`,
    `write ${key}: VALUE`,
    { key },
  );
}

/** openstacksdk's get_boolean: true, or the string "true" in any case. */
export function toBoolean(value: string | boolean | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value;
  const lower = value.toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(lower)) return true;
  if (['false', 'no', '0', 'off'].includes(lower)) return false;
  return false;
}

/** A region entry of `regions:`. */
interface Region {
  readonly name: string;
  readonly values: Record<string, unknown>;
}

function regionsOf(cloud: Record<string, unknown>, where: string): Region[] {
  const list = cloud.regions;
  if (Array.isArray(list)) {
    return list.map((entry: unknown) => {
      if (typeof entry === 'string') return { name: entry, values: {} };
      if (
        isMapping(entry) &&
        typeof entry.name === 'string' &&
        Object.keys(entry).every((k) => k === 'name' || k === 'values')
      ) {
        return { name: entry.name, values: isMapping(entry.values) ? normalizeKeys(entry.values) : {} };
      }
      throw invalidInput(
        'CLOUD_CONFIG_INVALID',
        `${where}: invalid region entry ${JSON.stringify(entry)}`,
        'a region is a name, or {name: NAME, values: {...}}',
        {},
      );
    });
  }
  const name = cloud.region_name;
  if (Array.isArray(name)) return name.map((n) => ({ name: String(n), values: {} }));
  if (typeof name === 'string' && name !== '') return name.split(',').map((n) => ({ name: n.trim(), values: {} }));
  return [];
}

/**
 * Flattens one cloud entry. `regionName` selects among its `regions:` (an error lists the valid
 * names when it is not one of them); without it the first region is used.
 */
export function flattenCloud(entry: Record<string, unknown>, where: string, regionName: string | undefined): Settings {
  let cloud = normalizeKeys(entry);
  const regions = regionsOf(cloud, where);
  let region: Region | undefined;
  if (regions.length > 0) {
    region = regionName === undefined || regionName === '' ? regions[0] : regions.find((r) => r.name === regionName);
    if (region === undefined) {
      throw invalidInput(
        'CLOUD_CONFIG_UNKNOWN_REGION',
        `region ${regionName ?? ''} is not a valid region of ${where}; valid regions: ${regions
          .slice(0, 20)
          .map((r) => r.name)
          .join(', ')}${regions.length > 20 ? ` and ${regions.length - 20} more` : ''}`,
        'use one of those names (they are case sensitive) in OS_REGION_NAME / region_name',
        { regions: regions.map((r) => r.name) },
      );
    }
    const { auth: regionAuth, ...rest } = region.values;
    cloud = {
      ...cloud,
      ...rest,
      auth: { ...(isMapping(cloud.auth) ? cloud.auth : {}), ...(isMapping(regionAuth) ? regionAuth : {}) },
    };
  }
  const auth = isMapping(cloud.auth) ? cloud.auth : {};
  const out: Settings = {};
  for (const [key, value] of Object.entries(cloud)) {
    if (key === 'auth' || key === 'regions' || isMapping(value) || Array.isArray(value)) continue;
    out[key] = scalar(value, where, key);
  }
  out.region_name = region?.name ?? (regionName || (typeof out.region_name === 'string' ? out.region_name : undefined));
  // auth_plugin is the old name of auth_type; auth_type wins
  out.auth_type = out.auth_type ?? out.auth_plugin;
  delete out.auth_plugin;
  // endpoint_type is the old name of interface
  if (out.interface === undefined && out.endpoint_type !== undefined) out.interface = out.endpoint_type;
  delete out.endpoint_type;
  for (const key of AUTH_WINS) {
    out[key] = scalar(auth[key], where, `auth.${key}`) ?? out[key];
  }
  for (const [target, names] of Object.entries(TOP_WINS)) {
    let value: string | boolean | undefined;
    for (const name of names) {
      value = scalar(auth[name], where, `auth.${name}`) ?? value;
    }
    for (const name of names) {
      value = out[name] ?? value;
      if (name !== target) delete out[name];
    }
    out[target] = value;
  }
  return out;
}

/** openstacksdk's `_handle_domain_id`: `domain_*` fill the user/project domains of a project-scoped cloud. */
export function applyDomainDefaults(settings: Settings): Settings {
  const out = { ...settings };
  const projectScoped = out.project_id !== undefined || out.project_name !== undefined;
  if (!projectScoped) return out;
  for (const [target, keys] of [
    ['domain_id', ['user_domain_id', 'project_domain_id']],
    ['domain_name', ['user_domain_name', 'project_domain_name']],
  ] as const) {
    const value = out[target];
    if (value !== undefined) {
      for (const key of keys) out[key] ??= value;
    }
    delete out[target];
  }
  return out;
}
