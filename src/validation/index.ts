export {
  JsonSyntaxError,
  MAX_DEPTH,
  escapePointerSegment,
  parseJsonDocument,
  toPointer,
  type JsonDocument,
  type Position,
} from './json-document.js';
export { problemsFromAjv } from './format-errors.js';
export { MAX_PROBLEMS, boundProblem, formatProblem, sortProblems, type Problem } from './problem.js';
export {
  loadSchema,
  packageRoot,
  schemaPath,
  validateAgainst,
  validatorFor,
  type SchemaName,
} from './schema-registry.js';
export { closest, didYouMean, editDistance } from './suggest.js';
export {
  MAX_COLLECTION_ENTRIES,
  MAX_DOCUMENT_VALUES,
  documentFormat,
  parseDocumentText,
  validateDocumentText,
  type DocumentFormat,
  type DocumentValidation,
} from './validate-document.js';
export {
  MAX_ALIASES,
  MAX_EXPANDED_VALUES,
  MAX_FLOW_DEPTH,
  MAX_YAML_BYTES,
  flowDepth,
  parseYamlDocument,
  yamlBoundProblem,
} from './yaml-document.js';
export { escapeForTerminal } from './terminal-text.js';
export { matchHostName, type HostNameMatch } from './host-names.js';
export { hasUrlCredentials, isLoopbackHost, urlCredentialProblems } from './urls.js';
export { formatDuration, parseDuration } from './durations.js';
export { problemsError } from './problems-error.js';
