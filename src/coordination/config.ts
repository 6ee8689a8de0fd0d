import { isAbsolute, resolve } from 'node:path';
import { invalidInput } from '../errors/index.js';
import type { Coordination } from '../generated/coordination.types.js';
import { validateAgainst } from '../validation/index.js';

/** The environment variables that configure coordination (they override a file's section). */
export const ETCD_ENV = {
  endpoints: 'FORCEDOWN_ETCD_ENDPOINTS',
  prefix: 'FORCEDOWN_ETCD_PREFIX',
  region: 'FORCEDOWN_ETCD_REGION',
  leaseTtl: 'FORCEDOWN_ETCD_LEASE_TTL',
  timeout: 'FORCEDOWN_ETCD_TIMEOUT',
  ca: 'FORCEDOWN_ETCD_CACERT',
  cert: 'FORCEDOWN_ETCD_CERT',
  key: 'FORCEDOWN_ETCD_KEY',
  username: 'FORCEDOWN_ETCD_USER',
  password: 'FORCEDOWN_ETCD_PASSWORD',
  passwordFile: 'FORCEDOWN_ETCD_PASSWORD_FILE',
} as const;

export const DEFAULT_PREFIX = '/forcedown';
export const DEFAULT_REGION = 'default';
export const DEFAULT_LEASE_TTL_SECONDS = 10;
export const DEFAULT_TIMEOUT_SECONDS = 5;
/** Most endpoints a configuration may list (a cluster has 3, 5 or 7 members). */
export const MAX_ENDPOINTS = 16;

/** Where a coordination configuration may come from; the later ones override the earlier. */
export interface CoordinationSources {
  /** The `coordination` section of a file (runbook, watch.json), not validated yet. */
  readonly section?: unknown;
  /** That file: named in errors; relative TLS/password paths are relative to its directory. */
  readonly sectionFile?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The value of `--etcd` (comma-separated endpoint URLs). */
  readonly flag?: string;
  /** The OpenStack cloud's region: the default region name in the keys. */
  readonly cloudRegion?: string;
  /** Base of relative paths that come from the environment. */
  readonly cwd: string;
}

/** A validated coordination configuration, before its files are read (no secrets in it). */
export interface CoordinationSettings {
  readonly endpoints: readonly string[];
  readonly prefix: string;
  readonly region: string;
  readonly leaseTtlSeconds: number;
  readonly timeoutMs: number;
  /** Absolute paths. */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  readonly auth?: {
    readonly username: string;
    readonly password: { readonly env: string } | { readonly file: string };
  };
  /** Where each field came from (`--etcd`, `FORCEDOWN_ETCD_PREFIX`, `watch.json: coordination.prefix`). */
  readonly origins: Readonly<Record<string, string>>;
}

/**
 * Parses a `--etcd` value: comma-separated etcd client URLs
 * (`https://etcd1:2379,https://etcd2:2379`). Spaces around the commas are ignored. An input error
 * (exit 2) for an empty list; each URL is then checked like any endpoint.
 */
export function parseEndpointList(value: string, origin: string): string[] {
  const endpoints = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (endpoints.length === 0) {
    throw invalidInput(
      'COORDINATION_INVALID',
      `${origin} names no etcd endpoint`,
      `give the etcd client URLs, comma-separated: ${origin}=https://etcd1:2379,https://etcd2:2379,https://etcd3:2379`,
      { origin },
    );
  }
  return endpoints.map((endpoint) => endpoint.replace(/\/$/, ''));
}

type Draft = Record<string, unknown> & { tls?: Record<string, unknown>; auth?: Record<string, unknown> };

function sectionDraft(sources: CoordinationSources, origins: Record<string, string>): Draft {
  const { section, sectionFile } = sources;
  if (section === undefined) return {};
  const where = sectionFile === undefined ? 'coordination' : `${sectionFile}: coordination`;
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw invalidInput('COORDINATION_INVALID', `${where} must be an object`, 'see README "Coordination (etcd)"', {
      where,
    });
  }
  const draft = structuredClone(section) as Draft;
  for (const key of Object.keys(draft)) origins[key] = `${where}.${key}`;
  const base = sectionFile === undefined ? sources.cwd : resolve(sources.cwd, sectionFile, '..');
  for (const key of ['ca', 'cert', 'key'] as const) {
    const file = draft.tls?.[key];
    if (typeof file === 'string' && file !== '' && !isAbsolute(file))
      draft.tls = { ...draft.tls, [key]: resolve(base, file) };
  }
  const password = draft.auth?.password as Record<string, unknown> | undefined;
  if (typeof password?.file === 'string' && password.file !== '' && !isAbsolute(password.file))
    draft.auth = { ...draft.auth, password: { file: resolve(base, password.file) } };
  return draft;
}

function envNumber(value: string, name: string): number | string {
  return /^\s*[0-9]+(\.[0-9]+)?\s*$/.test(value) ? Number(value) : `${name}=${value}`;
}

