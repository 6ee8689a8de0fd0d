export { DESIRED_STATE_ENV, buildApp, synthesizeApp, type SynthesizeOptions } from './app.js';
export {
  checkDesiredState,
  loadDesiredState,
  resourceName,
  type DesiredFailedHost,
  type DesiredHealthyHost,
  type DesiredHost,
  type DesiredMaintenanceHost,
  type DesiredProvider,
  type DesiredState,
} from './desired-state.js';
export { DesiredStateStack } from './stack.js';
