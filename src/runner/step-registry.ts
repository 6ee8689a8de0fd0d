import { invalidInput } from '../errors/index.js';
import type { StepModule } from './step.interface.js';

/**
 * Step modules by type, imported on first use (a `validate` or `--help` never loads them).
 * Each lives in src/steps/<type>.ts and exports `step`.
 */
type Loader = () => Promise<{ step: StepModule }>;
const loaders: Readonly<Record<string, Loader>> = {
  fence: () => import('../steps/fence.js') as unknown as Promise<{ step: StepModule }>,
  'power-on': () => import('../steps/power-on.js') as unknown as Promise<{ step: StepModule }>,
  'force-down': () => import('../steps/force-down.js') as unknown as Promise<{ step: StepModule }>,
  'clear-force-down': () => import('../steps/clear-force-down.js') as unknown as Promise<{ step: StepModule }>,
  disable: () => import('../steps/disable.js') as unknown as Promise<{ step: StepModule }>,
  enable: () => import('../steps/enable.js') as unknown as Promise<{ step: StepModule }>,
  'wait-service': () => import('../steps/wait-service.js') as unknown as Promise<{ step: StepModule }>,
  evacuate: () => import('../steps/evacuate.js') as unknown as Promise<{ step: StepModule }>,
  'reset-state': () => import('../steps/reset-state.js') as unknown as Promise<{ step: StepModule }>,
  approve: () => import('../steps/approve.js') as unknown as Promise<{ step: StepModule }>,
  notify: () => import('../steps/notify.js') as unknown as Promise<{ step: StepModule }>,
  command: () => import('../steps/command.js') as unknown as Promise<{ step: StepModule }>,
  wait: () => import('../steps/wait.js') as unknown as Promise<{ step: StepModule }>,
};

/** The module of a step type; an input error for a type this build does not implement. */
export async function loadStepModule(type: string): Promise<StepModule> {
  const loader = loaders[type];
  if (!loader) {
    throw invalidInput(
      'STEP_TYPE_UNAVAILABLE',
      `step type "${type}" is not available in this build of forcedown`,
      `use one of: ${Object.keys(loaders).join(', ')}`,
    );
  }
  return (await loader()).step;
}

/** Step types this build implements. */
export function implementedStepTypes(): string[] {
  return Object.keys(loaders);
}
