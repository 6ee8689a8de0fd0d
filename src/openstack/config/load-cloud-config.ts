/**
 * `loadCloudConfig`: clouds.yaml + secure.yaml + OS_* variables → one {@link CloudConfig}, with
 * openstacksdk's precedence (openstack/config/loader.py):
 *
 * 1. The cloud: the `cloud` option (`--os-cloud`), else `OS_CLOUD`, else the `envvars` cloud when
 *    any defining `OS_*` variable is set (renamed by `OS_CLOUD_NAME`), else the only cloud of
 *    clouds.yaml. A cloud named in the files uses the files only (secure.yaml merged over
 *    clouds.yaml); the `envvars` cloud uses the environment only: credentials never mix between
 *    the two. The selector `OS_REGION_NAME` and `OS_COMPUTE_API_VERSION` also apply to a named cloud.
 * 2. Inside the cloud entry, openstacksdk's fixes (see ./settings.ts).
 * 3. `overrides` (Terraform provider arguments, CLI flags) win over everything.
 *
 * Then the auth method is checked the way keystoneauth's loaders check it, and every secret read
 * is registered with the process-wide secret registry.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { invalidInput } from '../../errors/index.js';
import { secrets } from '../../secrets/index.js';
import type {
  AuthType,
  CloudAuth,
  CloudConfig,
  EndpointInterface,
  LoadCloudConfigOptions,
} from '../openstack.interface.js';
import { deadlinesFrom } from './deadlines.js';
import { cloudFromEnvironment } from './env.js';
import { candidateFiles, isMapping, loadFirstFile, mergeDeep, type SearchLocations } from './files.js';
import { applyDomainDefaults, flattenCloud, toBoolean, type Settings } from './settings.js';

const AUTH_TYPES: Readonly<Record<string, AuthType>> = {
  password: 'password',
  v3password: 'password',
  v3applicationcredential: 'v3applicationcredential',
  applicationcredential: 'v3applicationcredential',
  application_credential: 'v3applicationcredential',
  token: 'token',
  v3token: 'token',
};

const CAMEL_TO_SNAKE: Readonly<Record<string, string>> = {
  authType: 'auth_type',
  regionName: 'region_name',
  interface: 'interface',
  cacert: 'cacert',
  verify: 'verify',
  computeApiVersion: 'compute_api_version',
  authUrl: 'auth_url',
  username: 'username',
  userId: 'user_id',
  password: 'password',
  userDomainName: 'user_domain_name',
  userDomainId: 'user_domain_id',
  projectName: 'project_name',
  projectId: 'project_id',
  projectDomainName: 'project_domain_name',
  projectDomainId: 'project_domain_id',
  domainName: 'domain_name',
  domainId: 'domain_id',
  applicationCredentialId: 'application_credential_id',
  applicationCredentialName: 'application_credential_name',
  applicationCredentialSecret: 'application_credential_secret',
  token: 'token',
};

/** At most 20 names, then how many more (a file may define thousands of clouds). */
export function someNames(names: readonly string[], max = 20): string {
  const shown = names.slice(0, max).map((name) => (name.length > 60 ? `${name.slice(0, 57)}...` : name));
  return names.length > max ? `${shown.join(', ')} and ${names.length - max} more` : shown.join(', ');
}

/** The default warning printer: one line on stderr. */
function defaultWarn(message: string): void {
  process.stderr.write(`forcedown: warning: ${message}\n`);
}

/**
 * Resolves the cloud to use from clouds.yaml, secure.yaml, the OS_* variables and `overrides`.
 *
 * @throws ForcedownError (exit 2) with a hint: no cloud found (names the files searched), unknown
 *   cloud (names the known ones), invalid or unreadable YAML (file and line), missing auth_url,
 *   username without a user domain, application credential without secret, contradictory auth.
 */
export function loadCloudConfig(options: LoadCloudConfigOptions = {}): CloudConfig {
  const env = options.env ?? process.env;
  const warn = options.warn ?? defaultWarn;
  const locations: SearchLocations = {
    cwd: options.cwd ?? process.cwd(),
    home: options.home ?? homedir(),
    etcDir: options.etcDir ?? '/etc/openstack',
    env,
  };
  const selected = selectCloud(options, locations, env);
  const { name, settings, sources } = applyOverrides(selected, options.overrides);
  return buildConfig(name, applyDomainDefaults(settings), sources, warn, env);
}

/** A cloud entry chosen, flattened, with where it came from. */
interface SelectedCloud {
  readonly name: string;
  readonly settings: Settings;
  readonly sources: string[];
}

