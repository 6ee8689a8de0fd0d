import { userInfo } from 'node:os';
import { refused } from '../errors/index.js';
import type { ApproveStep } from '../generated/runbook.types.js';
import type { StepModule } from '../runner/step.interface.js';

function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown user';
  }
}

/**
 * `approve`: a human gate. Approved in advance by --yes or --approve STEP-ID (recorded as such);
 * otherwise asked on a terminal; otherwise the run stops here with exit 3. A refusal at the
 * prompt also stops the run (exit 3).
 */
export const step: StepModule<ApproveStep> = {
  type: 'approve',
  defaultTimeoutMs: 24 * 3_600_000,
  // waits, asks or tells: changes nothing a run must report as changed
  sideEffects: false,
  title: (s) => `approval: ${s.message.slice(0, 60)}`,
  async check(s, context) {
    const preapproved = context.options.yes
      ? '--yes'
      : context.options.approve.has(context.stepId)
        ? `--approve ${context.stepId}`
        : undefined;
    return {
      needed: true,
      summary: preapproved
        ? `approved in advance by ${preapproved}: "${s.message}"`
        : context.options.interactive
          ? `would ask: "${s.message}"`
          : `needs --yes or --approve ${context.stepId} (no terminal to ask on): "${s.message}"`,
      outputs: { approvedBy: preapproved ?? '(at run time)', approvedAt: '(at run time)' },
    };
  },
  async apply(s, context) {
    const approvedAt = new Date().toISOString();
    if (context.options.yes || context.options.approve.has(context.stepId)) {
      const how = context.options.yes ? '--yes' : `--approve ${context.stepId}`;
      const approvedBy = `${operator()} (${how})`;
      await context.progress('approval', { approvedBy, approvedAt, message: s.message });
      return { summary: `approved by ${approvedBy}`, outputs: { approvedBy, approvedAt } };
    }
    if (!context.services.confirm) {
      throw refused(
        'APPROVAL_REQUIRED',
        `step "${context.stepId}" needs approval: ${s.message}`,
        `re-run (or resume) with --approve ${context.stepId} or --yes once someone has approved it; no terminal was available to ask`,
        { stepId: context.stepId },
      );
    }
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
