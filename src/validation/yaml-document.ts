/**
 * YAML for forcedown's files (runbooks, inventories, desired states, the watch configuration):
 * parsed into the same {@link JsonDocument} as JSON — the value plus the line and column of every
 * JSON pointer — so the same schemas give the same file:line:column pointer errors.
 *
 * The YAML is read as YAML 1.2's core schema (`yes`/`no`/`on` stay strings) and held to JSON's
 * data model: string keys, finite numbers, one document, no tags. Hostile input is bounded before
 * and while parsing: size, flow-bracket depth, aliases and the values they expand to, nesting.
 */
import { Buffer } from 'node:buffer';
import {
  LineCounter,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Node as YamlNode,
  type Pair,
} from 'yaml';
import {
  JsonSyntaxError,
  MAX_DEPTH,
  defineMember,
  escapePointerSegment,
  type JsonDocument,
  type Position,
} from './json-document.js';

/** Largest YAML file read: the parser needs seconds for a few MiB of pathological text. */
export const MAX_YAML_BYTES = 1024 * 1024;
/** Deepest `[`/`{` nesting accepted (the YAML parser takes seconds, then minutes, on thousands). */
export const MAX_FLOW_DEPTH = 64;
/** Most aliases (`*name`) one file may use. */
export const MAX_ALIASES = 100;
/** Most values a file may expand to, aliases included (an alias bomb stops here). */
export const MAX_EXPANDED_VALUES = 100_000;

/** The deepest nesting of flow collections (`[`, `{`) outside quoted scalars and comments. */
export function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote = '';
  let comment = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (comment) {
      if (ch === '\n') comment = false;
    } else if (quote) {
      if (ch === '\\' && quote === '"') i += 1;
      else if (ch === quote) quote = '';
    } else if ((ch === '"' || ch === "'") && /[\s[{,:]/.test(text[i - 1] ?? ' ')) {
      // a quoted scalar starts only there; a quote inside a plain scalar is just a character
      quote = ch;
    } else if (ch === '#' && /\s/.test(text[i - 1] ?? ' ')) {
      comment = true;
    } else if (ch === '[' || ch === '{') {
      depth += 1;
      if (depth > max) max = depth;
    } else if ((ch === ']' || ch === '}') && depth > 0) {
      depth -= 1;
    }
  }
  return max;
}

/** Why the text is refused before the parser sees it, if it is. */
export function yamlBoundProblem(text: string): string | undefined {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_YAML_BYTES)
    return `${bytes} bytes is too big for a YAML file here (at most ${MAX_YAML_BYTES}); is it the right file?`;
  if (flowDepth(text) > MAX_FLOW_DEPTH) return `[ ] or { } nested more than ${MAX_FLOW_DEPTH} deep`;
  return undefined;
}

/** Walks the parsed YAML nodes into plain values, recording positions as JSON pointers. */
class YamlWalker {
  readonly positions = new Map<string, Position>();
  readonly keyPositions = new Map<string, Position>();
  #values = 0;
  #aliases = 0;
  readonly #doc: Document.Parsed;
  readonly #lines: LineCounter;

