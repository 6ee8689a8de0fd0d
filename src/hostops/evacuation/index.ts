/**
 * The evacuation engine (issue 12/16): plan (plan.ts), resume from the journal through an
 * interface (journal.ts, resume.ts), send (send.ts), poll (poll.ts); matching of migration
 * records to requests in one place (matching.ts). `src/steps/evacuate.ts` is its runbook adapter.
 */
export { evacuate, type EvacuationInput } from './engine.js';
export { LATE_REQUEST_GRACE_MS } from './resume.js';
export { EVACUABLE_TAG, classifyServers, describePlan, restoreTarget } from './plan.js';
export { AdaptiveConcurrency } from './concurrency.js';
export { belongs, floorAt, recordOf, type RequestFloor } from './matching.js';
export { leftovers, replay, type JournaledRequest, type Replayed } from './journal.js';
export type {
  Classified,
  ConcurrencyReport,
  EvacuationFact,
  EvacuationJournal,
  EvacuationOutcome,
  EvacuationPorts,
  EvacuationResult,
  EvacuationSettings,
  RestoreTo,
  ServerPlan,
  ServerVerdict,
} from './types.js';
