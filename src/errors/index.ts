export { ExitCode, exitCodeName } from './exit-codes.js';
export {
  ForcedownError,
  authFailed,
  interrupted,
  invalidInput,
  isForcedownError,
  operationFailed,
  refused,
  toForcedownError,
  type ForcedownErrorOptions,
} from './forcedown-error.js';
