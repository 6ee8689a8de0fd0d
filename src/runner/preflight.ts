import { operationFailed, toForcedownError, type ForcedownError } from '../errors/index.js';
import type { Step } from '../generated/runbook.types.js';
import { formatDuration, hasReference, type Scope } from '../runbook/index.js';
import type { StepCatalog } from './catalog.interface.js';
import { untilAborted, withDeadline } from './deadline.js';
import type { AnyWaitNotice, RunServices } from './services.interface.js';
import { knownHosts, prepareStep, type PreparedStep } from './step-pipeline.js';
import type { RunOptions, StepModule, StepNeed } from './step.interface.js';

/**
 * Pre-flight: everything a run needs is checked before its first action. Every step goes
 * through the pipeline as far as it can before the run (values that only earlier steps produce
 * are left for the run), then what the steps declare they need is loaded and checked: first
 * what needs no contact (inventory entries, password sources, the cloud configuration), then,
 * only if all of that is fine, Keystone and Nova reads (sign-in, microversion, each named
 * host's compute service). No BMC is contacted.
 */

/** One problem pre-flight found, on the first step it concerns. */
export interface PreflightProblem {
  readonly stepId: string;
  readonly error: ForcedownError;
}

/** What pre-flight found. */
export interface PreflightResult {
  /** Each distinct problem once, in step order; empty when the run may start. */
  readonly problems: readonly PreflightProblem[];
  /** Each step as the pipeline prepared it before the run. */
  readonly prepared: ReadonlyMap<string, PreparedStep>;
}

/** What {@link preflight} needs. */
export interface PreflightInput {
  readonly steps: readonly Step[];
  readonly modules: ReadonlyMap<string, StepModule>;
  readonly scope: Scope;
  readonly catalog: StepCatalog;
  readonly file: string;
  readonly services: RunServices;
  readonly options: RunOptions;
  /** Steps a resumed run's journal says finished (their gates were passed already). */
  readonly finished?: ReadonlySet<string>;
  readonly signal: AbortSignal;
  /** A call that keeps waiting (the sign-in...), on behalf of the step whose need it checks. */
  readonly onWait?: (stepId: string, notice: AnyWaitNotice) => void;
}

/** The steps that need a service: the first of them, and each host with the first step naming it. */
interface Wanted {
  readonly firstStep: string;
  readonly hosts: Map<string, string>;
}

/** How a check reaches the services: each read under the time limit of the step it is for. */
interface CheckContext {
  readonly services: RunServices;
  readonly within: <T>(stepId: string, work: (signal: AbortSignal) => Promise<T>) => Promise<T>;
}

class Problems {
  readonly list: PreflightProblem[] = [];
  add(stepId: string, thrown: unknown): void {
    const error = toForcedownError(thrown);
    if (this.list.some((p) => p.error.code === error.code && p.error.message === error.message)) return;
    this.list.push({ stepId, error });
  }
}

type Check = (context: CheckContext, wanted: Wanted, problems: Problems) => Promise<void>;

const checkPower: Check = async ({ services }, wanted, problems) => {
  for (const [host, stepId] of wanted.hosts)
    await services.power(host).catch((error: unknown) => problems.add(stepId, error));
};

const checkCloudConfig: Check = async ({ services }, wanted, problems) => {
  await services.checkOpenStackConfig?.().catch((error: unknown) => problems.add(wanted.firstStep, error));
};

const checkCloud: Check = async ({ services, within }, wanted, problems) => {
  let client;
  try {
    client = await within(wanted.firstStep, (signal) => untilAborted(services.openstack(), signal));
  } catch (error) {
    problems.add(wanted.firstStep, error);
    return;
  }
  for (const [host, stepId] of wanted.hosts)
    await within(stepId, (signal) => client.compute.findComputeService(host, { signal })).catch((error: unknown) =>
      problems.add(stepId, error),
    );
};

/** How each need is checked: `local` contacts nothing; `remote` only reads (Keystone, Nova). */
const CHECKS: { readonly [N in StepNeed]: { readonly local?: Check; readonly remote?: Check } } = {
  power: { local: checkPower },
  openstack: { local: checkCloudConfig, remote: checkCloud },
};

/**
 * A read pre-flight makes for a step stays within that step's timeout (a sign-in that does not
 * answer ends the run as the step would), and says what it waits for on the step's behalf.
 */
function checkContext(input: PreflightInput, prepared: ReadonlyMap<string, PreparedStep>): CheckContext {
  return {
    services: input.services,
    within: async (stepId, work) => {
      const step = prepared.get(stepId);
      const timeoutMs =
        step?.kind === 'ready'
          ? step.timeoutMs
          : input.modules.get(input.steps.find((s) => s.id === stepId)!.type)!.defaultTimeoutMs;
      input.services.routeWaits?.((notice) => input.onWait?.(stepId, notice));
      try {
        return await withDeadline(
          {
            stepId,
            timeoutMs,
            runSignal: input.signal,
            timeoutError: () =>
              operationFailed(
                'PREFLIGHT_TIMEOUT',
                `pre-flight of step "${stepId}" did not finish within ${formatDuration(timeoutMs)} (signing in, looking up services)`,
                'find out why Keystone or Nova is slow, or raise the step\'s "timeout" in the runbook',
                { timeoutMs },
              ),
          },
          work,
        );
      } finally {
        input.services.routeWaits?.(undefined);
      }
    },
  };
}

/** Runs pre-flight; never throws (problems are the result). */
export async function preflight(input: PreflightInput): Promise<PreflightResult> {
  const problems = new Problems();
  const prepared = new Map<string, PreparedStep>();
  const wanted = new Map<StepNeed, Wanted>();
  for (const step of input.steps) {
    const module = input.modules.get(step.type)!;
    const result = prepareStep({ ...input, step, module, statuses: new Map(), beforeRun: true });
    prepared.set(step.id, result);
    if (result.kind === 'failed') problems.add(step.id, result.error);
    if (result.kind === 'skip') continue;
    if (result.kind === 'ready' && result.runs && !input.finished?.has(step.id) && !result.resolved.continueOnError) {
      const refusal = module.certainRefusal?.(result.resolved, { stepId: step.id, options: input.options });
      if (refusal) problems.add(step.id, refusal);
    }
    // a step with a problem still has its needs checked: every problem is reported at once
    const hosts =
      result.kind === 'ready'
        ? (module.hosts?.(result.resolved) ?? []).filter((host) => host !== '' && !hasReference(host))
        : knownHosts(module, step, input.scope);
    for (const need of module.needs ?? []) {
      const entry = wanted.get(need) ?? { firstStep: step.id, hosts: new Map<string, string>() };
      for (const host of hosts) if (!entry.hosts.has(host)) entry.hosts.set(host, step.id);
      wanted.set(need, entry);
    }
  }
  // everything that contacts nothing is checked in any case (all problems at once); Keystone and
  // Nova are read only when all of it is fine
  const context = checkContext(input, prepared);
  for (const [need, entry] of wanted) await CHECKS[need].local?.(context, entry, problems);
  if (problems.list.length === 0)
    for (const [need, entry] of wanted) await CHECKS[need].remote?.(context, entry, problems);
  const order = new Map(input.steps.map((step, index) => [step.id, index]));
  problems.list.sort((a, b) => order.get(a.stepId)! - order.get(b.stepId)!);
  return { problems: problems.list, prepared };
}
