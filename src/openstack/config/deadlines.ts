/**
 * The time limits of API calls a user may set: clouds.yaml's `api_timeout` (openstacksdk's key,
 * seconds; `OS_API_TIMEOUT` for a cloud from OS_* variables) and forcedown's own variables, which
 * win over it and apply to every cloud:
 *
 * - `FORCEDOWN_CONNECT_TIMEOUT`: opening a connection (default 10 s);
 * - `FORCEDOWN_API_TIMEOUT`: one answer, once connected (default 30 s);
 * - `FORCEDOWN_API_BUDGET`: one call with all its retries (default 30 s; 60 s in runs).
 *
 * Values are seconds (`20`, `2.5`) or durations (`500ms`, `20s`, `2m`), more than zero and at
 * most an hour.
 */
import { invalidInput } from '../../errors/index.js';
import { parseDuration } from '../../validation/durations.js';
import type { RequestDeadlines } from '../openstack.interface.js';

const MAX_MS = 3_600_000;

/** Milliseconds of a seconds number or a duration, or undefined when it is not one. */
function toMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  try {
    return parseDuration(trimmed);
  } catch {
    return undefined;
  }
}

function limit(value: string | undefined, name: string, where: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const ms = toMs(value);
  if (ms === undefined || ms <= 0 || ms > MAX_MS) {
    throw invalidInput(
      'CLOUD_CONFIG_INVALID_TIMEOUT',
      `${where}: ${name} ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)} is not a time limit between 1 ms and 1 h`,
      `set ${name} to seconds (30) or a duration (500ms, 30s, 2m), more than zero`,
      { setting: name },
    );
  }
  return ms;
}

/**
 * The limits set by `api_timeout` (the cloud entry) and the FORCEDOWN_* variables; only the ones
 * set, so that a command's own defaults fill the rest.
 * @throws ForcedownError (exit 2) for a value that is not a positive time.
 */
export function deadlinesFrom(
  apiTimeout: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  where: string,
): Partial<RequestDeadlines> {
  const connect = limit(env.FORCEDOWN_CONNECT_TIMEOUT, 'FORCEDOWN_CONNECT_TIMEOUT', 'the environment');
  const response =
    limit(env.FORCEDOWN_API_TIMEOUT, 'FORCEDOWN_API_TIMEOUT', 'the environment') ??
    limit(apiTimeout, 'api_timeout', where);
  const budget = limit(env.FORCEDOWN_API_BUDGET, 'FORCEDOWN_API_BUDGET', 'the environment');
  return {
    ...(connect === undefined ? {} : { connectTimeoutMs: connect }),
    ...(response === undefined ? {} : { responseTimeoutMs: response }),
    ...(budget === undefined ? {} : { budgetMs: budget }),
  };
}
