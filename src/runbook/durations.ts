// Durations live in src/validation (below openstack, which parses deadline overrides); kept here
// so runbook code and its callers keep one import path.
export { formatDuration, parseDuration } from '../validation/durations.js';
