export { ExecError, type ExecErrorFacts } from './exec-error.js';
export { run, spawnHistory } from './exec.js';
export type { ExecOptions, ExecRecord, ExecResult } from './exec.interface.js';
