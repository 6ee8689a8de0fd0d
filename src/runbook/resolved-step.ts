import { invalidInput } from '../errors/index.js';
import type { Step } from '../generated/runbook.types.js';
import { validateAgainst, problemsFromAjv, formatProblem, parseJsonDocument } from '../validation/index.js';

/**
 * Re-validates a step after interpolation: `${params.concurrency}` may have resolved to "ten".
 * The same schema is used (a resolved value must match the concrete alternative of each field).
 */
export function validateResolvedStep(step: Step, file: string): void {
  const probe = { name: 'resolved', steps: [step] };
  const errors = validateAgainst('runbook', probe);
  if (errors.length === 0) return;
  const document = parseJsonDocument(JSON.stringify(probe));
  const problems = problemsFromAjv(errors, `${file} (step "${step.id}" after interpolation)`, document).map(
    (problem) => ({
      ...problem,
      pointer: problem.pointer.replace(/^\/steps\/0/, ''),
      position: undefined,
    }),
  );
  throw invalidInput(
    'RESOLVED_STEP_INVALID',
    `step "${step.id}" is invalid once its references are resolved:\n  ${problems.map(formatProblem).join('\n  ')}`,
    'check the --var values and the outputs this step references',
  );
}
