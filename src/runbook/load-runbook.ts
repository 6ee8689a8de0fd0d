import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { invalidInput } from '../errors/index.js';
import type { Runbook } from '../generated/runbook.types.js';
import {
  problemsError,
  sortProblems,
  urlCredentialProblems,
  validateDocumentText,
  type JsonDocument,
  type Problem,
} from '../validation/index.js';
import { checkRunbookSemantics } from './semantic-checks.js';

/** A runbook read from disk and fully validated. */
export interface LoadedRunbook {
  /** Path as the user gave it (for messages). */
  readonly file: string;
  readonly absolutePath: string;
  /** The exact text (stored in the journal so `resume` runs the same runbook). */
  readonly text: string;
  readonly sha256: string;
  readonly runbook: Runbook;
  readonly document: JsonDocument;
}

/** The outcome of checking one runbook text. */
export type RunbookCheck =
  | { readonly ok: true; readonly runbook: Runbook; readonly document: JsonDocument }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/**
 * Validates runbook text: JSON syntax, the schema (all errors), then semantics. URLs with
 * credentials in them are reported with either, wherever they are (a command's argument too).
 */
export function checkRunbookText(text: string, file: string): RunbookCheck {
  const { document, problems } = validateDocumentText('runbook', text, file);
  if (!document) return { ok: false, problems: sortProblems(problems) };
  const leaks = urlCredentialProblems(
    document,
    file,
    'put secrets in a header taken from ${env.NAME} (listed in "env") or in a password file, never in a URL',
  );
  if (problems.length > 0) return { ok: false, problems: sortProblems([...problems, ...leaks]) };
  const runbook = document.value as Runbook;
  const semantic = [...checkRunbookSemantics(runbook, document, file), ...leaks];
  if (semantic.length > 0) return { ok: false, problems: sortProblems(semantic) };
  return { ok: true, runbook, document };
}

/** Reads and validates a runbook; throws an input error (exit 2) listing every problem. */
export async function loadRunbook(file: string, cwd: string = process.cwd()): Promise<LoadedRunbook> {
  const absolutePath = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(absolutePath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw invalidInput(
      'FILE_UNREADABLE',
      `cannot read runbook ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : ((error as Error).message ?? code)}`,
      'check the path (shipped runbooks are in runbooks/, e.g. runbooks/host-failure.json)',
    );
  }
  return loadRunbookText(text, file, absolutePath);
}

/** Validates runbook text already read (e.g. from the journal, for resume). */
export function loadRunbookText(text: string, file: string, absolutePath: string): LoadedRunbook {
  const check = checkRunbookText(text, file);
  if (!check.ok) throw problemsError(`runbook ${file}`, check.problems);
  return {
    file,
    absolutePath,
    text,
    sha256: createHash('sha256').update(text).digest('hex'),
    runbook: check.runbook,
    document: check.document,
  };
}
