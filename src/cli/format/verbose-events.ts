import type { RunEvent } from '../../runner/index.js';

/** Data fields worth a line, in order (the rest stay in the journal). */
const FIELDS = ['name', 'serverId', 'attempt', 'attempts', 'result', 'toHost', 'reason', 'driver', 'target'];

function facts(data: Readonly<Record<string, unknown>> | undefined): string {
  if (data === undefined) return '';
  return FIELDS.filter((key) => data[key] !== undefined && data[key] !== null && data[key] !== '')
    .map((key) => `${key}=${typeof data[key] === 'string' ? data[key] : JSON.stringify(data[key])}`)
    .join(' ');
}

/** `--verbose`: one stderr line per recorded fact (progress, retries, the safety record). */
export function verboseLine(event: RunEvent): string | undefined {
  const at = event.ts.slice(11, 23);
  switch (event.event) {
    case 'step.progress':
      return `forcedown: ${at} ${event.stepId}: ${event.kind} ${facts(event.data)}`.trimEnd();
    case 'step.retrying':
      return `forcedown: ${at} ${event.stepId}: attempt ${event.attempt} failed (${event.error.message}); retrying in ${event.delayMs} ms`;
    case 'safety.fence-confirmed':
    case 'safety.assumed-fenced':
    case 'safety.lock-broken':
      return `forcedown: ${at} ${event.event} ${event.host} ${event.reason ?? facts(event.data)}`.trimEnd();
    default:
      return undefined;
  }
}
