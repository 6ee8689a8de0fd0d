import { problemsFromAjv } from './format-errors.js';
import { JsonSyntaxError, parseJsonDocument, type JsonDocument } from './json-document.js';
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

/** Parses `text` as JSON and validates it against the named schema, reporting all problems. */
export function validateDocumentText(name: SchemaName, text: string, file: string): DocumentValidation {
  let document: JsonDocument;
  try {
    document = parseJsonDocument(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      return { document: undefined, problems: [{ file, pointer: '', position: error.position, message: `not valid JSON: ${error.message}` }] };
    }
    throw error;
  }
  const errors = validateAgainst(name, document.value);
  return { document, problems: problemsFromAjv(errors, file, document, resolverFor(name)) };
}
