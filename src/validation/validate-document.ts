import { problemsFromAjv } from './format-errors.js';
import { extname } from 'node:path';
import { JsonSyntaxError, escapePointerSegment, parseJsonDocument, type JsonDocument } from './json-document.js';
import { parseYamlDocument } from './yaml-document.js';
import type { Problem } from './problem.js';
import { loadSchema, validateAgainst, type SchemaName } from './schema-registry.js';

/** Result of validating one JSON document against a shipped schema. */
export interface DocumentValidation {
  /** The parsed document, unless the text is not JSON. */
  readonly document: JsonDocument | undefined;
  /** Every problem found (syntax, or all schema problems at once). */
  readonly problems: readonly Problem[];
}

function resolverFor(name: SchemaName): (ref: string) => Record<string, unknown> | undefined {
  const schema = loadSchema(name);
  return (ref) => {
    if (!ref.startsWith('#/')) return undefined;
    let node: unknown = schema;
    for (const segment of ref.slice(2).split('/')) {
      if (typeof node !== 'object' || node === null) return undefined;
      node = (node as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : undefined;
  };
}

/** Most entries one object or array may have (more is no runbook, inventory or desired state). */
export const MAX_COLLECTION_ENTRIES = 5000;
/** Most values a whole document may have. */
export const MAX_DOCUMENT_VALUES = 100_000;

/**
 * Why the document is too big to validate, if it is. ajv's cost grows with the square of the
 * number of errors (it copies the error list at every failing $ref), so a file with thousands of
 * bad entries would stall the CLI for minutes; such a file is refused before ajv sees it.
 */
function sizeProblem(document: JsonDocument, file: string): Problem | undefined {
  let values = 0;
  const stack: { value: unknown; pointer: string }[] = [{ value: document.value, pointer: '' }];
  while (stack.length > 0) {
    const { value, pointer } = stack.pop()!;
    values += 1;
    if (values > MAX_DOCUMENT_VALUES) {
      return {
        file,
        pointer: '',
        position: document.positions.get(''),
        message: `the file has more than ${MAX_DOCUMENT_VALUES} values; that is not a forcedown file (split it, or check that it is the right file)`,
      };
    }
    if (value === null || typeof value !== 'object') continue;
    const entries = Array.isArray(value)
      ? value.map((item, index) => [String(index), item] as const)
      : Object.entries(value);
    if (entries.length > MAX_COLLECTION_ENTRIES) {
      return {
        file,
        pointer,
        position: document.positions.get(pointer),
        message: `has ${entries.length} ${Array.isArray(value) ? 'items' : 'entries'}; at most ${MAX_COLLECTION_ENTRIES} are accepted (split the file)`,
      };
    }
    for (const [key, item] of entries) stack.push({ value: item, pointer: `${pointer}/${escapePointerSegment(key)}` });
  }
  return undefined;
}

/**
 * Why a file read as UTF-8 may look like garbage: it is UTF-16 (a byte order mark, or a NUL after
 * every ASCII character), or it has bytes that are not UTF-8 (read as U+FFFD).
 */
function encodingHint(text: string): string {
  const head = text.slice(0, 200);
  // eslint-disable-next-line no-control-regex
  if (head.startsWith('\ufffd\ufffd') || /^(?:[\s{["]\u0000){2}/.test(head) || /^\u0000[\s{["]/.test(head))
    return ' (the file looks UTF-16 encoded: save it as UTF-8)';
  if (text.includes('\ufffd')) return ' (the file has bytes that are not UTF-8: save it as UTF-8)';
  return '';
}

/** How a file is read: JSON or YAML. */
export type DocumentFormat = 'json' | 'yaml';

/**
 * The format of a file: by its name (`.yaml`/`.yml` YAML, `.json` JSON), else by its content
 * (JSON when it starts with `{` or `[`, YAML otherwise).
 */
export function documentFormat(file: string, text: string): DocumentFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  return /^\ufeff?\s*[{[]/.test(text) ? 'json' : 'yaml';
}

/**
 * When JSON text does not parse but is a block-style YAML mapping (broken JSON in braces often is
 * valid flow YAML too: that is still broken JSON): the hint to name it .yaml.
 */
function yamlInJsonHint(text: string, file: string): string {
  if (documentFormat('', text) === 'json') return '';
  try {
    const { value } = parseYamlDocument(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return '';
  } catch {
    return '';
  }
  const base = extname(file) === '' ? `${file}.yaml` : file.slice(0, -extname(file).length) + '.yaml';
  return ` (the file holds YAML: forcedown reads YAML from files named .yaml or .yml; rename it, e.g. to ${base})`;
}

/**
 * Parses a forcedown file's text as JSON or YAML ({@link documentFormat}) into a document with
 * positions. Every config loader (runbooks, inventories, desired states, the watch config) calls
 * this, so YAML and JSON get the same bounds and the same line/column errors.
 */
export function parseDocumentText(
  text: string,
  file: string,
): { readonly document: JsonDocument } | { readonly problem: Problem } {
  const format = documentFormat(file, text);
  try {
    return { document: format === 'yaml' ? parseYamlDocument(text) : parseJsonDocument(text) };
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const hint = format === 'json' ? yamlInJsonHint(text, file) : '';
    const message = `not valid ${format === 'yaml' ? 'YAML' : 'JSON'}: ${error.message}${hint || encodingHint(text)}`;
    return { problem: { file, pointer: '', position: error.position, message } };
  }
}

/** Parses `text` (JSON or YAML) and validates it against the named schema, reporting all problems. */
export function validateDocumentText(name: SchemaName, text: string, file: string): DocumentValidation {
  const parsed = parseDocumentText(text, file);
  if ('problem' in parsed) return { document: undefined, problems: [parsed.problem] };
  const { document } = parsed;
  const tooBig = sizeProblem(document, file);
  if (tooBig) return { document, problems: [tooBig] };
  const errors = validateAgainst(name, document.value);
  return { document, problems: problemsFromAjv(errors, file, document, resolverFor(name)) };
}
