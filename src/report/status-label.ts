import type { RunStatus } from '../runner/index.js';

/** How `forcedown runs`, the end-of-run summary and a run's story name its outcome. */
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
