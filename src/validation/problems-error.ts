import { invalidInput } from '../errors/index.js';
import { formatProblem, type Problem } from './problem.js';

/** The input error for a list of problems (exit 2), with every problem in the message. */
export function problemsError(what: string, problems: readonly Problem[]): Error {
  const lines = problems.map(formatProblem);
  return invalidInput(
    'INVALID_FILE',
    `${what} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  ${lines.join('\n  ')}`,
    'fix the file and run `forcedown validate FILE` again; nothing was run',
    {
      problems: problems.map((p) => ({
        file: p.file,
        pointer: p.pointer,
        line: p.position?.line,
        column: p.position?.column,
        message: p.message,
      })),
    },
  );
}
