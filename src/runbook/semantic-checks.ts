import type { Runbook } from '../generated/runbook.types.js';
import type { JsonDocument, Problem } from '../validation/index.js';
import { didYouMean } from '../validation/index.js';
import { collectReferences, type Reference } from './interpolation.js';
import { stepCatalog } from './step-catalog.js';
import { checkStepValues } from './value-checks.js';

/** Reports a problem at a pointer (at its key's position when `key`). */
type At = (pointer: string, message: string, key?: boolean) => void;

/**
 * Checks a schema-valid runbook for what a schema cannot express: duplicate step ids,
 * references to undefined params, to unknown or later steps, to outputs a step does not have,
 * to environment variables the runbook did not list, invalid regular expressions, defaults
 * that do not fit their parameter, plain-http webhooks to other hosts
 * than loopback, durations fed by parameters that cannot hold one and `when` comparisons whose
 * sides can never be equal. Returns every problem at once.
 */
export function checkRunbookSemantics(runbook: Runbook, document: JsonDocument, file: string): Problem[] {
  const problems: Problem[] = [];
  const at: At = (pointer, message, key = false) => {
    problems.push({
      file,
      pointer,
      position: (key ? document.keyPositions.get(pointer) : undefined) ?? document.positions.get(pointer),
      message,
    });
  };
  checkParams(runbook, at);
  const seen = new Map<string, number>();
  runbook.steps.forEach((step, index) => {
    const base = `/steps/${index}`;
    const previous = seen.get(step.id);
    if (previous !== undefined)
      at(`${base}/id`, `duplicate step id "${step.id}" (also step ${previous + 1}); step ids must be unique`);
    else seen.set(step.id, index);
    checkStepReferences(runbook, index, at);
    if (step.type === 'evacuate' && step.skipNamePattern !== undefined && !step.skipNamePattern.includes('${')) {
      try {
        new RegExp(step.skipNamePattern, 'u');
      } catch (error) {
        at(`${base}/skipNamePattern`, regexProblem(error));
      }
    }
  });
  checkStepValues(runbook, at);
  return problems;
}

function checkParams(runbook: Runbook, at: At): void {
  for (const [name, param] of Object.entries(runbook.params ?? {})) {
    const pointer = `/params/${name}`;
    if (param.pattern !== undefined) {
      try {
        new RegExp(param.pattern, 'u');
      } catch (error) {
        at(`${pointer}/pattern`, regexProblem(error));
      }
    }
    if (param.default !== undefined) {
      const problem = checkParamValue(param, param.default);
      if (problem) at(`${pointer}/default`, `default ${problem}`);
    }
    if (param.enum !== undefined) {
      param.enum.forEach((value, index) => {
        const problem = checkParamValue({ ...param, enum: undefined }, value);
        if (problem) at(`${pointer}/enum/${index}`, problem);
      });
    }
  }
}

