import { toForcedownError, type ErrorKind, type ForcedownError } from '../errors/index.js';
import type { Step } from '../generated/runbook.types.js';
import type { LoadedRunbook, Scope, StepStatus } from '../runbook/index.js';
import type { StepCatalog } from './catalog.interface.js';
import { sleep, withDeadline } from './deadline.js';
import type { RunSummary } from './events.interface.js';
import { SafetyLedger } from './safety-ledger.js';
import type { RunServices } from './services.interface.js';
import { prepareStep, runScope, type ReadyStep } from './step-pipeline.js';
import type { RunOptions, StepContext, StepModule } from './step.interface.js';

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
  /** For refuse/error: the error's code, hint and kind. */
  readonly error?: { readonly code: string; readonly hint: string; readonly kind: ErrorKind };
}

/** Options of {@link planRun}. */
export interface PlanRequest {
  readonly loaded: LoadedRunbook;
  readonly params: Readonly<Record<string, unknown>>;
  readonly options: RunOptions;
  /** The step types (the CLI hands `src/steps/catalog.ts`). */
  readonly catalog: StepCatalog;
  readonly services: RunServices;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal: AbortSignal;
}

/** A plan's checks get at most this long each, whatever the step's own timeout. */
const PLAN_CHECK_MAX_MS = 120_000;

const EMPTY_SUMMARY: RunSummary = {
  status: 'succeeded',
  exitCode: 0,
  steps: { changed: 0, unchanged: 0, skipped: 0, failed: 0, 'not-run': 0 },
  stepResults: [],
  servers: [],
  durationMs: 0,
  dryRun: true,
};

/** What a plan carries from step to step. */
interface PlanState {
  readonly request: PlanRequest;
  readonly scope: Scope;
  readonly outputs: Record<string, Readonly<Record<string, unknown>> | undefined>;
  readonly statuses: Map<string, StepStatus>;
  /** Steps whose outputs are known only at run time. */
  readonly unknownOutputs: Set<string>;
  readonly safety: SafetyLedger;
}

type Base = Pick<PlanEntry, 'index' | 'id' | 'type' | 'title'>;

function errorEntry(base: Base, error: ForcedownError): PlanEntry {
  return {
    ...base,
    action: error.isRefused ? 'refuse' : 'error',
    summary: error.message,
    details: [],
    error: { code: error.code, hint: error.hint, kind: error.kind },
  };
}

/** A step that cannot be prepared because it uses outputs an earlier step produces only at run time. */
function dependsEntry(
  base: Base,
  reference: string | undefined,
  fromWhen: boolean,
  state: PlanState,
): PlanEntry | undefined {
  const step = reference === undefined ? undefined : /^\$\{steps\.([a-z][a-z0-9-]*)\./.exec(reference)?.[1];
  if (step === undefined || !state.unknownOutputs.has(step)) return undefined;
  const summary = fromWhen
    ? 'runs or not depending on step outputs known at run time'
    : `depends on what step "${step}" does at run time (${reference})`;
  return { ...base, action: 'depends', summary, details: [] };
}

function planContext(step: Step, ready: ReadyStep, signal: AbortSignal, state: PlanState): StepContext {
  return {
    runId: '(plan)',
    stepId: step.id,
    stepType: step.type,
    attempt: 1,
    signal,
    timeoutMs: ready.timeoutMs,
    mode: 'plan',
    options: { ...state.request.options, dryRun: true },
    services: state.request.services,
    safety: state.safety,
    history: [],
    progress: async () => undefined,
    confirmFence: async (evidence) => state.safety.recordFence({ ...evidence, stepId: step.id, planned: true }),
    atRunEnd: () => undefined,
    output: () => undefined,
    summarySoFar: () => EMPTY_SUMMARY,
    sleep: (ms) => sleep(ms, signal),
  };
}

/** Checks one ready step; its entry. */
async function checkStep(
  step: Step,
  ready: ReadyStep,
  module: StepModule,
  base: Base,
  state: PlanState,
): Promise<PlanEntry> {
  const deadline = {
    stepId: step.id,
    timeoutMs: Math.min(ready.timeoutMs, PLAN_CHECK_MAX_MS),
    runSignal: state.request.signal,
    timeoutError: () => module.timeoutError?.(ready.resolved, ready.timeoutMs),
  };
  try {
    const check = await withDeadline(deadline, (signal) =>
      module.check(ready.resolved, planContext(step, ready, signal, state)),
    );
    if (check.outputs) state.outputs[step.id] = check.outputs;
    else state.unknownOutputs.add(step.id);
    state.statuses.set(step.id, check.needed ? 'changed' : 'unchanged');
    return {
      ...base,
      title: ready.resolved.title ?? module.title(ready.resolved),
      action: check.needed ? 'change' : 'none',
      summary: check.summary,
      details: check.details ?? [],
    };
  } catch (thrown) {
    state.unknownOutputs.add(step.id);
    state.statuses.set(step.id, 'failed');
    return errorEntry(base, toForcedownError(thrown));
  }
}

/** Takes one step through the pipeline and, when it is ready, its check. */
async function planStep(step: Step, index: number, state: PlanState): Promise<PlanEntry> {
  const { request } = state;
  const module = await request.catalog.load(step.type);
  const base: Base = { index: index + 1, id: step.id, type: step.type, title: step.title ?? module.title(step) };
  const prepared = prepareStep({
    step,
    module,
    scope: state.scope,
    statuses: state.statuses,
    catalog: request.catalog,
    file: request.loaded.file,
  });
  if (prepared.kind === 'skip') {
    state.statuses.set(step.id, 'skipped');
    return { ...base, action: 'skip', summary: 'skipped: its "when" is false', details: [] };
  }
  if (prepared.kind === 'failed') {
    state.unknownOutputs.add(step.id);
    return (
      dependsEntry(base, prepared.reference, prepared.error.code === 'WHEN_FAILED', state) ??
      errorEntry(base, prepared.error)
    );
  }
  return checkStep(step, prepared, module, base, state);
}

/**
 * The ordered list of what each step would do given the live state, changing nothing: every
 * step goes through the same pipeline as in a run (when, references, validation, timeout), then
 * its read-only `check`. Outputs a step predicts feed later steps; where a later step depends on
 * outputs only a real run produces, it is marked `depends`. A fence step counts as "would be
 * confirmed" for the steps after it; a refusal (e.g. force-down without a fence) is shown as
 * `refuse`. Authentication failures and interruptions end the plan.
 */
export async function planRun(request: PlanRequest): Promise<PlanEntry[]> {
  const outputs: PlanState['outputs'] = {};
  const state: PlanState = {
    request,
    outputs,
    scope: runScope(
      request.loaded,
      request.params,
      request.env,
      { id: '(plan)', startedAt: new Date().toISOString(), dryRun: true },
      outputs,
    ),
    statuses: new Map(),
    unknownOutputs: new Set(),
    safety: new SafetyLedger(request.options.assumeFenced),
  };
  const entries: PlanEntry[] = [];
  for (const [index, step] of request.loaded.runbook.steps.entries()) {
    const entry = await planStep(step, index, state);
    entries.push(entry);
    if (entry.error?.kind === 'auth' || entry.error?.kind === 'interrupted') break;
  }
  return entries;
}
