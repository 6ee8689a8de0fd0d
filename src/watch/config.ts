/**
 * The watch configuration (schemas/watch.schema.json), JSON or YAML: checked with every problem
 * reported at once, then resolved into the watcher's settings with the defaults filled in.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { invalidInput } from '../errors/index.js';
import type { WatchConfig } from '../generated/watch.types.js';
import { parseDuration, problemsError } from '../runbook/index.js';
import { sortProblems, validateDocumentText, type JsonDocument, type Problem } from '../validation/index.js';
import type { GuardSettings } from './guards.js';
import type { WatchSettings } from './watcher.js';

export type { WatchConfig } from '../generated/watch.types.js';

/** Where /metrics, /healthz, /readyz and the alert intake listen by default (Prometheus' exporter range). */
export const DEFAULT_LISTEN = '127.0.0.1:9464';
export const DEFAULT_RUNBOOK = 'runbooks/host-failure.json';

/** The configuration with its defaults applied and paths made absolute. */
export interface ResolvedWatchConfig {
  readonly file: string;
  readonly config: WatchConfig;
  readonly settings: WatchSettings;
  /** Absolute path of the runbook, or undefined for the shipped default (resolved by the caller). */
  readonly runbook: string | undefined;
  readonly vars: Readonly<Record<string, string>>;
  readonly inventory: string | undefined;
  readonly stateDir: string | undefined;
  readonly listen: { readonly host: string; readonly port: number };
}

function problemAt(file: string, document: JsonDocument, pointer: string, message: string): Problem {
  const position = document.positions.get(pointer);
  return { file, pointer, message, ...(position ? { position } : {}) };
}

/** Checks beyond the schema: the listen port and that aggregates name each host once per group. */
function semanticProblems(config: WatchConfig, document: JsonDocument, file: string): Problem[] {
  const problems: Problem[] = [];
  if (config.listen !== undefined) {
    const port = Number(config.listen.slice(config.listen.lastIndexOf(':') + 1));
    if (port < 1 || port > 65535)
      problems.push(problemAt(file, document, '/listen', `port ${port} is not between 1 and 65535`));
  }
  const pattern = config.guards?.disabledReasonPattern;
  if (pattern !== undefined) {
    try {
      new RegExp(pattern);
    } catch (error) {
      problems.push(
        problemAt(
          file,
          document,
          '/guards/disabledReasonPattern',
          `not a regular expression: ${(error as Error).message}`,
        ),
      );
    }
  }
  return problems;
}

/** Validates a watch configuration's text (JSON or YAML) and reports every problem at once. */
export function checkWatchConfigText(
  text: string,
  file: string,
): { ok: true; config: WatchConfig } | { ok: false; problems: Problem[] } {
  const { document, problems } = validateDocumentText('watch', text, file);
  if (!document || problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  const config = document.value as WatchConfig;
  const semantic = semanticProblems(config, document, file);
  if (semantic.length > 0) return { ok: false, problems: sortProblems(semantic) };
  return { ok: true, config };
}

function guardSettings(config: WatchConfig): GuardSettings {
  const g = config.guards ?? {};
  return {
    maxStaleFraction: g.maxStaleFraction ?? 0.5,
    maxConcurrentRecoveries: g.maxConcurrentRecoveries ?? 2,
    maxRecoveriesPerHour: g.maxRecoveriesPerHour ?? 5,
    zoneLimits: g.zoneLimits ?? {},
    aggregates: g.aggregates ?? {},
    ...(g.disabledReasonPattern === undefined ? {} : { disabledReasonPattern: new RegExp(g.disabledReasonPattern) }),
    recoverAfterSamples: g.recoverAfterSamples ?? 3,
  };
}

function listenAddress(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  return { host: text.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(text.slice(colon + 1)) };
}

/** The settings a valid configuration stands for, defaults filled in, paths relative to the file. */
export function resolveWatchConfig(config: WatchConfig, file: string, absolutePath: string): ResolvedWatchConfig {
  const base = dirname(absolutePath);
  const path = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(base, p));
  return {
    file,
    config,
    settings: {
      intervalMs: parseDuration(config.interval ?? '5s'),
      staleAfterMs: parseDuration(config.staleAfter ?? '30s'),
      confirmSamples: config.confirmSamples ?? 2,
      mode: config.mode ?? 'act',
      guards: guardSettings(config),
      probeTimeoutMs: parseDuration(config.probeTimeout ?? '2s'),
    },
    runbook: path(config.runbook),
    vars: Object.fromEntries(Object.entries(config.vars ?? {}).map(([k, v]) => [k, String(v)])),
    inventory: path(config.inventory),
    stateDir: path(config.stateDir),
    listen: listenAddress(config.listen ?? DEFAULT_LISTEN),
  };
}

/** Reads, checks and resolves a watch configuration; an input error (exit 2) listing every problem. */
export async function loadWatchConfig(path: string, displayName: string = path): Promise<ResolvedWatchConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw invalidInput(
      'FILE_UNREADABLE',
      `cannot read watch configuration ${displayName}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      'pass it with --config FILE (format: schemas/watch.schema.json, example: deploy/watch.example.yaml)',
    );
  }
  const check = checkWatchConfigText(text, displayName);
  if (!check.ok) throw problemsError(`watch configuration ${displayName}`, check.problems);
  return resolveWatchConfig(check.config, displayName, path);
}