/** Picks the cloud (see the order above) from the files and the OS_* variables. */
function selectCloud(
  options: LoadCloudConfigOptions,
  locations: SearchLocations,
  env: Readonly<Record<string, string | undefined>>,
): SelectedCloud {
  const cloudsFiles = candidateFiles('clouds', locations);
  const clouds = loadFirstFile(cloudsFiles);
  const secure = loadFirstFile(candidateFiles('secure', locations));
  let fileData: Record<string, unknown> = clouds?.data ?? {};
  if (secure) fileData = mergeDeep(fileData, secure.data);
  const fileClouds = isMapping(fileData.clouds) ? fileData.clouds : {};
  const fileSources = [clouds?.path, secure?.path].filter((p): p is string => p !== undefined);

  const envKey = env.OS_CLOUD_NAME || 'envvars';
  const envCloud = cloudFromEnvironment(env);
  if (envCloud && envKey in fileClouds) {
    throw invalidInput(
      'CLOUD_CONFIG_NAME_CLASH',
      `${clouds?.path ?? 'clouds.yaml'} defines a cloud named "${envKey}", and the OS_* variables define one with the same name`,
      'rename the file cloud, or set OS_CLOUD_NAME to another name for the environment cloud',
      { cloud: envKey },
    );
  }

  const requested = options.cloud || env.OS_CLOUD || undefined;
  const fileNames = Object.keys(fileClouds);
  const known = [...fileNames, ...(envCloud ? [envKey] : [])];
  if (requested !== undefined) {
    if (envCloud && requested === envKey) return fromEnvironment(envKey, envCloud, env);
    const entry = fileClouds[requested];
    if (!isMapping(entry)) {
      throw invalidInput(
        'CLOUD_CONFIG_UNKNOWN_CLOUD',
        `cloud "${requested}" was not found${fileSources.length ? ` in ${fileSources.join(', ')}` : ' (no clouds.yaml found)'}; known clouds: ${known.length ? someNames(known) : 'none'}`,
        known.length
          ? `use one of: ${someNames(known)} (--os-cloud / OS_CLOUD)`
          : `create a clouds.yaml in one of: ${cloudsFiles.join(', ')}`,
        { cloud: requested, known, searched: cloudsFiles },
      );
    }
    return fromFile(requested, entry, fileSources, env);
  }
  if (envCloud) return fromEnvironment(envKey, envCloud, env);
  if (fileNames.length === 1 && isMapping(fileClouds[fileNames[0]])) {
    const only = fileNames[0];
    return fromFile(only, fileClouds[only] as Record<string, unknown>, fileSources, env);
  }
  if (fileNames.length > 1) {
    throw invalidInput(
      'CLOUD_CONFIG_NO_CLOUD_SELECTED',
      `${fileSources.join(', ')} define several clouds (${someNames(fileNames)}) and none was selected`,
      'select one with --os-cloud NAME or OS_CLOUD=NAME',
      { known: fileNames },
    );
  }
  if (options.overrides?.auth?.authUrl !== undefined) return { name: 'overrides', settings: {}, sources: [] };
  throw invalidInput(
    'CLOUD_CONFIG_NOT_FOUND',
    `no OpenStack cloud configured: no clouds.yaml found (searched ${cloudsFiles.join(', ')}) and no OS_* credentials in the environment`,
    'create a clouds.yaml (and secure.yaml for secrets) in one of those places and select the cloud with --os-cloud/OS_CLOUD, or set OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME',
    { searched: cloudsFiles },
  );
}

/** `overrides` (Terraform provider arguments, CLI flags) over the cloud's settings. */
function applyOverrides(selected: SelectedCloud, overrides: LoadCloudConfigOptions['overrides']): SelectedCloud {
  if (!overrides) return selected;
  let { name, settings, sources } = selected;
  const flat: Settings = {};
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'auth' || key === 'cloudName') continue;
    const snake = CAMEL_TO_SNAKE[key];
    if (snake !== undefined && (typeof value === 'string' || typeof value === 'boolean')) flat[snake] = value;
  }
  for (const [key, value] of Object.entries(overrides.auth ?? {})) {
    const snake = CAMEL_TO_SNAKE[key];
    if (snake !== undefined && typeof value === 'string' && value !== '') flat[snake] = value;
  }
  if (Object.keys(flat).length > 0) {
    settings = { ...settings, ...flat };
    sources = [...sources, 'overrides'];
  }
  if (overrides.cloudName) name = overrides.cloudName;
  return { name, settings, sources };
}

