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

/** Sorts problems by position (then pointer), so output follows the file. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      (a.position?.line ?? 0) - (b.position?.line ?? 0) ||
      (a.position?.column ?? 0) - (b.position?.column ?? 0) ||
      a.pointer.localeCompare(b.pointer),
  );
}
