import type { ErrorKind } from '../../errors/index.js';
import type { HostLockState, PlanEntry } from '../../runner/index.js';
import { describeLockState } from '../../runner/index.js';
import { escapeForTerminal } from '../../validation/index.js';
import { exitCodeFor } from '../exit-codes.js';

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

/** One problem that kept steps from being planned (or would refuse them), and the steps it concerns. */
export interface PlanProblem {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly message: string;
  readonly hint: string;
  /** What `forcedown plan` exits with because of it (for `error` problems). */
  readonly exitCode: number;
  readonly action: 'refuse' | 'error';
  /** The ids of the steps it concerns, first one first. */
  readonly steps: readonly string[];
}

/** The distinct problems of a plan, each once (the same missing cloud configuration hits every Nova step). */
export function planProblems(entries: readonly PlanEntry[]): PlanProblem[] {
  const problems = new Map<string, PlanProblem & { steps: string[] }>();
  for (const entry of entries) {
    if (!entry.error || (entry.action !== 'error' && entry.action !== 'refuse')) continue;
    const key = `${entry.error.code}\u0000${entry.summary}`;
    const known = problems.get(key);
    if (known) known.steps.push(entry.id);
    else
      problems.set(key, {
        code: entry.error.code,
        kind: entry.error.kind,
        message: entry.summary,
        hint: entry.error.hint,
        exitCode: exitCodeFor(entry.error.kind),
        action: entry.action,
        steps: [entry.id],
      });
  }
  return [...problems.values()];
}

/**
 * What `forcedown plan` exits with: 0 when every step could be planned (refusals are a plan's
 * answer, not a failure), else 4 if authentication failed, else the code of the first problem
 * that kept a step from being planned (2 invalid input such as no cloud configuration, 1
 * anything else).
 */
export function planExitCode(entries: readonly PlanEntry[]): number {
  const errors = planProblems(entries).filter((problem) => problem.action === 'error');
  return (errors.find((problem) => problem.kind === 'auth') ?? errors[0])?.exitCode ?? 0;
}

/** A plan as text: one block per step (a problem shown once, then referred to), then a legend line with counts. */
export function formatPlan(runbookName: string, entries: readonly PlanEntry[]): string {
  const lines = [`Plan for runbook "${runbookName}" (nothing has been changed):`, ''];
  const shown = new Map<string, PlanEntry>();
  for (const entry of entries) {
    lines.push(
      `${MARK[entry.action]} ${String(entry.index).padStart(2)}. ${entry.id} (${entry.type}) — ${WORD[entry.action]}`,
    );
    const key = entry.error ? `${entry.error.code}\u0000${entry.summary}` : undefined;
    const earlier = key === undefined ? undefined : shown.get(key);
    if (earlier && entry.error) {
      lines.push(`      the same problem as step ${earlier.index} (${earlier.id}): ${entry.error.code}`);
      continue;
    }
    if (key !== undefined) shown.set(key, entry);
    lines.push(`      ${entry.summary}`);
    for (const detail of entry.details.slice(0, 50)) lines.push(`        ${detail}`);
    if (entry.details.length > 50) lines.push(`        ... and ${entry.details.length - 50} more`);
    if (entry.error) lines.push(`      what to do: ${entry.error.hint} (code ${entry.error.code})`);
  }
  const count = (action: PlanEntry['action']): number => entries.filter((e) => e.action === action).length;
  lines.push('');
  lines.push(
    `${count('change')} to change, ${count('none')} unchanged, ${count('skip')} skipped, ${count('depends')} decided at run time, ${count('refuse')} refused, ${count('error')} errors`,
  );
  const problems = planProblems(entries).filter((problem) => problem.action === 'error');
  if (problems.length > 0)
    lines.push(
      `not every step could be planned: ${problems.length} problem${problems.length === 1 ? '' : 's'} (${problems.map((p) => p.code).join(', ')}); plan exits ${problems[0].exitCode}`,
    );
  return lines.join('\n');
}

/** The plan's etcd lock section: one line per host (free, held by whom, or unknown). */
export function formatLockStates(states: readonly HostLockState[]): string {
  if (states.length === 0) return 'etcd locks: this runbook names no host before it runs';
  const lines = states.map((state) => `  ${escapeForTerminal(describeLockState(state))}`);
  return ['etcd locks (read only, none taken):', ...lines].join('\n');
}
