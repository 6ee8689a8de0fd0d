export type * from './events.interface.js';
export type { StepCatalog } from './catalog.interface.js';
export { LeaseGuard, MirrorFeed, type RunCoordination } from './coordination-hooks.js';
export { sleep } from './deadline.js';
export {
  changedSteps,
  isResumable,
  listingStatus,
  journalPath,
  listRuns,
  readJournal,
  JournalWriter,
  type JournalContents,
  type RunListing,
} from './journal.js';
export { describeLockState, lockHolders, runbookHosts, type HostLockState } from './lock-holders.js';
export { acquireRunLocks, readLock, type HeldLocks, type LockHolder } from './locks.js';
export { planRun, type PlanAction, type PlanEntry, type PlanRequest } from './plan-run.js';
export { resumeStateFrom, type ResumeState } from './resume-state.js';
export { executeRun, type RendererChoice, type RunOutcome, type RunRequest } from './run-engine.js';
export { isRunId, newRunId } from './run-id.js';
export type { ExitCodes } from './run-record.js';
export { SafetyLedger, type FenceBasis, type FenceEvidence } from './safety-ledger.js';
export type { AnyWaitNotice, Confirm, RunServices } from './services.interface.js';
export { ensurePrivateDir, resolveStateDir, stateLayout } from './state-dir.js';
export type {
  ApplyResult,
  CheckResult,
  RunOptions,
  StepContext,
  StepModule,
  StepNeed,
  StepOutcomes,
} from './step.interface.js';
