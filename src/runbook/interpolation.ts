/**
 * Data-only interpolation: `${params.NAME}`, `${steps.ID.OUTPUT}`, `${run.FIELD}`, `${env.NAME}`.
 * A string that is exactly one reference takes the referenced value with its type (a list stays a
 * list); references inside longer text are replaced by their text. `$${` writes a literal `${`.
 * There are no expressions, operators, functions or code: a reference names data, nothing else.
 */

/** One parsed reference. */
export type Reference =
  | { readonly kind: 'params'; readonly name: string; readonly text: string }
  | { readonly kind: 'steps'; readonly step: string; readonly output: string; readonly text: string }
  | { readonly kind: 'run'; readonly field: string; readonly text: string }
  | { readonly kind: 'env'; readonly name: string; readonly text: string };

/** A template split into literal text and references. */
export type TemplatePart = { readonly literal: string } | { readonly ref: Reference };

/** A malformed reference, with the offending text. */
export class TemplateError extends Error {
  readonly text: string;
  constructor(message: string, text: string) {
    super(message);
    this.text = text;
  }
}
TemplateError.prototype.name = 'TemplateError';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const STEP_ID = /^[a-z][a-z0-9-]*$/;
const OUTPUT = /^[A-Za-z][A-Za-z0-9_]*$/;

/** The run fields a runbook may reference. */
export const RUN_FIELDS = ['id', 'startedAt', 'dryRun', 'runbook'] as const;

function parseReference(body: string): Reference {
  const text = `\${${body}}`;
  const dot = body.indexOf('.');
  const root = dot === -1 ? body : body.slice(0, dot);
  const rest = dot === -1 ? '' : body.slice(dot + 1);
  switch (root) {
    case 'params':
      if (!NAME.test(rest))
        throw new TemplateError(
          `${text} is not a reference: references only name data (no expressions, operators or spaces); expected \${params.NAME}`,
          text,
        );
      return { kind: 'params', name: rest, text };
    case 'steps': {
      const parts = rest.split('.');
      if (parts.length !== 2 || !STEP_ID.test(parts[0]) || !OUTPUT.test(parts[1])) {
        throw new TemplateError(`${text}: expected \${steps.STEP-ID.OUTPUT}`, text);
      }
      return { kind: 'steps', step: parts[0], output: parts[1], text };
    }
    case 'run':
      if (!(RUN_FIELDS as readonly string[]).includes(rest))
        throw new TemplateError(
          `${text}: unknown run field; expected one of ${RUN_FIELDS.map((f) => `\${run.${f}}`).join(', ')}`,
          text,
        );
      return { kind: 'run', field: rest, text };
    case 'env':
      if (!NAME.test(rest)) throw new TemplateError(`${text}: expected \${env.NAME}`, text);
      return { kind: 'env', name: rest, text };
    default:
      throw new TemplateError(
        `${text}: unknown reference; expected \${params.NAME}, \${steps.ID.OUTPUT}, \${run.FIELD} or \${env.NAME} (no expressions)`,
        text,
      );
  }
}

/** Splits a template into parts; throws {@link TemplateError} on a malformed reference. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let index = 0;
  while (index < template.length) {
    if (template.startsWith('$${', index)) {
      literal += '${';
      index += 3;
      continue;
    }
    if (template.startsWith('${', index)) {
      const end = template.indexOf('}', index + 2);
      if (end === -1)
        throw new TemplateError(
          `unclosed reference "${template.slice(index, index + 40)}" (missing "}")`,
          template.slice(index),
        );
      const body = template.slice(index + 2, end);
      if (body.trim() !== body || body.length === 0)
        throw new TemplateError(`empty or padded reference "\${${body}}"`, `\${${body}}`);
      if (literal) parts.push({ literal });
      literal = '';
      parts.push({ ref: parseReference(body) });
      index = end + 1;
      continue;
    }
    literal += template[index];
    index += 1;
  }
  if (literal) parts.push({ literal });
  return parts;
}

/** True if the string contains at least one reference (escapes excluded). */
export function hasReference(template: string): boolean {
  return template.replace(/\$\$\{/g, '').includes('${');
}

/** The references used anywhere in a JSON value (strings inside objects and arrays). */
export function collectReferences(
  value: unknown,
  visit: (ref: Reference, pointer: string) => void,
  onError: (error: TemplateError, pointer: string) => void,
  pointer = '',
): void {
  if (typeof value === 'string') {
    if (!value.includes('${')) return;
    try {
      for (const part of parseTemplate(value)) if ('ref' in part) visit(part.ref, pointer);
    } catch (error) {
      if (error instanceof TemplateError) onError(error, pointer);
      else throw error;
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => collectReferences(item, visit, onError, `${pointer}/${index}`));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value))
      collectReferences(item, visit, onError, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  }
}

/** What references resolve against. */
export interface Scope {
  readonly params: Readonly<Record<string, unknown>>;
  readonly steps: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>;
  readonly run: Readonly<Record<string, unknown>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Names `${env.X}` may read. */
  readonly allowedEnv: ReadonlySet<string>;
}

/** A reference that cannot be resolved at run time. */
export class ResolveError extends Error {
  readonly reference: string;
  constructor(message: string, reference: string) {
    super(message);
    this.reference = reference;
  }
}
ResolveError.prototype.name = 'ResolveError';

function lookup(ref: Reference, scope: Scope): unknown {
  switch (ref.kind) {
    case 'params':
      if (!(ref.name in scope.params)) throw new ResolveError(`${ref.text}: no parameter "${ref.name}"`, ref.text);
      return scope.params[ref.name];
    case 'steps': {
      const outputs = scope.steps[ref.step];
      if (outputs === undefined)
        throw new ResolveError(
          `${ref.text}: step "${ref.step}" has not produced outputs (it was skipped, failed or has not run)`,
          ref.text,
        );
      if (!(ref.output in outputs))
        throw new ResolveError(`${ref.text}: step "${ref.step}" has no output "${ref.output}"`, ref.text);
      return outputs[ref.output];
    }
    case 'run':
      return scope.run[ref.field];
    case 'env': {
      if (!scope.allowedEnv.has(ref.name))
        throw new ResolveError(`${ref.text}: the runbook does not list "${ref.name}" in "env"`, ref.text);
      const value = scope.env[ref.name];
      if (value === undefined)
        throw new ResolveError(`${ref.text}: environment variable ${ref.name} is not set`, ref.text);
      return value;
    }
  }
}

function asText(value: unknown, ref: Reference): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return '';
  throw new ResolveError(
    `${ref.text} is ${Array.isArray(value) ? 'a list' : 'an object'} and cannot be embedded in text; use it as the whole value`,
    ref.text,
  );
}

/** Resolves one template string. */
export function resolveTemplate(template: string, scope: Scope): unknown {
  if (!template.includes('${')) return template;
  const parts = parseTemplate(template);
  if (parts.length === 1 && 'ref' in parts[0]) return lookup(parts[0].ref, scope);
  return parts.map((part) => ('ref' in part ? asText(lookup(part.ref, scope), part.ref) : part.literal)).join('');
}

/** Resolves every string in a JSON value (a deep copy). Keys are never interpolated. */
export function resolveDeep<T>(value: T, scope: Scope): T {
  if (typeof value === 'string') return resolveTemplate(value, scope) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => resolveDeep(item, scope)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(out, key, {
        value: resolveDeep(item, scope),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out as T;
  }
  return value;
}
