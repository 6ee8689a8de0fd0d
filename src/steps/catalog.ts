import { invalidInput } from '../errors/index.js';
import type { Step } from '../generated/runbook.types.js';
import { validateResolvedStep } from '../runbook/index.js';
import type { StepCatalog, StepModule } from './step.interface.js';

/** A step type's module, imported on first use (a `validate` or `--help` loads none). */
type Loaders = { readonly [T in Step['type']]: () => Promise<StepModule<Extract<Step, { type: T }>>> };

/**
 * Every step type of this build: one line each. The keys are checked against the runbook
 * schema's step types (`Step['type']`): a type without a line here, or a module declaring
 * another type, fails the typecheck.
 */
const loaders: Loaders = {
  fence: async () => (await import('./fence.js')).step,
  'power-on': async () => (await import('./power-on.js')).step,
  'force-down': async () => (await import('./force-down.js')).step,
  'clear-force-down': async () => (await import('./clear-force-down.js')).step,
  disable: async () => (await import('./disable.js')).step,
  enable: async () => (await import('./enable.js')).step,
  'wait-service': async () => (await import('./wait-service.js')).step,
  evacuate: async () => (await import('./evacuate.js')).step,
  'reset-state': async () => (await import('./reset-state.js')).step,
  approve: async () => (await import('./approve.js')).step,
  notify: async () => (await import('./notify.js')).step,
  command: async () => (await import('./command.js')).step,
  wait: async () => (await import('./wait.js')).step,
};

const table: ReadonlyMap<string, () => Promise<StepModule>> = new Map(Object.entries(loaders));

/** The step catalog the CLI hands to the runner. */
export const catalog: StepCatalog = {
  types: [...table.keys()],
  async load(type) {
    const loader = table.get(type);
    if (!loader) {
      throw invalidInput(
        'STEP_TYPE_UNAVAILABLE',
        `step type "${type}" is not available in this build of forcedown`,
        `use one of: ${[...table.keys()].join(', ')}`,
      );
    }
    return loader();
  },
  validateResolved: validateResolvedStep,
};
