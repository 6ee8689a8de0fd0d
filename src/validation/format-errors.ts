import type { ErrorObject } from 'ajv';
import type { JsonDocument } from './json-document.js';
import type { Problem } from './problem.js';
import { didYouMean } from './suggest.js';

/**
 * Turns ajv's errors into one readable problem per real mistake: unknown properties with
 * suggestions, missing ones, unknown step types with the list of known ones, and one line for a
 * value that matches none of a field's alternatives (instead of one error per alternative).
 */

type Schema = Record<string, unknown>;

const DESCRIBE_PATTERN: Readonly<Record<string, string>> = {
  '^(?![0.]+(ms|s|m|h)$)[0-9]+(\\.[0-9]+)?(ms|s|m|h)$': 'a duration such as 500ms, 30s, 5m or 1h',
  '^[a-z][a-z0-9-]{0,62}$': 'lower-case letters, digits and dashes, starting with a letter (at most 63)',
  '^[a-z0-9][a-z0-9-]{0,62}$': 'lower-case letters, digits and dashes (at most 63)',
  '^[A-Za-z_][A-Za-z0-9_]{0,63}$': 'letters, digits and underscores, not starting with a digit',
  '^[A-Za-z_][A-Za-z0-9_]*$': 'letters, digits and underscores, not starting with a digit',
  '^\\$\\{(params|steps|run|env)\\.[A-Za-z0-9_.-]+\\}$': 'a whole-value reference such as ${params.name}',
  '^https?://': 'an http:// or https:// URL',
};

function quoteValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${quoteValue(value)}`;
  return `${typeof value} ${quoteValue(value)}`;
}

/** Short description of what a (sub)schema accepts. */
function expectation(schema: unknown, depth = 0): string {
  if (typeof schema !== 'object' || schema === null || depth > 3) return 'a valid value';
  const s = schema as Schema;
  if (typeof s.$ref === 'string') {
    if (s.$ref.endsWith('/expression')) return 'a reference such as ${params.name}';
    if (s.$ref.endsWith('/duration')) return 'a duration such as 500ms, 30s, 5m or 1h';
    if (s.$ref.endsWith('/condition')) return 'a condition';
    return 'a valid value';
  }
  if ('const' in s) return quoteValue(s.const);
  if (Array.isArray(s.enum)) return `one of ${s.enum.map(quoteValue).join(', ')}`;
  const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (
    Array.isArray(alternatives) &&
    alternatives.every(
      (alt) => Array.isArray(alt.required) && alt.required.length === 1 && Object.keys(alt).length === 1,
    )
  ) {
    return `an object with ${alternatives.map((alt) => `"${String((alt.required as unknown[])[0])}"`).join(' or ')}`;
  }
  if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
    const alternatives = ((s.anyOf ?? s.oneOf) as unknown[]).map((alt) => expectation(alt, depth + 1));
    return [...new Set(alternatives)].join(' or ');
  }
  const type = s.type;
  const bounds: string[] = [];
  if (typeof s.minimum === 'number' && typeof s.maximum === 'number') bounds.push(`from ${s.minimum} to ${s.maximum}`);
  else if (typeof s.minimum === 'number') bounds.push(`>= ${s.minimum}`);
  else if (typeof s.maximum === 'number') bounds.push(`<= ${s.maximum}`);
  if (typeof s.pattern === 'string') {
    if (type === 'string' && DESCRIBE_PATTERN[s.pattern]) return DESCRIBE_PATTERN[s.pattern];
    bounds.push(`matching ${s.pattern}`);
  }
  if (Array.isArray(s.required) && s.required.length === 1 && type === 'object')
    return `an object with "${String(s.required[0])}"`;
  const typeNames: Record<string, string> = {
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    object: 'an object',
    array: 'an array',
    null: 'null',
  };
  const base = Array.isArray(type)
    ? type.map((t) => typeNames[String(t)] ?? String(t)).join(' or ')
    : (typeNames[String(type)] ?? 'a valid value');
  return [base, ...bounds].join(' ');
}

function parentPointer(pointer: string): string {
  const index = pointer.lastIndexOf('/');
  return index <= 0 ? '' : pointer.slice(0, index);
}

interface Described {
  readonly pointer: string;
  readonly message: string;
  readonly atKey: boolean;
}

/** What one ajv error says, for its keyword: `e` is the error, `p` its params. */
type Describer = (
  e: ErrorObject,
  p: Record<string, unknown>,
  deref: (schema: unknown) => Schema | undefined,
) => Described;

const escapeSegment = (name: string): string => name.replace(/~/g, '~0').replace(/\//g, '~1');
const at = (e: ErrorObject, message: string): Described => ({ pointer: e.instancePath, message, atKey: false });
const plural = (limit: unknown, one: string, many: string): string => (limit === 1 ? one : many);

const unknownProperty: Describer = (e, p, deref) => {
  const name = String(p.additionalProperty ?? p.unevaluatedProperty);
  const known = Object.keys((e.parentSchema?.properties as Schema | undefined) ?? {});
  const inherited = collectAllOfProperties(e.parentSchema, deref);
  const candidates = [...known, ...inherited].filter((key) => key !== '$schema');
  return {
    pointer: `${e.instancePath}/${escapeSegment(name)}`,
    message: `unknown property ${quoteValue(name)}${didYouMean(name, candidates)}${candidates.length ? `; allowed: ${[...new Set(candidates)].join(', ')}` : ''}`,
    atKey: true,
  };
};

const discriminator: Describer = (e, p, deref) => {
  const tag = String(p.tag);
  const pointer = `${e.instancePath}/${tag}`;
  if (p.error !== 'mapping')
    return { pointer, message: `"${tag}" must be a string naming the step type`, atKey: false };
  const types = ((e.parentSchema?.oneOf as Schema[] | undefined) ?? [])
    .map((alt) => constOf(deref(alt) ?? alt, tag))
    .filter(Boolean) as string[];
  const value = String(p.tagValue);
  return {
    pointer,
    message: `unknown ${tag === 'type' ? 'step type' : tag} ${quoteValue(value)}${didYouMean(value, types)}; expected one of ${types.join(', ')}`,
    atKey: false,
  };
};

const alternatives: Describer = (e, p) => {
  if (e.keyword === 'oneOf' && p.passingSchemas) return at(e, 'matches more than one alternative; make it unambiguous');
  const alts = (e.schema ?? []) as Schema[];
  if (
    Array.isArray(alts) &&
    alts.length > 0 &&
    alts.every((alt) => Array.isArray(alt.required) && Object.keys(alt).length === 1)
  ) {
    const needs = alts.map((alt) => (alt.required as unknown[]).map((key) => `"${String(key)}"`).join(' and '));
    return at(e, `needs ${needs.join(' or ')}`);
  }
  if (isZeroDuration(e.data) && expectation(e.parentSchema).startsWith('a duration'))
    return at(
      e,
      `${fieldOf(e.instancePath)}must be more than zero, not ${quoteValue(e.data)}: a duration such as 500ms, 30s, 5m or 1h`,
    );
  return at(e, `must be ${expectation(e.parentSchema)}, not ${typeOf(e.data)}`);
};

const bound: Describer = (e) => at(e, `must be ${expectation(e.parentSchema)}, not ${quoteValue(e.data)}`);

const DESCRIBERS: Readonly<Record<string, Describer>> = {
  required: (e, p) => at(e, `missing required property "${String(p.missingProperty)}"`),
  additionalProperties: unknownProperty,
  unevaluatedProperties: unknownProperty,
  discriminator,
  type: (e) => at(e, `must be ${expectation(e.parentSchema)}, not ${typeOf(e.data)}`),
  enum: (e, p) => {
    const allowed = (p.allowedValues as unknown[]) ?? [];
    const strings = allowed.filter((v): v is string => typeof v === 'string');
    const suggestion = typeof e.data === 'string' ? didYouMean(e.data, strings) : '';
    return at(e, `must be one of ${allowed.map(quoteValue).join(', ')}, not ${quoteValue(e.data)}${suggestion}`);
  },
  const: (e, p) => at(e, `must be ${quoteValue(p.allowedValue)}, not ${quoteValue(e.data)}`),
  pattern: (e, p) =>
    at(
      e,
      `must be ${DESCRIBE_PATTERN[String(p.pattern)] ?? `a string matching ${String(p.pattern)}`}, not ${quoteValue(e.data)}`,
    ),
  format: (e, p) => at(e, `must be a valid ${String(p.format)}, not ${quoteValue(e.data)}`),
  minimum: bound,
  maximum: bound,
  exclusiveMinimum: bound,
  exclusiveMaximum: bound,
  minItems: (e, p) => at(e, `must have at least ${String(p.limit)} item${plural(p.limit, '', 's')}`),
  maxItems: (e, p) => at(e, `must have at most ${String(p.limit)} items`),
  minLength: (e, p) =>
    at(e, p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters long`),
  maxLength: (e, p) => at(e, `must be at most ${String(p.limit)} characters long`),
  minProperties: (e, p) => at(e, `must have at least ${String(p.limit)} entr${plural(p.limit, 'y', 'ies')}`),
  uniqueItems: (e, p) => at(e, `must not repeat items (items ${String(p.j)} and ${String(p.i)} are the same)`),
  propertyNames: (e, p) => ({
    pointer: `${e.instancePath}/${escapeSegment(String(p.propertyName))}`,
    message: `invalid name ${quoteValue(String(p.propertyName))}`,
    atKey: true,
  }),
  anyOf: alternatives,
  oneOf: alternatives,
};

function describeError(error: ErrorObject, deref: (schema: unknown) => Schema | undefined): Described {
  const describer = DESCRIBERS[error.keyword];
  if (describer) return describer(error, error.params as Record<string, unknown>, deref);
  return at(error, error.message ?? `fails ${error.keyword}`);
}