function fromFile(
  name: string,
  entry: Record<string, unknown>,
  fileSources: string[],
  env: Readonly<Record<string, string | undefined>>,
): { name: string; settings: Settings; sources: string[] } {
  const where = `cloud "${name}" (${fileSources.join(', ')})`;
  const settings = flattenCloud(entry, where, env.OS_REGION_NAME || undefined);
  if (env.OS_COMPUTE_API_VERSION) settings.compute_api_version = env.OS_COMPUTE_API_VERSION;
  return { name, settings, sources: [...fileSources] };
}

function fromEnvironment(
  name: string,
  values: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
): { name: string; settings: Settings; sources: string[] } {
  const settings = flattenCloud(values, 'the OS_* environment variables', env.OS_REGION_NAME || undefined);
  return { name, settings, sources: ['environment'] };
}

function str(settings: Settings, key: string): string | undefined {
  const value = settings[key];
  if (value === undefined || value === '') return undefined;
  return typeof value === 'string' ? value : String(value);
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

function normalizeInterface(value: string | undefined, cloud: string): EndpointInterface {
  if (value === undefined) return 'public';
  const lower = value.toLowerCase().replace(/url$/, '');
  if (lower === 'public' || lower === 'internal' || lower === 'admin') return lower;
  throw invalidInput(
    'CLOUD_CONFIG_INVALID_INTERFACE',
    `cloud "${cloud}": interface "${value}" is not one of public, internal, admin`,
    'set interface (OS_INTERFACE) to public, internal or admin',
    { interface: value },
  );
}

function normalizeComputeVersion(value: string | undefined, cloud: string): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '' || v === '2' || v === '2.0' || v.toLowerCase() === 'latest' || v.toLowerCase() === '2.latest')
    return undefined;
  if (/^2\.\d+$/.test(v)) return v;
  throw invalidInput(
    'CLOUD_CONFIG_INVALID_MICROVERSION',
    `cloud "${cloud}": compute API version "${value}" is not a microversion like 2.53`,
    'set OS_COMPUTE_API_VERSION (or compute_api_version) to 2.N, or unset it to let forcedown negotiate',
    { computeApiVersion: value },
  );
}

function resolveAuthType(s: Settings, cloud: string, warn: (message: string) => void): AuthType {
  const raw = str(s, 'auth_type');
  const hasPassword = str(s, 'password') !== undefined;
  const hasAppCred =
    str(s, 'application_credential_secret') !== undefined ||
    str(s, 'application_credential_id') !== undefined ||
    str(s, 'application_credential_name') !== undefined;
  const hasToken = str(s, 'token') !== undefined;
  if (raw === undefined) {
    if (hasPassword && hasAppCred) {
      throw invalidInput(
        'CLOUD_CONFIG_AMBIGUOUS_AUTH',
        `cloud "${cloud}" has both a password and an application credential and no auth_type`,
        'set auth_type: password or auth_type: v3applicationcredential (OS_AUTH_TYPE), or remove the credential you do not want used',
        {},
      );
    }
    if (hasAppCred) return 'v3applicationcredential';
    if (hasToken && !hasPassword) return 'token';
    return 'password';
  }
  const type = AUTH_TYPES[raw.toLowerCase()];
  if (type === undefined) {
    throw invalidInput(
      'CLOUD_CONFIG_UNSUPPORTED_AUTH_TYPE',
      `cloud "${cloud}": auth_type "${raw}" is not supported by forcedown`,
      'use auth_type password, v3applicationcredential or token (Keystone v3)',
      { authType: raw },
    );
  }
  if (type === 'password' && hasAppCred) {
    if (!hasPassword) {
      throw invalidInput(
        'CLOUD_CONFIG_CONTRADICTORY_AUTH',
        `cloud "${cloud}" sets auth_type ${raw} but gives an application credential and no password`,
        'set auth_type: v3applicationcredential (OS_AUTH_TYPE) to use the application credential, or give a password',
        {},
      );
    }
    warn(`cloud "${cloud}": auth_type is ${raw}; the application credential settings are ignored`);
  }
  if (type === 'v3applicationcredential' && hasPassword) {
    if (!hasAppCred) {
      throw invalidInput(
        'CLOUD_CONFIG_CONTRADICTORY_AUTH',
        `cloud "${cloud}" sets auth_type ${raw} but gives a password and no application credential`,
        'set auth_type: password (OS_AUTH_TYPE) to use the password, or give application_credential_id and application_credential_secret',
        {},
      );
    }
    warn(`cloud "${cloud}": auth_type is ${raw}; the password is ignored`);
  }
  if (type === 'token' && hasPassword) warn(`cloud "${cloud}": auth_type is ${raw}; the password is ignored`);
  return type;
}

