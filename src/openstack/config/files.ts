/**
 * Finding and reading clouds.yaml / secure.yaml the way openstacksdk does: the first existing file
 * of the search path wins (`./`, `~/.config/openstack/`, `/etc/openstack/`, each as `.yaml`,
 * `.yml`, `.json`), and `OS_CLIENT_CONFIG_FILE` / `OS_CLIENT_SECURE_FILE` are searched first.
 *
 * Unlike openstacksdk, an existing file that cannot be read or parsed is an error (file and line)
 * instead of being skipped with a warning: silently falling through to another cloud definition is
 * not what an operator fencing hosts wants.
 */
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { YAMLParseError, parse as parseYaml } from 'yaml';
import { invalidInput } from '../../errors/index.js';
import { MAX_FLOW_DEPTH, flowDepth } from '../../validation/index.js';

/** Where to look for configuration files. */
export interface SearchLocations {
  readonly cwd: string;
  readonly home: string;
  readonly etcDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const SUFFIXES = ['.yaml', '.yml', '.json'] as const;

/** The directories searched, in order. */
export function searchDirectories(locations: SearchLocations): string[] {
  return [locations.cwd, join(locations.home, '.config', 'openstack'), locations.etcDir];
}

/** Every candidate path for `clouds` or `secure`, in search order (override variable first). */
export function candidateFiles(kind: 'clouds' | 'secure', locations: SearchLocations): string[] {
  const override = kind === 'clouds' ? locations.env.OS_CLIENT_CONFIG_FILE : locations.env.OS_CLIENT_SECURE_FILE;
  const files = searchDirectories(locations).flatMap((dir) => SUFFIXES.map((suffix) => join(dir, `${kind}${suffix}`)));
  return override ? [override, ...files] : files;
}

/** A parsed configuration file. */
export interface LoadedFile {
  readonly path: string;
  readonly data: Record<string, unknown>;
}

/** Reads the first existing file of `paths`; undefined when none exists. */
export function loadFirstFile(paths: readonly string[]): LoadedFile | undefined {
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw invalidInput(
        'CLOUD_CONFIG_UNREADABLE',
        `cannot read ${path}: ${code ?? String(error)}`,
        `fix the file's permissions (it must be readable by this user), or point OS_CLIENT_CONFIG_FILE at another file`,
        { file: path },
        error,
      );
    }
    return { path, data: parseConfigText(path, text) };
  }
  return undefined;
}

/** Largest clouds.yaml/secure.yaml read (real ones are a few KiB; the YAML parser needs seconds for a few hundred KiB of one long line). */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** Deepest `[`/`{` nesting accepted: the bound every forcedown YAML loader shares. */
export { MAX_FLOW_DEPTH };

/** Parses YAML (or JSON, which is YAML) into a mapping; errors name the file and the line. */
export function parseConfigText(path: string, text: string): Record<string, unknown> {
  // hostile or broken files must not stall the CLI in the parser
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
    throw invalidInput(
      'CLOUD_CONFIG_TOO_BIG',
      `${path}: ${Buffer.byteLength(text)} bytes is too big for a clouds.yaml/secure.yaml (at most ${MAX_CONFIG_BYTES})`,
      'point OS_CLIENT_CONFIG_FILE / OS_CLIENT_SECURE_FILE at the right file; a configuration is a few KiB',
      { file: path },
    );
  }
  if (flowDepth(text) > MAX_FLOW_DEPTH) {
    throw invalidInput(
      'CLOUD_CONFIG_INVALID_YAML',
      `${path}: invalid YAML: [ ] or { } nested more than ${MAX_FLOW_DEPTH} deep`,
      'fix the brackets: a cloud configuration is a few levels deep',
      { file: path },
    );
  }
  let data: unknown;
  try {
    // maxAliasCount bounds "billion laughs" alias bombs (yaml throws a ReferenceError past it);
    // merge keys (`<<: *defaults`) as PyYAML's safe_load (openstacksdk) reads them
    data = parseYaml(text, { prettyErrors: true, uniqueKeys: false, maxAliasCount: 100, merge: true });
  } catch (error) {
    if (error instanceof ReferenceError) {
      // aliases: an alias bomb ("Excessive alias count...") or an alias of an anchor never set
      const excessive = /excessive alias count/i.test(error.message);
      throw invalidInput(
        'CLOUD_CONFIG_INVALID_YAML',
        `${path}: invalid YAML: ${excessive ? 'too many aliases (*name) expand to too much data (a "billion laughs" document?)' : `an alias (*name) refers to an anchor (&name) that is not defined before it`}`,
        excessive
          ? 'write the settings out instead of nesting aliases of aliases'
          : 'define the anchor (&name) before using the alias, or write the value out',
        { file: path },
        error,
      );
    }
    if (error instanceof YAMLParseError) {
      const line = error.linePos?.[0].line;
      const col = error.linePos?.[0].col;
      const first = error.message.split('\n')[0] ?? error.message;
      throw invalidInput(
        'CLOUD_CONFIG_INVALID_YAML',
        `${path}${line === undefined ? '' : `:${line}${col === undefined ? '' : `:${col}`}`}: invalid YAML: ${first}`,
        'fix the YAML syntax at that line (indentation, quotes, tabs)',
        { file: path, line },
        error,
      );
    }
    // anything else the parser throws is still a broken file (e.g. "Merge sources must be maps
    // or map aliases" for `<<: *scalar`), not a bug of forcedown's
    throw invalidInput(
      'CLOUD_CONFIG_INVALID_YAML',
      `${path}: invalid YAML: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`,
      'fix the YAML of that file (merge keys <<: need a mapping or an alias of one)',
      { file: path },
      error,
    );
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw invalidInput(
      'CLOUD_CONFIG_INVALID',
      `${path}: expected a mapping with a "clouds:" key at the top`,
      "see openstacksdk's clouds.yaml format: clouds: {NAME: {auth: {...}, region_name: ...}}",
      { file: path },
    );
  }
  const record = data as Record<string, unknown>;
  const clouds = record.clouds;
  if (clouds !== undefined && clouds !== null && (typeof clouds !== 'object' || Array.isArray(clouds))) {
    throw invalidInput(
      'CLOUD_CONFIG_INVALID',
      `${path}: "clouds" must be a mapping of cloud names to settings`,
      'write clouds: {NAME: {auth: {...}}}',
      { file: path },
    );
  }
  return record;
}

/** Like dict.update but recursive for mappings (openstacksdk's merge_clouds). */
export function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    if (isMapping(value) && isMapping(current)) out[key] = mergeDeep(current, value);
    else if (isMapping(value)) out[key] = { ...value };
    else out[key] = value;
  }
  return out;
}

/** A plain object (not an array, not null). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
