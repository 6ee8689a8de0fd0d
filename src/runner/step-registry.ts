import { invalidInput } from '../errors/index.js';
import type { StepModule } from './step.interface.js';

/**
 * Step modules by type, imported on first use (a `validate` or `--help` never loads them).
 * Each lives in src/steps/<type>.ts and exports `step`.
 */
const loaders: Readonly<Record<string, () => Promise<{ step: StepModule }>>> = {
  command: () => import('../steps/command.js') as Promise<{ step: StepModule }>,
  wait: () => import('../steps/wait.js') as Promise<{ step: StepModule }>,
};

/** The module of a step type; an input error for a type this build does not implement. */
export async function loadStepModule(type: string): Promise<StepModule> {
  const loader = loaders[type];
  if (!loader) {
    throw invalidInput('STEP_TYPE_UNAVAILABLE', `step type "${type}" is not available in this build of forcedown`, `use one of: ${Object.keys(loaders).join(', ')}`);
  }
  return (await loader()).step;
}

/** Step types this build implements. */
export function implementedStepTypes(): string[] {
  return Object.keys(loaders);
}