function buildConfig(
  name: string,
  s: Settings,
  sources: string[],
  warn: (message: string) => void,
  env: Readonly<Record<string, string | undefined>>,
): CloudConfig {
  for (const key of ['password', 'application_credential_secret', 'token']) secrets.add(str(s, key));
  const where = `cloud "${name}"${sources.length ? ` (${sources.join(', ')})` : ''}`;
  const authUrl = requireAuthUrl(s, name, where);
  const authType = resolveAuthType(s, name, warn);
  const auth = buildAuth(authType, authUrl, s, name, where, warn);
  const { verify, cacert } = tlsSettings(s, where, warn);
  const regionName = str(s, 'region_name');
  const computeApiVersion = normalizeComputeVersion(str(s, 'compute_api_version'), name);
  const deadlines = deadlinesFrom(str(s, 'api_timeout'), env, where);
  return {
    cloudName: name,
    authType,
    auth,
    ...(regionName === undefined ? {} : { regionName }),
    interface: normalizeInterface(str(s, 'interface'), name),
    ...(cacert === undefined || !verify ? {} : { cacert: expandHome(cacert) }),
    verify,
    ...(computeApiVersion === undefined ? {} : { computeApiVersion }),
    ...(Object.keys(deadlines).length === 0 ? {} : { deadlines }),
    sources,
  };
}

/** The auth_url, which must be an http(s) URL. */
function requireAuthUrl(s: Settings, name: string, where: string): string {
  const authUrl = str(s, 'auth_url');
  if (authUrl === undefined) {
    throw invalidInput(
      'CLOUD_CONFIG_MISSING_AUTH_URL',
      `${where} has no auth_url`,
      'set auth: {auth_url: https://keystone.example:5000/v3} in clouds.yaml, or OS_AUTH_URL',
      { cloud: name },
    );
  }
  let parsedAuthUrl: URL | undefined;
  try {
    parsedAuthUrl = new URL(authUrl);
  } catch {
    parsedAuthUrl = undefined;
  }
  if (parsedAuthUrl === undefined || (parsedAuthUrl.protocol !== 'https:' && parsedAuthUrl.protocol !== 'http:')) {
    throw invalidInput(
      'CLOUD_CONFIG_INVALID_AUTH_URL',
      `${where}: auth_url ${JSON.stringify(authUrl.length > 80 ? `${authUrl.slice(0, 77)}...` : authUrl)} is not an http:// or https:// URL`,
      'set auth: {auth_url: https://keystone.example:5000/v3} in clouds.yaml, or OS_AUTH_URL',
      { cloud: name },
    );
  }
  return authUrl;
}

const SCOPE_KEYS = [
  'project_name',
  'project_id',
  'project_domain_name',
  'project_domain_id',
  'domain_name',
  'domain_id',
] as const;
const USER_KEYS = ['username', 'user_id', 'user_domain_name', 'user_domain_id'] as const;

/** The credentials and scope of the auth method, checked the way keystoneauth's loaders check them. */
function buildAuth(
  authType: AuthType,
  authUrl: string,
  s: Settings,
  name: string,
  where: string,
  warn: (message: string) => void,
): CloudAuth {
  const pick = (keys: readonly string[]): Partial<CloudAuth> => {
    const out: Record<string, string> = {};
    for (const key of keys) {
      const value = str(s, key);
      if (value !== undefined) out[key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())] = value;
    }
    return out;
  };
  if (authType === 'password') {
    checkPasswordAuth(s, name, where);
    return { authUrl, ...pick([...USER_KEYS, 'password', ...SCOPE_KEYS]) };
  }
  if (authType === 'v3applicationcredential') {
    checkApplicationCredential(s, name, where, warn);
    return {
      authUrl,
      ...pick([
        'application_credential_id',
        'application_credential_name',
        'application_credential_secret',
        ...USER_KEYS,
      ]),
    };
  }
  if (str(s, 'token') === undefined) {
    throw invalidInput(
      'CLOUD_CONFIG_MISSING_TOKEN',
      `${where} uses token auth but gives no token`,
      'set auth.token or OS_TOKEN',
      { cloud: name },
    );
  }
  requireScope(s, where);
  return { authUrl, ...pick(['token', ...SCOPE_KEYS]) };
}

function checkPasswordAuth(s: Settings, name: string, where: string): void {
  if (str(s, 'username') === undefined && str(s, 'user_id') === undefined) {
    throw invalidInput(
      'CLOUD_CONFIG_MISSING_USER',
      `${where} uses password auth but gives no username or user_id`,
      'set auth.username (OS_USERNAME) or auth.user_id (OS_USER_ID)',
      { cloud: name },
    );
  }
  requireUserDomain(s, where);
  if (str(s, 'password') === undefined) {
    throw invalidInput(
      'CLOUD_CONFIG_MISSING_PASSWORD',
      `${where} uses password auth but gives no password`,
      'put the password in secure.yaml (clouds: NAME: auth: password: ...) or OS_PASSWORD; never on the command line',
      { cloud: name },
    );
  }
  requireScope(s, where);
}

