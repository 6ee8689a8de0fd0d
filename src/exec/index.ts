export { ExecError, type ExecErrorFacts } from './exec-error.js';
export { SPAWN_AUDIT_ENV, run, spawnHistory } from './exec.js';
export type { ExecOptions, ExecRecord, ExecResult } from './exec.interface.js';
