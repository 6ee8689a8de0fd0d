/**
 * Checks of a schema-valid runbook's values that would otherwise fail (or leak) only at run time:
 * `when` comparisons whose two sides can never have the same type, durations fed by a parameter
 * that cannot hold one, plain-http webhooks to hosts other than loopback. (URLs with credentials
 * are found in every string by the caller; literal zero durations by the schema.)
 */
import type { Runbook, Step } from '../generated/runbook.types.js';
import { isLoopbackHost } from '../validation/index.js';
import { parseTemplate, type Reference } from './interpolation.js';
import { stepCatalog } from './step-catalog.js';

/** Reports a problem at a JSON pointer. */
export type ProblemAt = (pointer: string, message: string) => void;

/** What a value is, as far as validation can tell before the run. */
type StaticType = 'string' | 'number' | 'boolean' | 'null' | 'list' | 'object';

/** The one reference a string consists of, if it is exactly one. */
function wholeReference(value: string): Reference | undefined {
  if (!value.includes('${')) return undefined;
  try {
    const parts = parseTemplate(value);
    const [only] = parts;
    return parts.length === 1 && only !== undefined && 'ref' in only ? only.ref : undefined;
  } catch {
    return undefined; // a malformed reference is reported by the reference checks
  }
}

/** The type of an operand: a literal's own, a parameter's declared type, a run field's; else unknown. */
function staticType(value: unknown, runbook: Runbook): StaticType | undefined {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'object') return 'object';
  if (typeof value !== 'string') return undefined;
  const ref = wholeReference(value);
  if (ref === undefined) return 'string'; // text, or a template: always a string
  switch (ref.kind) {
    case 'params': {
      const type = runbook.params?.[ref.name]?.type;
      if (type === undefined) return undefined;
      return type === 'integer' ? 'number' : type;
    }
    case 'run':
      return ref.field === 'dryRun' ? 'boolean' : 'string';
    case 'env':
      return 'string';
    case 'steps':
      return undefined; // outputs have many shapes: decided at run time
  }
}

function describeOperand(value: unknown, type: StaticType): string {
  const shown = JSON.stringify(value) ?? String(value);
  const kind = typeof value === 'string' && value.startsWith('${params.') ? ` (a ${type} parameter)` : ` (a ${type})`;
  return `${shown.length > 40 ? `${shown.slice(0, 37)}...` : shown}${kind}`;
}

/** `; write 3 as "3"` when one side is a string and the other a plain number or boolean. */
function suggestion(left: unknown, right: unknown, a: StaticType, b: StaticType): string {
  const literal = a === 'string' ? right : b === 'string' ? left : undefined;
  if (typeof literal !== 'number' && typeof literal !== 'boolean') return '';
  return `; compare with the string ${JSON.stringify(String(literal))} instead`;
}

/** equals/notEquals/in whose sides can never be equal: the condition would always be false (or true). */
function checkCondition(condition: unknown, pointer: string, runbook: Runbook, at: ProblemAt): void {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) return;
  const c = condition as Record<string, unknown>;
  for (const operator of ['equals', 'notEquals'] as const) {
    const pair = c[operator];
    if (!Array.isArray(pair) || pair.length !== 2) continue;
    const [left, right] = pair as [unknown, unknown];
    const a = staticType(left, runbook);
    const b = staticType(right, runbook);
    if (a !== undefined && b !== undefined && a !== b)
      at(
        `${pointer}/${operator}`,
        `"${operator}" compares ${describeOperand(left, a)} with ${describeOperand(right, b)}: values of different types are never equal, so this condition is always ${operator === 'equals' ? 'false' : 'true'}${suggestion(left, right, a, b)}`,
      );
  }
  if (Array.isArray(c.in) && c.in.length === 2) checkIn(c.in as [unknown, unknown], `${pointer}/in`, runbook, at);
  if ('not' in c) checkCondition(c.not, `${pointer}/not`, runbook, at);
  for (const key of ['all', 'any'] as const) {
    if (Array.isArray(c[key]))
      (c[key] as unknown[]).forEach((item, index) => checkCondition(item, `${pointer}/${key}/${index}`, runbook, at));
  }
}

function checkIn([needle, haystack]: [unknown, unknown], pointer: string, runbook: Runbook, at: ProblemAt): void {
  const type = staticType(needle, runbook);
  const listType = staticType(haystack, runbook);
  if (listType !== undefined && listType !== 'list') {
    at(`${pointer}/1`, `the second item of "in" must be a list, not ${describeOperand(haystack, listType)}`);
    return;
  }
  if (type === undefined || !Array.isArray(haystack) || haystack.length === 0) return;
  const types = haystack.map((item) => staticType(item, runbook));
  if (types.every((t) => t !== undefined && t !== type))
    at(
      pointer,
      `"in" looks for ${describeOperand(needle, type)} in a list of ${[...new Set(types)].join(' and ')} values: it can never be found, so this condition is always false`,
    );
}

/** A duration field fed by `${params.NAME}`: the parameter must be a string, its default a duration. */
function checkDurationParams(step: Step, base: string, runbook: Runbook, at: ProblemAt): void {
  const fields = stepCatalog().get(step.type)?.durations ?? [];
  for (const field of fields) {
    const value = (step as unknown as Record<string, unknown>)[field];
    if (typeof value !== 'string') continue;
    const ref = wholeReference(value);
    if (ref?.kind !== 'params') continue;
    const param = runbook.params?.[ref.name];
    if (param === undefined) continue;
    if (param.type !== 'string') {
      at(
        `${base}/${field}`,
        `${value} fills a duration, but parameter "${ref.name}" is of type ${param.type}: a duration is a string such as 30s; declare the parameter as "type": "string"`,
      );
      continue;
    }
    if (param.default !== undefined && !isPositiveDuration(param.default))
      at(
        `${base}/${field}`,
        `${value} fills a duration, but the default of parameter "${ref.name}" is ${JSON.stringify(param.default)}: give a duration of more than zero such as 500ms, 30s, 5m or 1h`,
      );
  }
}

/** A literal duration the schema accepts, and more than zero. */
function isPositiveDuration(value: unknown): boolean {
  return typeof value === 'string' && /^[0-9]+(\.[0-9]+)?(ms|s|m|h)$/.test(value) && !/^[0.]+[a-z]+$/.test(value);
}

/** A notify step's literal URL: plain http only to loopback. */
function checkWebhook(step: Step, base: string, at: ProblemAt): void {
  if (step.type !== 'notify' || step.url.includes('${')) return;
  let url: URL;
  try {
    url = new URL(step.url);
  } catch {
    at(`${base}/url`, `"${step.url.slice(0, 60)}" is not a valid URL; give an absolute https:// URL`);
    return;
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return;
  at(
    `${base}/url`,
    url.protocol === 'http:'
      ? `plain http to ${url.hostname} would send the run summary (and any headers) unencrypted: webhooks must use https (http only to loopback)`
      : `webhooks must use https (or http to loopback), not ${url.protocol}`,
  );
}

/** Every value problem of the runbook's steps (see the module comment). */
export function checkStepValues(runbook: Runbook, at: ProblemAt): void {
  runbook.steps.forEach((step, index) => {
    const base = `/steps/${index}`;
    if (step.when !== undefined) checkCondition(step.when, `${base}/when`, runbook, at);
    checkDurationParams(step, base, runbook, at);
    checkWebhook(step, base, at);
  });
}
