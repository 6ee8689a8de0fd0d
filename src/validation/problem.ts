import type { Position } from './json-document.js';

/** One thing wrong with an input file, located precisely. */
export interface Problem {
  /** The file (as the user named it). */
  readonly file: string;
  /** JSON pointer of the offending value ('' = the whole document). */
  readonly pointer: string;
  /** Where that value (or key) starts, when known. */
  readonly position?: Position;
  /** What is wrong and what was expected. */
  readonly message: string;
}

/** `file:line:col pointer: message` (the pointer shown as `/` for the root). */
export function formatProblem(problem: Problem): string {
  const where = problem.position ? `${problem.file}:${problem.position.line}:${problem.position.column}` : problem.file;
  return `${where} ${problem.pointer || '/'}: ${problem.message}`;
}

/** Longest message and pointer a problem keeps: they can quote huge keys and values of the input. */
export const MAX_PROBLEM_MESSAGE = 500;
export const MAX_PROBLEM_POINTER = 160;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

/** A problem whose message and pointer are at most a screenful, however big the input's keys and values. */
export function boundProblem(problem: Problem): Problem {
  if (problem.message.length <= MAX_PROBLEM_MESSAGE && problem.pointer.length <= MAX_PROBLEM_POINTER) return problem;
  return {
    ...problem,
    pointer: clip(problem.pointer, MAX_PROBLEM_POINTER),
    message: clip(problem.message, MAX_PROBLEM_MESSAGE),
  };
}

/** Most problems reported for one file; the rest are counted in a last line. */
export const MAX_PROBLEMS = 100;

/**
 * Sorts problems by position (then pointer), so output follows the file. Each is bounded
 * ({@link boundProblem}), and past {@link MAX_PROBLEMS} the rest are summed up in one last problem:
 * a file with thousands of mistakes gets a screenful, not megabytes.
 */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const sorted = problems
    .map(boundProblem)
    .sort(
      (a, b) =>
        (a.position?.line ?? 0) - (b.position?.line ?? 0) ||
        (a.position?.column ?? 0) - (b.position?.column ?? 0) ||
        a.pointer.localeCompare(b.pointer),
    );
  if (sorted.length <= MAX_PROBLEMS) return sorted;
  const rest = sorted.length - MAX_PROBLEMS;
  return [
    ...sorted.slice(0, MAX_PROBLEMS),
    {
      file: sorted[0].file,
      pointer: '',
      message: `... and ${rest} more problem${rest === 1 ? '' : 's'} (fix the ones above and validate again)`,
    },
  ];
}
