import type { Condition } from '../generated/runbook.types.js';
import { resolveDeep, type Scope } from './interpolation.js';

/** Status of a finished step, as conditions see it. */
export type StepStatus = 'changed' | 'unchanged' | 'skipped' | 'failed';

/** A `when` that cannot be evaluated (a reference to a non-boolean, ...). */
export class ConditionError extends Error {}
ConditionError.prototype.name = 'ConditionError';

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '' || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Evaluates a `when` condition. Data only: operands are resolved references or literals and are
 * compared structurally; no expression language.
 */
export function evaluateCondition(
  condition: Condition,
  scope: Scope,
  statuses: ReadonlyMap<string, StepStatus>,
): boolean {
  if (typeof condition === 'boolean') return condition;
  if (typeof condition === 'string') {
    const value = resolveDeep(condition, scope);
    if (typeof value === 'boolean') return value;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new ConditionError(
      `"when": ${condition} resolved to ${JSON.stringify(value)}, not true or false; compare it with {"equals": [...]} or test it with {"notEmpty": ...}`,
    );
  }
  const c = condition as Record<string, unknown>;
  if ('equals' in c) {
    const [a, b] = resolveDeep(c.equals as unknown[], scope);
    return same(a, b);
  }
  if ('notEquals' in c) {
    const [a, b] = resolveDeep(c.notEquals as unknown[], scope);
    return !same(a, b);
  }
  if ('in' in c) {
    const [needle, haystack] = resolveDeep(c.in as unknown[], scope);
    if (!Array.isArray(haystack))
      throw new ConditionError(
        `"when": {"in": [...]} needs a list as its second item, got ${JSON.stringify(haystack)}`,
      );
    return haystack.some((item) => same(item, needle));
  }
  if ('empty' in c) return isEmpty(resolveDeep(c.empty, scope));
  if ('notEmpty' in c) return !isEmpty(resolveDeep(c.notEmpty, scope));
  if ('not' in c) return !evaluateCondition(c.not as Condition, scope, statuses);
  if ('all' in c) return (c.all as Condition[]).every((item) => evaluateCondition(item, scope, statuses));
  if ('any' in c) return (c.any as Condition[]).some((item) => evaluateCondition(item, scope, statuses));
  if ('stepStatus' in c) {
    const { step, in: wanted } = c.stepStatus as { step: string; in: StepStatus[] };
    const status = statuses.get(step);
    return status !== undefined && wanted.includes(status);
  }
  throw new ConditionError(`"when": unknown condition ${JSON.stringify(condition)}`);
}
