import type { Step } from '../generated/runbook.types.js';
import type { StepModule } from './step.interface.js';

/**
 * The step types a run may use, handed to the runner by the composition root (the CLI gives it
 * `src/steps/catalog.ts`; tests may give their own). The runner knows no step type but through
 * this.
 */
export interface StepCatalog {
  /** The step types this catalog implements. */
  readonly types: readonly string[];
  /**
   * The module of a step type (its declaration and behaviour), loaded on first use. Rejects with
   * an input error (`STEP_TYPE_UNAVAILABLE`) for a type the catalog does not have.
   */
  load(type: string): Promise<StepModule>;
  /**
   * Checks a step once its references are resolved (`${params.concurrency}` may have resolved
   * to "ten"); throws an input error naming each problem.
   */
  validateResolved(step: Step, file: string): void;
}