  constructor(doc: Document.Parsed, lines: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  at(offset: number | undefined): Position {
    const { line, col } = this.#lines.linePos(offset ?? 0);
    return { line, column: col };
  }

  private fail(message: string, node: YamlNode | null | undefined): never {
    throw new JsonSyntaxError(message, this.at(node?.range?.[0]));
  }

  value(node: YamlNode | null, pointer: string, depth: number, fallback: number | undefined): unknown {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`, node);
    this.#values += 1;
    if (this.#values > MAX_EXPANDED_VALUES)
      this.fail(`the file expands to more than ${MAX_EXPANDED_VALUES} values (aliases of aliases?)`, node);
    this.positions.set(pointer, this.at(node?.range?.[0] ?? fallback));
    if (node === null) return null;
    if (node.tag !== undefined && !node.tag.startsWith('tag:yaml.org,2002:'))
      this.fail(`tags such as ${node.tag} are not supported; write the value plainly`, node);
    if (isAlias(node)) return this.alias(node, pointer, depth);
    if (isMap(node)) return this.map(node.items as Pair<YamlNode | null, YamlNode | null>[], pointer, depth);
    if (isSeq(node))
      return (node.items as (YamlNode | null)[]).map((item, index) =>
        this.value(item, `${pointer}/${index}`, depth + 1, node.range?.[0]),
      );
    if (isScalar(node)) return this.scalar(node.value, node);
    return this.fail('unexpected YAML node', node);
  }

  private alias(node: YamlNode & { source: string }, pointer: string, depth: number): unknown {
    this.#aliases += 1;
    if (this.#aliases > MAX_ALIASES)
      this.fail(`more than ${MAX_ALIASES} aliases (*name); write the values out instead`, node);
    const target = (node as unknown as { resolve(doc: Document): YamlNode | undefined }).resolve(this.#doc);
    if (target === undefined) this.fail(`alias *${node.source} refers to no anchor &${node.source} before it`, node);
    return this.value(target, pointer, depth + 1, node.range?.[0]);
  }

  private scalar(value: unknown, node: YamlNode): unknown {
    if (typeof value === 'number' && !Number.isFinite(value))
      this.fail('.inf and .nan are not numbers a forcedown file can hold', node);
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value;
    return this.fail('only strings, numbers, true/false and null are accepted as values', node);
  }

  private key(pair: Pair<YamlNode | null, YamlNode | null>): string {
    const key = pair.key;
    if (key === null) return '';
    if (!isScalar(key)) this.fail('keys must be plain names (no [ ], { } or aliases as keys)', key);
    if (typeof key.value === 'string') return key.value;
    // a plain key such as 2024 or true: the name as written
    const source = (key.srcToken as { source?: string } | undefined)?.source;
    return source ?? String(key.value);
  }

  private map(items: Pair<YamlNode | null, YamlNode | null>[], pointer: string, depth: number): object {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    for (const pair of items) {
      const name = this.key(pair);
      if (name === '<<' && isScalar(pair.key) && pair.key.type === 'PLAIN')
        this.fail('merge keys (<<) are not supported in forcedown files; write the entries out', pair.key);
      if (seen.has(name)) this.fail(`duplicate key "${name}" (only one of them would count)`, pair.key);
      seen.add(name);
      const member = `${pointer}/${escapePointerSegment(name)}`;
      const keyOffset = pair.key?.range?.[0];
      this.keyPositions.set(member, this.at(keyOffset));
      defineMember(out, name, this.value(pair.value, member, depth + 1, keyOffset));
    }
    return out;
  }
}

/** The first error of a parse, with its position, as a syntax error. */
function parseError(doc: Document.Parsed, lines: LineCounter): JsonSyntaxError | undefined {
  const first = doc.errors[0] ?? doc.warnings[0];
  if (first === undefined) return undefined;
  const { line, col } = lines.linePos(first.pos[0]);
  const message =
    first.code === 'MULTIPLE_DOCS'
      ? 'more than one YAML document (a second ---): a forcedown file is one document'
      : first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return new JsonSyntaxError(message, { line, column: col });
}

/**
 * Parses `text` as YAML into a {@link JsonDocument}, recording positions. Throws
 * {@link JsonSyntaxError} (with the line and column) for syntax errors and refused input.
 */
export function parseYamlDocument(text: string): JsonDocument {
  const bound = yamlBoundProblem(text);
  if (bound !== undefined) throw new JsonSyntaxError(bound, { line: 1, column: 1 });
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    keepSourceTokens: true,
    uniqueKeys: false,
    merge: false,
    prettyErrors: false,
    schema: 'core',
  });
  const error = parseError(doc, lines);
  if (error) throw error;
  if (doc.contents === null) throw new JsonSyntaxError('the file is empty; expected a YAML mapping', at1());
  const walker = new YamlWalker(doc, lines);
  const value = walker.value(doc.contents, '', 0, 0);
  return { value, positions: walker.positions, keyPositions: walker.keyPositions };
}

function at1(): Position {
  return { line: 1, column: 1 };
}
