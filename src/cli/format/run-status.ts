/** How `forcedown runs` and the end-of-run summary name a run's outcome (shared with `show`). */
export { STATUS_LABEL } from '../../report/index.js';