function applyEnv(draft: Draft, sources: CoordinationSources, origins: Record<string, string>): void {
  const env = (name: string): string | undefined => {
    const value = sources.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const set = (key: string, value: unknown, origin: string): void => {
    draft[key] = value;
    origins[key] = origin;
  };
  const endpoints = env(ETCD_ENV.endpoints);
  if (endpoints !== undefined) set('endpoints', parseEndpointList(endpoints, ETCD_ENV.endpoints), ETCD_ENV.endpoints);
  if (sources.flag !== undefined) set('endpoints', parseEndpointList(sources.flag, '--etcd'), '--etcd');
  for (const key of ['prefix', 'region'] as const) {
    const value = env(ETCD_ENV[key]);
    if (value !== undefined) set(key, value, ETCD_ENV[key]);
  }
  for (const key of ['leaseTtl', 'timeout'] as const) {
    const value = env(ETCD_ENV[key]);
    if (value !== undefined) set(key, envNumber(value, ETCD_ENV[key]), ETCD_ENV[key]);
  }
  for (const key of ['ca', 'cert', 'key'] as const) {
    const value = env(ETCD_ENV[key]);
    if (value === undefined) continue;
    draft.tls = { ...draft.tls, [key]: resolve(sources.cwd, value) };
    origins.tls = ETCD_ENV[key];
  }
  applyEnvAuth(draft, env, origins, sources.cwd);
}

function applyEnvAuth(
  draft: Draft,
  env: (name: string) => string | undefined,
  origins: Record<string, string>,
  cwd: string,
): void {
  const username = env(ETCD_ENV.username);
  const passwordFile = env(ETCD_ENV.passwordFile);
  // the password itself stays in the environment: the settings only name the variable
  const password = env(ETCD_ENV.password) === undefined ? undefined : { env: ETCD_ENV.password };
  const source = passwordFile === undefined ? password : { file: resolve(cwd, passwordFile) };
  if (username === undefined && source === undefined) return;
  draft.auth = {
    ...draft.auth,
    ...(username === undefined ? {} : { username }),
    ...(source === undefined ? {} : { password: source }),
  };
  origins.auth = [username && ETCD_ENV.username, source && (passwordFile ? ETCD_ENV.passwordFile : ETCD_ENV.password)]
    .filter(Boolean)
    .join(' + ');
}

function originOf(path: string, origins: Readonly<Record<string, string>>): string {
  const top = path.split('/')[1] ?? '';
  return origins[top] ?? 'coordination';
}

function checkSemantics(config: Coordination, origins: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  if (config.endpoints.length > MAX_ENDPOINTS)
    problems.push(
      `${originOf('/endpoints', origins)}: at most ${MAX_ENDPOINTS} endpoints, not ${config.endpoints.length}`,
    );
  const schemes = new Set(config.endpoints.map((endpoint) => endpoint.split(':')[0]));
  if (schemes.size > 1)
    problems.push(
      `${originOf('/endpoints', origins)}: mixes http:// and https:// endpoints; use one scheme for the cluster`,
    );
  if (config.tls !== undefined && schemes.has('http'))
    problems.push(`${originOf('/tls', origins)}: TLS files are given but the endpoints are http://; use https:// URLs`);
  return problems;
}

/**
 * The coordination settings from a file's section, the environment (FORCEDOWN_ETCD_*) and
 * `--etcd`, field by field (later sources win), validated against
 * `schemas/coordination.schema.json`. `undefined` when no endpoint is configured anywhere: then
 * nothing is coordinated and the local lock file stays the lock. An input error (exit 2) lists
 * every problem with where the field came from. Pure: reads no file.
 */
export function coordinationSettings(sources: CoordinationSources): CoordinationSettings | undefined {
  const origins: Record<string, string> = {};
  const draft = sectionDraft(sources, origins);
  applyEnv(draft, sources, origins);
  if (Object.keys(draft).length === 0) return undefined;
  const problems = validateAgainst('coordination', draft).map(
    (error) =>
      `${originOf(error.instancePath, origins)}: ${error.instancePath || '(section)'} ${error.message ?? 'is invalid'}`,
  );
  if (problems.length === 0) problems.push(...checkSemantics(draft as unknown as Coordination, origins));
  if (problems.length > 0) {
    throw invalidInput(
      'COORDINATION_INVALID',
      `the etcd coordination configuration is invalid:\n  - ${[...new Set(problems)].join('\n  - ')}`,
      'fix the fields named above (README "Coordination (etcd)" lists every field and FORCEDOWN_ETCD_* variable)',
      { problems },
    );
  }
  return settingsFrom(draft as unknown as Coordination, sources, origins);
}

function settingsFrom(
  config: Coordination,
  sources: CoordinationSources,
  origins: Record<string, string>,
): CoordinationSettings {
  return {
    endpoints: config.endpoints.map((endpoint) => endpoint.replace(/\/$/, '')),
    prefix: config.prefix ?? DEFAULT_PREFIX,
    region: config.region ?? regionName(sources.cloudRegion) ?? DEFAULT_REGION,
    leaseTtlSeconds: config.leaseTtl ?? DEFAULT_LEASE_TTL_SECONDS,
    timeoutMs: Math.round((config.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000),
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.auth ? { auth: config.auth } : {}),
    origins,
  };
}

/** The cloud's region as a key segment, if it is a usable one. */
function regionName(region: string | undefined): string | undefined {
  return region !== undefined && /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/.test(region) && region.length <= 100
    ? region
    : undefined;
}