/** The references of step `index` (params, steps and their outputs, env) and its stepStatus conditions. */
function checkStepReferences(runbook: Runbook, index: number, at: At): void {
  const step = runbook.steps[index];
  const base = `/steps/${index}`;
  const params = runbook.params ?? {};
  const allowedEnv = new Set(runbook.env ?? []);
  const catalog = stepCatalog();
  const checkRef = (ref: Reference, pointer: string): void => {
    switch (ref.kind) {
      case 'params':
        if (!(ref.name in params))
          at(
            pointer,
            `${ref.text} refers to an undefined parameter "${ref.name}"${didYouMean(ref.name, Object.keys(params))}; declare it under "params"`,
          );
        break;
      case 'steps': {
        const targetIndex = runbook.steps.findIndex((candidate) => candidate.id === ref.step);
        if (targetIndex === -1) {
          at(
            pointer,
            `${ref.text} refers to an unknown step "${ref.step}"${didYouMean(
              ref.step,
              runbook.steps.map((s) => s.id),
            )}`,
          );
        } else if (targetIndex >= index) {
          at(
            pointer,
            `${ref.text} refers to ${targetIndex === index ? 'this step itself' : `a later step (step ${targetIndex + 1}, "${ref.step}")`}; a step can only use outputs of steps before it`,
          );
        } else {
          const target = runbook.steps[targetIndex];
          const outputs = catalog.get(target.type)?.outputs ?? [];
          if (!outputs.includes(ref.output)) {
            at(
              pointer,
              `${ref.text}: ${/^[aeiou]/.test(target.type) ? 'an' : 'a'} ${target.type} step has no output "${ref.output}"${didYouMean(ref.output, outputs)}; its outputs are ${outputs.join(', ') || '(none)'}`,
            );
          }
        }
        break;
      }
      case 'env':
        if (!allowedEnv.has(ref.name))
          at(pointer, `${ref.text}: add "${ref.name}" to the runbook's "env" list to allow reading it`);
        break;
      case 'run':
        break;
    }
  };

  const { id: _id, type: _type, ...rest } = step as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(rest)) {
    collectReferences(value, checkRef, (error, pointer) => at(pointer, error.message), `${base}/${key}`);
  }

  for (const { step: target, pointer } of findStepStatusRefs(step.when, `${base}/when`)) {
    const targetIndex = runbook.steps.findIndex((candidate) => candidate.id === target);
    if (targetIndex === -1)
      at(
        pointer,
        `stepStatus refers to an unknown step "${target}"${didYouMean(
          target,
          runbook.steps.map((s) => s.id),
        )}`,
      );
    else if (targetIndex >= index)
      at(
        pointer,
        `stepStatus refers to ${targetIndex === index ? 'this step itself' : 'a later step'}; only earlier steps have a status`,
      );
  }
}

function findStepStatusRefs(condition: unknown, pointer: string): { step: string; pointer: string }[] {
  if (condition === null || typeof condition !== 'object') return [];
  const c = condition as Record<string, unknown>;
  if ('stepStatus' in c)
    return [{ step: String((c.stepStatus as { step: string }).step), pointer: `${pointer}/stepStatus/step` }];
  if ('not' in c) return findStepStatusRefs(c.not, `${pointer}/not`);
  for (const key of ['all', 'any'] as const) {
    if (Array.isArray(c[key]))
      return (c[key] as unknown[]).flatMap((item, index) => findStepStatusRefs(item, `${pointer}/${key}/${index}`));
  }
  return [];
}

/** Why `value` does not fit `param` (type, enum, pattern, bounds), or undefined. */
export function checkParamValue(
  param: {
    readonly type: string;
    readonly enum?: readonly unknown[];
    readonly pattern?: string;
    readonly minimum?: number;
    readonly maximum?: number;
  },
  value: unknown,
): string | undefined {
  switch (param.type) {
    case 'string':
      if (typeof value !== 'string') return `must be a string, not ${JSON.stringify(value)}`;
      if (value.includes('${')) return 'must not contain "${" (values are data, not templates)';
      if (param.pattern !== undefined) {
        let pattern: RegExp | undefined;
        try {
          pattern = new RegExp(`^(?:${param.pattern})$`, 'u');
        } catch {
          pattern = undefined;
        }
        if (pattern && !pattern.test(value))
          return `must match the pattern ${JSON.stringify(param.pattern)}, not ${JSON.stringify(value)}`;
      }
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value))
        return `must be an integer, not ${JSON.stringify(value)}`;
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number, not ${JSON.stringify(value)}`;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return `must be true or false, not ${JSON.stringify(value)}`;
      break;
    default:
      return `has unknown type ${param.type}`;
  }
  if (typeof value === 'number') {
    if (param.minimum !== undefined && value < param.minimum) return `must be >= ${param.minimum}, not ${value}`;
    if (param.maximum !== undefined && value > param.maximum) return `must be <= ${param.maximum}, not ${value}`;
  }
  if (param.enum !== undefined && !param.enum.some((allowed) => allowed === value)) {
    return `must be one of ${param.enum.map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(value)}`;
  }
  return undefined;
}

function regexProblem(error: unknown): string {
  const detail = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '');
  return `invalid regular expression: ${detail}`;
}
