import { invalidInput, toForcedownError, type ForcedownError } from '../errors/index.js';
import type { Step } from '../generated/runbook.types.js';
import {
  ResolveError,
  evaluateCondition,
  hasReference,
  parseDuration,
  resolveDeep,
  resolveTemplate,
  type LoadedRunbook,
  type Scope,
  type StepStatus,
} from '../runbook/index.js';
import type { StepCatalog } from './catalog.interface.js';
import type { StepModule } from './step.interface.js';

/**
 * The one pipeline every step goes through before it is checked, in plan, dry-run, run and
 * pre-flight alike: `when` → resolve the references → validate the resolved step → its title,
 * timeout and retries.
 */

/** A step ready to be checked (and applied). */
export interface ReadyStep {
  readonly kind: 'ready';
  /** The step with its references resolved (as far as known, in pre-flight). */
  readonly resolved: Step;
  readonly title: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  /**
   * False in pre-flight when part of the step depends on what earlier steps produce at run time
   * (those references are left as they are, and the step is checked as far as it can be), or
   * its `when` cannot be decided yet.
   */
  readonly complete: boolean;
  /** Its `when` is absent or already known to be true: the step runs if the run gets to it. */
  readonly runs: boolean;
}

/** What the pipeline makes of a step. */
export type PreparedStep =
  | { readonly kind: 'skip' }
  | ReadyStep
  | {
      readonly kind: 'failed';
      readonly error: ForcedownError;
      /** The reference that could not be resolved, if that was the problem. */
      readonly reference?: string;
    };

/** What {@link prepareStep} needs. */
export interface PrepareInput {
  readonly step: Step;
  readonly module: StepModule;
  readonly scope: Scope;
  readonly statuses: ReadonlyMap<string, StepStatus>;
  readonly catalog: StepCatalog;
  /** The runbook file, for messages. */
  readonly file: string;
  /**
   * Pre-flight: earlier steps have not run, so references to their outputs (and `when`s that
   * depend on them or on their statuses) are left undecided instead of failing.
   */
  readonly beforeRun?: boolean;
}

/** A reference to a step output or status that only the run itself can produce. */
class NotYetKnown extends Error {}

/** A problem of the pipeline, with the reference that caused it (plan tells "depends on" apart). */
class StepProblem extends Error {
  constructor(
    readonly error: ForcedownError,
    readonly reference: string | undefined,
  ) {
    super(error.message);
  }
}

const referenceOf = (error: unknown): string | undefined =>
  error instanceof ResolveError ? error.reference : undefined;

/** Statuses of a run that has not started: asking for one is "not known yet". */
class UnknownStatuses extends Map<string, StepStatus> {
  override get(): StepStatus | undefined {
    throw new NotYetKnown('step statuses are known at run time');
  }
}

const isStepReference = (error: unknown): error is ResolveError =>
  error instanceof ResolveError && error.reference.startsWith('${steps.');

/** Resolves every string that can be resolved now, leaving references to step outputs as they are. */
function resolveKnown<T>(value: T, scope: Scope, left: { count: number }): T {
  if (typeof value === 'string') {
    try {
      return resolveTemplate(value, scope) as T;
    } catch (error) {
      if (!isStepReference(error)) throw error;
      left.count += 1;
      return value;
    }
  }
  if (Array.isArray(value)) return value.map((item: unknown) => resolveKnown(item, scope, left)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      Object.defineProperty(out, key, {
        value: resolveKnown(item, scope, left),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out as T;
  }
  return value;
}

/** The step's `when`: run it, skip it, or (pre-flight) not known yet. */
function decideWhen(input: PrepareInput): boolean | 'undecided' {
  const { step, scope, beforeRun } = input;
  if (step.when === undefined) return true;
  try {
    return evaluateCondition(step.when, scope, beforeRun ? new UnknownStatuses() : input.statuses);
  } catch (error) {
    if (beforeRun && (error instanceof NotYetKnown || isStepReference(error))) return 'undecided';
    throw new StepProblem(
      invalidInput(
        'WHEN_FAILED',
        `step "${step.id}": ${(error as Error).message}`,
        'fix the step\'s "when" in the runbook',
      ),
      referenceOf(error),
    );
  }
}

function resolveStep(input: PrepareInput): { resolved: Step; complete: boolean } {
  const { step, scope } = input;
  try {
    if (!input.beforeRun) return { resolved: resolveDeep(step, scope), complete: true };
    const left = { count: 0 };
    const resolved = resolveKnown(step, scope, left);
    return { resolved, complete: left.count === 0 };
  } catch (error) {
    throw new StepProblem(
      invalidInput(
        'REFERENCE_FAILED',
        `step "${step.id}": ${(error as Error).message}`,
        'check the references in this step and the outputs of the steps it uses',
      ),
      referenceOf(error),
    );
  }
}

/** A duration field of the resolved step in ms (`fallback` when absent or still a reference). */
function durationField(step: Step, field: 'timeout' | 'retryDelay', fallbackMs: number): number {
  const value = step[field];
  if (value === undefined || hasReference(String(value))) return fallbackMs;
  try {
    return parseDuration(String(value));
  } catch (error) {
    throw invalidInput(
      'RESOLVED_STEP_INVALID',
      `step "${step.id}": ${field}: ${(error as Error).message}`,
      'check the --var values and the outputs this step references',
    );
  }
}

/**
 * Takes a step through the pipeline. Never throws: a problem is a `failed` result carrying the
 * error (an input error: the runbook or its values cannot work as written).
 */
export function prepareStep(input: PrepareInput): PreparedStep {
  const { step, module } = input;
  try {
    const when = decideWhen(input);
    if (when === false) return { kind: 'skip' };
    const { resolved, complete } = resolveStep(input);
    input.catalog.validateResolved(resolved, input.file);
    const retries = hasReference(String(resolved.retries ?? 0)) ? 0 : Number(resolved.retries ?? 0);
    return {
      kind: 'ready',
      resolved,
      title: resolved.title ?? `${step.id}: ${module.title(resolved)}`,
      timeoutMs: durationField(resolved, 'timeout', module.defaultTimeoutMs),
      retries,
      retryDelayMs: durationField(resolved, 'retryDelay', 5000),
      complete: complete && when === true,
      runs: when === true,
    };
  } catch (thrown) {
    if (thrown instanceof StepProblem)
      return { kind: 'failed', error: thrown.error, ...(thrown.reference ? { reference: thrown.reference } : {}) };
    return { kind: 'failed', error: toForcedownError(thrown) };
  }
}

/**
 * The hosts a step acts on, as far as they are known before it runs (a host that comes from an
 * earlier step's outputs is not known yet).
 */
export function knownHosts(module: StepModule, step: Step, scope: Scope): string[] {
  if (!module.hosts) return [];
  try {
    const resolved = resolveKnown(step, scope, { count: 0 });
    return module.hosts(resolved).filter((host) => typeof host === 'string' && host !== '' && !hasReference(host));
  } catch {
    return [];
  }
}

/** The scope references resolve against. */
export function runScope(
  loaded: LoadedRunbook,
  params: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
  run: { readonly id: string; readonly startedAt: string; readonly dryRun: boolean },
  outputs: Scope['steps'],
): Scope {
  return {
    params,
    steps: outputs,
    run: { ...run, runbook: loaded.runbook.name },
    env,
    allowedEnv: new Set(loaded.runbook.env ?? []),
  };
}
