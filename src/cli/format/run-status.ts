import type { RunStatus } from '../../runner/index.js';

/** How `forcedown runs` and the end-of-run summary name a run's outcome. */
export const STATUS_LABEL: Readonly<Record<RunStatus | 'incomplete', string>> = {
  succeeded: 'succeeded',
  failed: 'failed',
  'failed-after-changes': 'failed after changes',
  refused: 'refused',
  invalid: 'invalid (nothing done)',
  'auth-failed': 'auth failed',
  interrupted: 'interrupted',
  incomplete: 'incomplete',
};
