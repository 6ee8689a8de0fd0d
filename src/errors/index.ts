export {
  ForcedownError,
  authFailed,
  interrupted,
  invalidInput,
  isForcedownError,
  operationFailed,
  refused,
  toForcedownError,
  type ErrorKind,
  type ForcedownErrorJson,
  type ForcedownErrorOptions,
} from './forcedown-error.js';
