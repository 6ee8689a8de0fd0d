/** The step contract lives with the steps (src/steps/step.interface.ts); the runner implements it. */
export type {
  ApplyResult,
  CheckResult,
  JournaledStep,
  RunOptions,
  SafetyView,
  StepContext,
  StepModule,
  StepNeed,
  StepOutcomes,
} from '../steps/step.interface.js';
