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
  problemsError,
  type LoadedRunbook,
  type RunbookCheck,
} from './load-runbook.js';
export { bindParams, parseVars, secretParamNames } from './params.js';
export { checkParamValue, checkRunbookSemantics } from './semantic-checks.js';
export { stepCatalog, type StepTypeInfo } from './step-catalog.js';
export { validateResolvedStep } from './resolved-step.js';
