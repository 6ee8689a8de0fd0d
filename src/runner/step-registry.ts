import { invalidInput } from '../errors/index.js';
import type { StepModule } from './step.interface.js';

/**
 * Step modules by type, imported on first use (a `validate` or `--help` never loads them).
 * Each lives in src/steps/<type>.ts and exports `step`.
 */
type Loader = () => Promise<{ step: StepModule }>;
const loaders: Readonly<Record<string, Loader>> = {
  fence: () => import('../steps/fence.js'),
  'power-on': () => import('../steps/power-on.js'),
  'force-down': () => import('../steps/force-down.js'),
  'clear-force-down': () => import('../steps/clear-force-down.js'),
  disable: () => import('../steps/disable.js'),
  enable: () => import('../steps/enable.js'),
  'wait-service': () => import('../steps/wait-service.js'),
  evacuate: () => import('../steps/evacuate.js'),
  'reset-state': () => import('../steps/reset-state.js'),
  approve: () => import('../steps/approve.js'),
  notify: () => import('../steps/notify.js'),
  command: () => import('../steps/command.js'),
  wait: () => import('../steps/wait.js'),
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
