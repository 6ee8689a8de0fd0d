/** The catalog the CLI hands the runner: part of the step contract (src/steps/step.interface.ts). */
export type { StepCatalog } from '../steps/step.interface.js';
