import { userInfo } from 'node:os';
import { refused, type ForcedownError } from '../errors/index.js';
import type { ApproveStep } from '../generated/runbook.types.js';
import type { StepModule } from './step.interface.js';

function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown user';
  }
}

/** `--approve all`: every approve step of the run is passed (for CI, where a runbook's author wants that). */
export const APPROVE_ALL = 'all';

/** How this gate was approved in advance on the command line, if it was. `--yes` never approves a gate. */
function approvedInAdvance(stepId: string, approve: ReadonlySet<string>): string | undefined {
  if (approve.has(stepId)) return `--approve ${stepId}`;
  if (approve.has(APPROVE_ALL)) return `--approve ${APPROVE_ALL}`;
  return undefined;
}

/** The refusal of a gate nobody can answer: no terminal, and not approved in advance. */
function approvalRequired(stepId: string, message: string): ForcedownError {
  return refused(
    'APPROVAL_REQUIRED',
    `step "${stepId}" needs approval: ${message}`,
    `once someone has approved it, re-run (or resume) at a terminal to answer, or with --approve ${stepId} (--approve ${APPROVE_ALL} passes every approve step); --yes confirms the run, not its approve steps`,
    { stepId },
  );
}

/**
 * `approve`: a human gate. Passed only by an answer at a terminal, or in advance by
 * `--approve STEP-ID` / `--approve all` (recorded as such). `--yes` confirms the run, not its
 * gates: at a terminal the gate still asks; without one and without `--approve` the run stops
 * here with exit 3. A refusal at the prompt also stops the run (exit 3).
 */
export const step: StepModule<ApproveStep> = {
  type: 'approve',
  defaultTimeoutMs: 24 * 3_600_000,
  // waits, asks or tells: changes nothing a run must report as changed
  sideEffects: false,
  title: (s) => `approval: ${s.message.slice(0, 60)}`,
  // unattended and not approved in advance: refused in pre-flight, before the run's first action
  certainRefusal: (s, { stepId, options }) =>
    options.dryRun || options.interactive || approvedInAdvance(stepId, options.approve) !== undefined
      ? undefined
      : approvalRequired(stepId, s.message),
  async check(s, context) {
    const preapproved = approvedInAdvance(context.stepId, context.options.approve);
    return {
      needed: true,
      summary: preapproved
        ? `approved in advance by ${preapproved}: "${s.message}"`
        : context.options.interactive
          ? `would ask: "${s.message}"`
          : `needs --approve ${context.stepId} (no terminal to ask on; --yes does not pass approve steps): "${s.message}"`,
      outputs: { approvedBy: preapproved ?? '(at run time)', approvedAt: '(at run time)' },
    };
  },
  async apply(s, context) {
    const approvedAt = new Date().toISOString();
    const how = approvedInAdvance(context.stepId, context.options.approve);
    if (how !== undefined) {
      const approvedBy = `${operator()} (${how})`;
      await context.progress('approval', { approvedBy, approvedAt, message: s.message });
      return { summary: `approved by ${approvedBy}`, outputs: { approvedBy, approvedAt } };
    }
    if (!context.services.confirm) throw approvalRequired(context.stepId, s.message);
    const yes = await context.services.confirm(s.message, context.signal);
    if (!yes)
      throw refused(
        'APPROVAL_DENIED',
        `approval denied at step "${context.stepId}": ${s.message}`,
        'nothing after this step ran; resume the run when it is approved',
        { stepId: context.stepId },
      );
    const approvedBy = `${operator()} (at the terminal)`;
    await context.progress('approval', { approvedBy, approvedAt, message: s.message });
    return { summary: `approved by ${approvedBy}`, outputs: { approvedBy, approvedAt } };
  },
  async confirmJournaled() {
    return true;
  },
};
