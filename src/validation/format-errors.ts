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

function describeError(
  error: ErrorObject,
  deref: (schema: unknown) => Schema | undefined,
): { pointer: string; message: string; atKey: boolean } {
  const pointer = error.instancePath;
  const params = error.params as Record<string, unknown>;
  const parent = error.parentSchema;
  switch (error.keyword) {
    case 'required':
      return { pointer, message: `missing required property "${String(params.missingProperty)}"`, atKey: false };
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const name = String(params.additionalProperty ?? params.unevaluatedProperty);
      const known = Object.keys((parent?.properties as Schema | undefined) ?? {});
      const inherited = collectAllOfProperties(parent, deref);
      const candidates = [...known, ...inherited].filter((key) => key !== '$schema');
      return {
        pointer: `${pointer}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        message: `unknown property ${quoteValue(name)}${didYouMean(name, candidates)}${candidates.length ? `; allowed: ${[...new Set(candidates)].join(', ')}` : ''}`,
        atKey: true,
      };
    }
    case 'discriminator': {
      if (params.error === 'mapping') {
        const tag = String(params.tag);
        const types = ((parent?.oneOf as Schema[] | undefined) ?? [])
          .map((alt) => constOf(deref(alt) ?? alt, tag))
          .filter(Boolean) as string[];
        const value = String(params.tagValue);
        return {
          pointer: `${pointer}/${tag}`,
          message: `unknown ${tag === 'type' ? 'step type' : tag} ${quoteValue(value)}${didYouMean(value, types)}; expected one of ${types.join(', ')}`,
          atKey: false,
        };
      }
      return {
        pointer: `${pointer}/${String(params.tag)}`,
        message: `"${String(params.tag)}" must be a string naming the step type`,
        atKey: false,
      };
    }
    case 'type':
      return { pointer, message: `must be ${expectation(parent)}, not ${typeOf(error.data)}`, atKey: false };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]) ?? [];
      const suggestion =
        typeof error.data === 'string'
          ? didYouMean(
              error.data,
              allowed.filter((v) => typeof v === 'string'),
            )
          : '';
      return {
        pointer,
        message: `must be one of ${allowed.map(quoteValue).join(', ')}, not ${quoteValue(error.data)}${suggestion}`,
        atKey: false,
      };
    }
    case 'const':
      return {
        pointer,
        message: `must be ${quoteValue(params.allowedValue)}, not ${quoteValue(error.data)}`,
        atKey: false,
      };
    case 'pattern':
      return {
        pointer,
        message: `must be ${DESCRIBE_PATTERN[String(params.pattern)] ?? `a string matching ${String(params.pattern)}`}, not ${quoteValue(error.data)}`,
        atKey: false,
      };
    case 'format':
      return {
        pointer,
        message: `must be a valid ${String(params.format)}, not ${quoteValue(error.data)}`,
        atKey: false,
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { pointer, message: `must be ${expectation(parent)}, not ${quoteValue(error.data)}`, atKey: false };
    case 'minItems':
      return {
        pointer,
        message: `must have at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`,
        atKey: false,
      };
    case 'maxItems':
      return { pointer, message: `must have at most ${String(params.limit)} items`, atKey: false };
    case 'minLength':
      return {
        pointer,
        message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long`,
        atKey: false,
      };
    case 'maxLength':
      return { pointer, message: `must be at most ${String(params.limit)} characters long`, atKey: false };
    case 'minProperties':
      return {
        pointer,
        message: `must have at least ${String(params.limit)} entr${params.limit === 1 ? 'y' : 'ies'}`,
        atKey: false,
      };
    case 'uniqueItems':
      return {
        pointer,
        message: `must not repeat items (items ${String(params.j)} and ${String(params.i)} are the same)`,
        atKey: false,
      };
    case 'propertyNames':
      return {
        pointer: `${pointer}/${String(params.propertyName).replace(/~/g, '~0').replace(/\//g, '~1')}`,
        message: `invalid name ${quoteValue(String(params.propertyName))}`,
        atKey: true,
      };
    case 'anyOf':
    case 'oneOf':
      if (error.keyword === 'oneOf' && params.passingSchemas) {
        return { pointer, message: 'matches more than one alternative; make it unambiguous', atKey: false };
      }
      {
        const alternatives = (error.schema ?? []) as Schema[];
        if (
          Array.isArray(alternatives) &&
          alternatives.length > 0 &&
          alternatives.every((alt) => Array.isArray(alt.required) && Object.keys(alt).length === 1)
        ) {
          return {
            pointer,
            message: `needs ${alternatives.map((alt) => (alt.required as unknown[]).map((key) => `"${String(key)}"`).join(' and ')).join(' or ')}`,
            atKey: false,
          };
        }
      }
      if (isZeroDuration(error.data) && expectation(parent).startsWith('a duration'))
        return {
          pointer,
          message: `${fieldOf(pointer)}must be more than zero, not ${quoteValue(error.data)}: a duration such as 500ms, 30s, 5m or 1h`,
          atKey: false,
        };
      return { pointer, message: `must be ${expectation(parent)}, not ${typeOf(error.data)}`, atKey: false };
    default:
      return { pointer, message: error.message ?? `fails ${error.keyword}`, atKey: false };
  }
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
