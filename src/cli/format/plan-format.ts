import type { PlanEntry } from '../../runner/index.js';

const MARK: Readonly<Record<PlanEntry['action'], string>> = {
  change: '~',
  none: '=',
  skip: '-',
  depends: '?',
  refuse: '!',
  error: 'x',
};

const WORD: Readonly<Record<PlanEntry['action'], string>> = {
  change: 'will change',
  none: 'no change',
  skip: 'skipped',
  depends: 'decided at run time',
  refuse: 'REFUSED',
  error: 'ERROR',
};

/** A plan as text: one block per step, then a legend line with counts. */
export function formatPlan(runbookName: string, entries: readonly PlanEntry[]): string {
  const lines = [`Plan for runbook "${runbookName}" (nothing has been changed):`, ''];
  for (const entry of entries) {
    lines.push(
      `${MARK[entry.action]} ${String(entry.index).padStart(2)}. ${entry.id} (${entry.type}) — ${WORD[entry.action]}`,
    );
    lines.push(`      ${entry.summary}`);
    for (const detail of entry.details.slice(0, 50)) lines.push(`        ${detail}`);
    if (entry.details.length > 50) lines.push(`        ... and ${entry.details.length - 50} more`);
    if (entry.error) lines.push(`      what to do: ${entry.error.hint}`);
  }
  const count = (action: PlanEntry['action']): number => entries.filter((e) => e.action === action).length;
  lines.push('');
  lines.push(
    `${count('change')} to change, ${count('none')} unchanged, ${count('skip')} skipped, ${count('depends')} decided at run time, ${count('refuse')} refused, ${count('error')} errors`,
  );
  return lines.join('\n');
}
