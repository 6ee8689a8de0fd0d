import type { RunOutcome } from '../../runner/index.js';
import { renderTable } from './table.js';

/** The end-of-run summary for humans: steps, servers, outcome, where the journal is. */
export function formatSummary(outcome: RunOutcome): string {
  const { summary } = outcome;
  const lines: string[] = [''];
  lines.push(
    renderTable(
      ['STEP', 'TYPE', 'STATUS', 'RESULT'],
      summary.stepResults.map((s) => [
        s.id,
        s.type,
        summary.dryRun && s.status === 'changed' ? 'would change' : s.status,
        s.summary.split('\n')[0].slice(0, 120),
      ]),
    ),
  );
  if (summary.servers.length > 0) {
    lines.push('');
    lines.push(
      renderTable(
        ['SERVER', 'NAME', 'RESULT', 'FROM', 'TO', 'REASON'],
        summary.servers.map((s) => [s.id, s.name, s.result, s.fromHost ?? '', s.toHost ?? '', s.reason ?? '']),
      ),
    );
  }
  lines.push('');
  const counts = summary.steps;
  lines.push(
    `run ${outcome.runId} ${summary.status}${summary.dryRun ? ' (dry run: nothing was changed)' : ''}: ${counts.changed} ${summary.dryRun ? 'would change' : 'changed'}, ${counts.unchanged} unchanged, ${counts.skipped} skipped, ${counts.failed} failed, ${counts['not-run']} not run (exit ${summary.exitCode})`,
  );
  if (summary.error) {
    lines.push(`error: ${summary.error.message}`);
    lines.push(`what to do: ${summary.error.hint}`);
  }
  lines.push(`journal: ${outcome.journalPath}`);
  if (summary.status === 'interrupted' || summary.status === 'failed')
    lines.push(`continue with: forcedown resume ${outcome.runId}`);
  return lines.join('\n');
}