function checkApplicationCredential(s: Settings, name: string, where: string, warn: (message: string) => void): void {
  if (str(s, 'application_credential_secret') === undefined) {
    throw invalidInput(
      'CLOUD_CONFIG_MISSING_APP_CREDENTIAL_SECRET',
      `${where}: You must provide an auth secret (application_credential_secret).`,
      'put application_credential_secret in secure.yaml or OS_APPLICATION_CREDENTIAL_SECRET',
      { cloud: name },
    );
  }
  if (str(s, 'application_credential_id') === undefined) {
    if (
      str(s, 'application_credential_name') === undefined ||
      (str(s, 'username') === undefined && str(s, 'user_id') === undefined)
    ) {
      throw invalidInput(
        'CLOUD_CONFIG_MISSING_APP_CREDENTIAL',
        `${where}: You must provide either an application credential ID or an application credential name and user.`,
        'set application_credential_id (OS_APPLICATION_CREDENTIAL_ID), or application_credential_name with username/user_id',
        { cloud: name },
      );
    }
    requireUserDomain(s, where);
  }
  if (['project_name', 'project_id', 'domain_name', 'domain_id'].some((k) => str(s, k) !== undefined)) {
    warn(`${where}: an application credential carries its own scope; the project/domain settings are ignored`);
  }
}

/** TLS verification and the CA bundle (`verify` may also be a CA bundle path, as in requests). */
function tlsSettings(
  s: Settings,
  where: string,
  warn: (message: string) => void,
): { verify: boolean; cacert: string | undefined } {
  const insecure = toBoolean(s.insecure) ?? false;
  let verify = true;
  let cacert = str(s, 'cacert');
  const rawVerify = s.verify;
  if (
    typeof rawVerify === 'string' &&
    !['true', 'false', 'yes', 'no', '1', '0', 'on', 'off'].includes(rawVerify.toLowerCase())
  ) {
    // requests semantics: verify may be the path of a CA bundle
    cacert ??= rawVerify;
  } else if (rawVerify !== undefined) {
    verify = toBoolean(rawVerify) ?? true;
  }
  if (insecure) verify = false;
  if (!verify && cacert !== undefined) {
    warn(
      `${where}: both insecure/verify=false and cacert are set; TLS certificates will NOT be verified and cacert is ignored`,
    );
  }
  return { verify, cacert };
}

function requireUserDomain(s: Settings, where: string): void {
  if (
    str(s, 'username') !== undefined &&
    str(s, 'user_id') === undefined &&
    str(s, 'user_domain_name') === undefined &&
    str(s, 'user_domain_id') === undefined
  ) {
    throw invalidInput(
      'CLOUD_CONFIG_MISSING_USER_DOMAIN',
      `${where}: You have provided a username. In the V3 identity API a username is only unique within a domain so you must also provide either a user_domain_id or user_domain_name.`,
      'set auth.user_domain_name (OS_USER_DOMAIN_NAME, e.g. Default) or auth.user_domain_id',
      {},
    );
  }
}

function requireScope(s: Settings, where: string): void {
  const project = str(s, 'project_id') !== undefined || str(s, 'project_name') !== undefined;
  const domain = str(s, 'domain_id') !== undefined || str(s, 'domain_name') !== undefined;
  if (!project && !domain) {
    throw invalidInput(
      'CLOUD_CONFIG_MISSING_SCOPE',
      `${where} has no project or domain to scope the token to (an unscoped token has no service catalog)`,
      'set auth.project_name + auth.project_domain_name (OS_PROJECT_NAME, OS_PROJECT_DOMAIN_NAME), or auth.project_id (OS_PROJECT_ID)',
      {},
    );
  }
  if (
    str(s, 'project_id') === undefined &&
    str(s, 'project_name') !== undefined &&
    str(s, 'project_domain_name') === undefined &&
    str(s, 'project_domain_id') === undefined
  ) {
    throw invalidInput(
      'CLOUD_CONFIG_MISSING_PROJECT_DOMAIN',
      `${where}: a project name is only unique within a domain; no project_domain_name or project_domain_id given`,
      'set auth.project_domain_name (OS_PROJECT_DOMAIN_NAME, e.g. Default) or auth.project_domain_id, or use project_id',
      {},
    );
  }
}
