/**
 * The watch configuration (schemas/watch.schema.json), JSON or YAML: checked with every problem
 * reported at once, then resolved into the watcher's settings with the defaults filled in.
 */
import { readFile } from 'node:fs/promises';
import { webhookUrl } from '../steps/notify.js';
import { dirname, resolve } from 'node:path';
import { invalidInput } from '../errors/index.js';
import type { WatchConfig } from '../generated/watch.types.js';
import { parseDuration, problemsError } from '../runbook/index.js';
import { sortProblems, validateDocumentText, type JsonDocument, type Problem } from '../validation/index.js';
import type { AlertIntakeOptions } from './alert-intake.js';
import type { GuardSettings } from './guards.js';
import type { WatchSettings } from './watcher.js';

export type { WatchConfig } from '../generated/watch.types.js';

/** Where /metrics, /healthz, /readyz and the alert intake listen by default (Prometheus' exporter range). */
export const DEFAULT_LISTEN = '127.0.0.1:9464';
export const DEFAULT_RUNBOOK = 'runbooks/host-failure.json';
const DEFAULT_STALE_AFTER = '30s';
/** Nova's default report_interval. */
const DEFAULT_HEARTBEAT_INTERVAL = '10s';
/** How long a host waits after a failed recovery run before the watcher starts another. */
export const DEFAULT_FAILED_COOLDOWN = '10m';

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
  /** The alert intake's options (token file made absolute), when the config has `alerts`. */
  readonly alerts: AlertIntakeOptions | undefined;
  /** The guard-trip webhook, when the config has `notify`. */
  readonly notify: { readonly url: string; readonly tokenEnv?: string; readonly repeatAfterMs?: number } | undefined;
}

function problemAt(file: string, document: JsonDocument, pointer: string, message: string): Problem {
  const position = document.positions.get(pointer);
  return { file, pointer, message, ...(position ? { position } : {}) };
}

/** Checks beyond the schema: the listen port, staleAfter against heartbeatInterval, the patterns. */
function semanticProblems(config: WatchConfig, document: JsonDocument, file: string): Problem[] {
  const problems: Problem[] = [];
  if (config.listen !== undefined) {
    const port = Number(config.listen.slice(config.listen.lastIndexOf(':') + 1));
    if (port < 1 || port > 65535)
      problems.push(problemAt(file, document, '/listen', `port ${port} is not between 1 and 65535`));
  }
  problems.push(...timingProblems(config, document, file));
  if (config.notify !== undefined) {
    try {
      webhookUrl(config.notify.url, 'notify');
    } catch (error) {
      problems.push(problemAt(file, document, '/notify/url', (error as Error).message.replace(/^step "notify": /, '')));
    }
  }
  const patterns: [string, string | undefined][] = [
    ['/guards/disabledReasonPattern', config.guards?.disabledReasonPattern],
    ['/alerts/hostPattern', config.alerts?.hostPattern],
  ];
  for (const [pointer, pattern] of patterns) {
    if (pattern === undefined) continue;
    try {
      new RegExp(pattern);
    } catch (error) {
      problems.push(problemAt(file, document, pointer, `not a regular expression: ${(error as Error).message}`));
    }
  }
  return problems;
}

/** staleAfter leaves room for a missed heartbeat: aging (staleAfter - heartbeatInterval - 1 s) above a healthy age. */
function timingProblems(config: WatchConfig, document: JsonDocument, file: string): Problem[] {
  const staleAfter = parseDuration(config.staleAfter ?? DEFAULT_STALE_AFTER);
  const heartbeat = parseDuration(config.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL);
  if (staleAfter >= 2 * heartbeat + 2000) return [];
  const pointer = config.staleAfter === undefined ? '/heartbeatInterval' : '/staleAfter';
  return [
    problemAt(
      file,
      document,
      pointer,
      `staleAfter (${staleAfter / 1000}s) must be at least 2 x heartbeatInterval + 2s (${(2 * heartbeat + 2000) / 1000}s): a healthy compute's heartbeat can be heartbeatInterval + 1s old, and a missed one must show before staleAfter`,
    ),
  ];
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

function guardSettings(config: WatchConfig, staleAfterMs: number, heartbeatIntervalMs: number): GuardSettings {
  const g = config.guards ?? {};
  return {
    maxStaleFraction: g.maxStaleFraction ?? 0.5,
    maxConcurrentRecoveries: g.maxConcurrentRecoveries ?? 2,
    maxRecoveriesPerHour: g.maxRecoveriesPerHour ?? 5,
    zoneLimits: g.zoneLimits ?? {},
    aggregates: g.aggregates ?? {},
    ...(g.disabledReasonPattern === undefined ? {} : { disabledReasonPattern: new RegExp(g.disabledReasonPattern) }),
    recoverAfterSamples: g.recoverAfterSamples ?? 3,
    settleAfterTripMs:
      g.settleAfterTrip === undefined ? staleAfterMs + heartbeatIntervalMs : parseDuration(g.settleAfterTrip),
  };
}

function listenAddress(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  return { host: text.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(text.slice(colon + 1)) };
}

function alertOptions(alerts: WatchConfig['alerts'], base: string): AlertIntakeOptions | undefined {
  if (alerts === undefined) return undefined;
  const { token, expireAfter, ...rest } = alerts;
  return {
    ...rest,
    token: 'file' in token ? { file: resolve(base, token.file) } : { env: token.env },
    ...(expireAfter === undefined ? {} : { expireAfterMs: parseDuration(expireAfter) }),
  };
}

function notifyOptions(notify: WatchConfig['notify']): ResolvedWatchConfig['notify'] {
  if (notify === undefined) return undefined;
  return {
    url: notify.url,
    ...(notify.tokenEnv === undefined ? {} : { tokenEnv: notify.tokenEnv }),
    ...(notify.repeatAfter === undefined ? {} : { repeatAfterMs: parseDuration(notify.repeatAfter) }),
  };
}

/** The settings a valid configuration stands for, defaults filled in, paths relative to the file. */
export function resolveWatchConfig(config: WatchConfig, file: string, absolutePath: string): ResolvedWatchConfig {
  const base = dirname(absolutePath);
  const path = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(base, p));
  const staleAfterMs = parseDuration(config.staleAfter ?? DEFAULT_STALE_AFTER);
  const heartbeatIntervalMs = parseDuration(config.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL);
  return {
    file,
    config,
    settings: {
      intervalMs: parseDuration(config.interval ?? '5s'),
      staleAfterMs,
      heartbeatIntervalMs,
      confirmSamples: config.confirmSamples ?? 2,
      mode: config.mode ?? 'act',
      guards: guardSettings(config, staleAfterMs, heartbeatIntervalMs),
      probeTimeoutMs: parseDuration(config.probeTimeout ?? '2s'),
      failedCooldownMs: parseDuration(config.recovery?.failedCooldown ?? DEFAULT_FAILED_COOLDOWN),
    },
    runbook: path(config.runbook),
    vars: Object.fromEntries(Object.entries(config.vars ?? {}).map(([k, v]) => [k, String(v)])),
    inventory: path(config.inventory),
    stateDir: path(config.stateDir),
    listen: listenAddress(config.listen ?? DEFAULT_LISTEN),
    alerts: alertOptions(config.alerts, base),
    notify: notifyOptions(config.notify),
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