/** The constant a discriminated alternative gives its tag property (`type`, `driver`). */
function constOf(schema: Schema, tag: string): string | undefined {
  const props = schema.properties as Schema | undefined;
  const property = props?.[tag] as Schema | undefined;
  return typeof property?.const === 'string' ? property.const : undefined;
}

/** `"0s"`, `"0.0m"`: a duration of nothing. */
function isZeroDuration(value: unknown): boolean {
  return typeof value === 'string' && /^[0.]+(ms|s|m|h)$/.test(value);
}

/** The name of the field a pointer ends in (`/hosts/a/bmc/driver` → `driver`), for messages. */
function fieldOf(pointer: string): string {
  const last = pointer.slice(pointer.lastIndexOf('/') + 1);
  return /^[0-9]*$/.test(last) ? '' : `"${last.replace(/~1/g, '/').replace(/~0/g, '~')}" `;
}

function collectAllOfProperties(schema: Schema | undefined, deref: (schema: unknown) => Schema | undefined): string[] {
  if (!schema || !Array.isArray(schema.allOf)) return [];
  return (schema.allOf as Schema[]).flatMap((part) =>
    Object.keys(((deref(part) ?? part).properties as Schema | undefined) ?? {}),
  );
}

/**
 * Converts ajv errors (from a validator compiled with `allErrors` and `verbose`) into problems,
 * removing the noise of alternatives: when a value matches none of an anyOf/oneOf, deeper errors
 * inside the alternatives are kept if there are any (they say what is wrong inside the object
 * the user clearly meant), otherwise one line lists the alternatives.
 */
export function problemsFromAjv(
  errors: readonly ErrorObject[],
  file: string,
  document: JsonDocument,
  resolveSubschema: (ref: string) => Schema | undefined = () => undefined,
): Problem[] {
  const deref = (schema: unknown): Schema | undefined => {
    if (typeof schema !== 'object' || schema === null) return undefined;
    const s = schema as Schema;
    return typeof s.$ref === 'string' ? (resolveSubschema(s.$ref) ?? s) : s;
  };
  // resolve $ref parents (steps are referenced from the discriminated union) for messages
  const withParents = errors.map((error) => {
    const parent = error.parentSchema;
    const resolved = parent && typeof parent.$ref === 'string' ? resolveSubschema(parent.$ref) : undefined;
    return resolved ? { ...error, parentSchema: resolved } : error;
  });

  /** Every schema object reachable from `roots` (following $ref), to recognise branch errors. */
  const reachableCache = new Map<unknown, Set<unknown>>();
  const reachable = (roots: unknown): Set<unknown> => {
    let set = reachableCache.get(roots);
    if (set) return set;
    set = new Set<unknown>();
    const stack: unknown[] = Array.isArray(roots) ? [...(roots as readonly unknown[])] : [roots];
    while (stack.length > 0) {
      const node = stack.pop();
      if (typeof node !== 'object' || node === null || set.has(node)) continue;
      set.add(node);
      if (!Array.isArray(node) && typeof (node as Schema).$ref === 'string')
        stack.push(resolveSubschema((node as Schema).$ref as string));
      for (const child of Object.values(node as Schema))
        if (typeof child === 'object' && child !== null) stack.push(child);
    }
    reachableCache.set(roots, set);
    return set;
  };

  const isAlternative = (e: ErrorObject): boolean =>
    e.keyword === 'anyOf' || (e.keyword === 'oneOf' && !(e.params as Record<string, unknown>).passingSchemas);
  const dropped = new Set<ErrorObject>();

  withParents.forEach((alt, altIndex) => {
    if (!isAlternative(alt) || dropped.has(alt)) return;
    const branches = reachable(alt.schema);
    const branch = withParents.filter(
      (e, index) =>
        index < altIndex &&
        e !== alt &&
        (e.instancePath === alt.instancePath || e.instancePath.startsWith(`${alt.instancePath}/`)) &&
        (branches.has(e.parentSchema) || branches.has(errors[index].parentSchema)),
    );
    for (const e of branch) dropped.add(e);
    const deeper = branch.filter((e) => e.instancePath.length > alt.instancePath.length && !isAlternative(e));
    const isObjectValue = typeof alt.data === 'object' && alt.data !== null && !Array.isArray(alt.data);
    if (deeper.length > 0 && isObjectValue) {
      // the user wrote an object meant for one alternative: report what is wrong inside it
      for (const e of deeper) dropped.delete(e);
      dropped.add(alt);
    }
  });
  // a discriminator error already explains the step; drop the union's own error
  for (const disc of withParents.filter((e) => e.keyword === 'discriminator')) {
    for (const e of withParents)
      if (e !== disc && e.instancePath === disc.instancePath && e.keyword === 'oneOf') dropped.add(e);
  }

  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const error of withParents) {
    if (dropped.has(error)) continue;
    const { pointer, message, atKey } = describeError(error, deref);
    const key = `${pointer}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const position =
      (atKey ? document.keyPositions.get(pointer) : undefined) ??
      document.positions.get(pointer) ??
      document.positions.get(parentPointer(pointer));
    problems.push({ file, pointer, position, message });
  }
  return problems;
}
