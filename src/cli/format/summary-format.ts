import { isResumable, type RunOutcome, type RunSummary } from '../../runner/index.js';
import { STATUS_LABEL } from './run-status.js';
import { renderTable } from './table.js';

function stepTable(summary: RunSummary): string {
  return renderTable(
    ['STEP', 'TYPE', 'STATUS', 'RESULT'],
    summary.stepResults.map((s) => [
      s.id,
      s.type,
      summary.dryRun && s.status === 'changed' ? 'would change' : s.status,
      s.summary.split('\n')[0].slice(0, 120),
    ]),
  );
}

function serverTable(summary: RunSummary): string {
  return renderTable(
    ['SERVER', 'NAME', 'RESULT', 'FROM', 'TO', 'REASON'],
    summary.servers.map((s) => [s.id, s.name, s.result, s.fromHost ?? '', s.toHost ?? '', s.reason ?? '']),
  );
}

/** What a run that did not succeed had changed before it stopped, one step a line. */
function changesMade(summary: RunSummary): string[] {
  if (summary.status === 'succeeded' || !summary.changed?.length) return [];
  const byId = new Map(summary.stepResults.map((s) => [s.id, s]));
  return [
    'changed before the run stopped:',
    ...summary.changed.map((id) => `  ${id}: ${(byId.get(id)?.summary ?? '').split('\n')[0].slice(0, 120)}`),
  ];
}

/**
 * The end-of-run summary for humans: steps, servers, outcome, what had changed when a run did not
 * succeed, where the journal is, and how to continue a run that can be resumed.
 */
export function formatSummary(outcome: RunOutcome): string {
  const { summary } = outcome;
  const lines: string[] = ['', stepTable(summary)];
  if (summary.servers.length > 0) lines.push('', serverTable(summary));
  lines.push('');
  const counts = summary.steps;
  lines.push(
    `run ${outcome.runId} ${STATUS_LABEL[summary.status]}${summary.dryRun ? ' (dry run: nothing was changed)' : ''}: ${counts.changed} ${summary.dryRun ? 'would change' : 'changed'}, ${counts.unchanged} unchanged, ${counts.skipped} skipped, ${counts.failed} failed, ${counts['not-run']} not run (exit ${summary.exitCode})`,
  );
  if (summary.preflightFailed)
    lines.push('pre-flight stopped the run before its first action: nothing was changed, no BMC was contacted');
  lines.push(...changesMade(summary));
  if (summary.error) {
    lines.push(`error: ${summary.error.message}`);
    lines.push(`what to do: ${summary.error.hint}`);
  }
  lines.push(`journal: ${outcome.journalPath}`);
  if (isResumable(summary.status, summary.dryRun)) lines.push(`continue with: forcedown resume ${outcome.runId}`);
  return lines.join('\n');
}
