export { ConditionError, evaluateCondition, type StepStatus } from './conditions.js';
export { formatDuration, parseDuration } from './durations.js';
export {
  RUN_FIELDS,
  ResolveError,
  TemplateError,
  collectReferences,
  hasReference,
  parseTemplate,
  resolveDeep,
  resolveTemplate,
  type Reference,
  type Scope,
  type TemplatePart,
} from './interpolation.js';
export {
  checkRunbookText,
  loadRunbook,
  loadRunbookText,
  type LoadedRunbook,
  type RunbookCheck,
} from './load-runbook.js';
export { bindParams, collectVars, parseVars, secretParamNames, varsFromFileText } from './params.js';
export { checkParamValue, checkRunbookSemantics } from './semantic-checks.js';
export { stepCatalog, type StepTypeInfo } from './step-catalog.js';
export { validateResolvedStep } from './resolved-step.js';
// the list-of-problems error lives in src/validation (inventory uses it too)
export { problemsError } from '../validation/index.js';
