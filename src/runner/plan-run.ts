import { toForcedownError } from '../errors/index.js';
import type { Step } from '../generated/runbook.types.js';
import {
  ResolveError,
  evaluateCondition,
  parseDuration,
  resolveDeep,
  type LoadedRunbook,
  type Scope,
  type StepStatus,
} from '../runbook/index.js';
import { sleep } from './run-engine.js';
import type { RunSummary } from './events.interface.js';
import { validateResolvedStep } from './resolved-step.js';
import { SafetyLedger } from './safety-ledger.js';
import type { RunServices } from './services.interface.js';
import type { RunOptions, StepContext } from './step.interface.js';
import { loadStepModule } from './step-registry.js';

/** What a step would do. */
export type PlanAction = 'change' | 'none' | 'skip' | 'depends' | 'refuse' | 'error';

/** One line of a plan. */
export interface PlanEntry {
  readonly index: number;
  readonly id: string;
  readonly type: string;
  readonly title: string;
  readonly action: PlanAction;
  readonly summary: string;
  readonly details: readonly string[];
  /** For refuse/error: the error's code, hint and exit code. */
  readonly error?: { readonly code: string; readonly hint: string; readonly exitCode: number };
}

/** Options of {@link planRun}. */
export interface PlanRequest {
  readonly loaded: LoadedRunbook;
  readonly params: Readonly<Record<string, unknown>>;
  readonly options: RunOptions;
  readonly services: RunServices;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal: AbortSignal;
}

const EMPTY_SUMMARY: RunSummary = {
  status: 'succeeded',
  exitCode: 0,
  steps: { changed: 0, unchanged: 0, skipped: 0, failed: 0, 'not-run': 0 },
  stepResults: [],
  servers: [],
  durationMs: 0,
  dryRun: true,
};

/**
 * The ordered list of what each step would do given the live state, changing nothing: every
 * step's read-only `check` runs in order. Outputs a step predicts feed later steps; where a
 * later step depends on outputs only a real run produces, it is marked `depends`. A fence step
 * counts as "would be confirmed" for the steps after it; a refusal (e.g. force-down without a
 * fence) is shown as `refuse`.
 */
export async function planRun(request: PlanRequest): Promise<PlanEntry[]> {
  const { loaded, options, services } = request;
  const runbook = loaded.runbook;
  const outputs: Record<string, Readonly<Record<string, unknown>> | undefined> = {};
  const statuses = new Map<string, StepStatus>();
  const unknownOutputs = new Set<string>();
  const safety = new SafetyLedger(options.assumeFenced);
  const scope: Scope = {
    params: request.params,
    steps: outputs,
    run: { id: '(plan)', startedAt: new Date().toISOString(), dryRun: true, runbook: runbook.name },
    env: request.env,
    allowedEnv: new Set(runbook.env ?? []),
  };
  const entries: PlanEntry[] = [];

  for (const [index, step] of runbook.steps.entries()) {
    const module = await loadStepModule(step.type);
    const base = { index: index + 1, id: step.id, type: step.type, title: step.title ?? module.title(step) };
    const depends = (error: unknown): PlanEntry | undefined => {
      if (error instanceof ResolveError) {
        const match = /^\$\{steps\.([a-z][a-z0-9-]*)\./.exec(error.reference);
        if (match && unknownOutputs.has(match[1])) {
          unknownOutputs.add(step.id);
          return {
            ...base,
            action: 'depends',
            summary: `depends on what step "${match[1]}" does at run time (${error.reference})`,
            details: [],
          };
        }
      }
      return undefined;
    };

    if (step.when !== undefined) {
      let runIt: boolean;
      try {
        runIt = evaluateCondition(step.when, scope, statuses);
      } catch (error) {
        const entry = depends(error);
        if (entry) {
          entries.push({ ...entry, summary: `runs or not depending on step outputs known at run time` });
          continue;
        }
        entries.push({ ...base, action: 'error', summary: (error as Error).message, details: [] });
        unknownOutputs.add(step.id);
        continue;
      }
      if (!runIt) {
        statuses.set(step.id, 'skipped');
        entries.push({ ...base, action: 'skip', summary: 'skipped: its "when" is false', details: [] });
        continue;
      }
    }

    let resolved: Step;
    try {
      resolved = resolveDeep(step, scope);
      validateResolvedStep(resolved, loaded.file);
    } catch (error) {
      const entry = depends(error);
      entries.push(entry ?? { ...base, action: 'error', summary: (error as Error).message, details: [] });
      unknownOutputs.add(step.id);
      continue;
    }

    const timeoutMs =
      resolved.timeout !== undefined ? parseDuration(String(resolved.timeout)) : module.defaultTimeoutMs;
    const controller = new AbortController();
    const relay = (): void => controller.abort(request.signal.reason);
    request.signal.addEventListener('abort', relay, { once: true });
    const timer = setTimeout(() => controller.abort(new Error('timeout')), Math.min(timeoutMs, 120_000));
    const context: StepContext = {
      runId: '(plan)',
      stepId: step.id,
      stepType: step.type,
      attempt: 1,
      signal: controller.signal,
      timeoutMs,
      mode: 'plan',
      options: { ...options, dryRun: true },
      services,
      safety,
      history: [],
      progress: async () => undefined,
      confirmFence: async (evidence) => safety.recordFence({ ...evidence, stepId: step.id, planned: true }),
      atRunEnd: () => undefined,
      output: () => undefined,
      summarySoFar: () => EMPTY_SUMMARY,
      sleep: (ms) => sleep(ms, controller.signal),
    };
    try {
      const check = await module.check(resolved, context);
      if (check.outputs) outputs[step.id] = check.outputs;
      else unknownOutputs.add(step.id);
      statuses.set(step.id, check.needed ? 'changed' : 'unchanged');
      entries.push({
        ...base,
        title: resolved.title ?? module.title(resolved),
        action: check.needed ? 'change' : 'none',
        summary: check.summary,
        details: check.details ?? [],
      });
    } catch (thrown) {
      const error = toForcedownError(thrown);
      unknownOutputs.add(step.id);
      statuses.set(step.id, 'failed');
      entries.push({
        ...base,
        action: error.isRefused ? 'refuse' : 'error',
        summary: error.message,
        details: [],
        error: { code: error.code, hint: error.hint, exitCode: error.exitCode },
      });
      if (error.isAuth || error.isInterrupted) break;
    } finally {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', relay);
    }
  }
  return entries;
}
