/**
 * A JSON parser that remembers where every value is: JSON pointer -> line/column. Used so that
 * validation errors point at a line, not only a path. It also rejects what JSON.parse silently
 * accepts but a reviewer would not: duplicate keys (the last one would win).
 */

/** A 1-based line and column in the source text. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A parsed document: the value, and where each pointer's value (and key) starts. */
export interface JsonDocument {
  readonly value: unknown;
  /** Position of the value at each JSON pointer ('' is the root). */
  readonly positions: ReadonlyMap<string, Position>;
  /** Position of the key of each object member, by the member's pointer. */
  readonly keyPositions: ReadonlyMap<string, Position>;
}

/** A syntax problem, with its position. */
export class JsonSyntaxError extends Error {
  readonly position: Position;
  constructor(message: string, position: Position) {
    super(message);
    this.position = position;
  }
}
JsonSyntaxError.prototype.name = 'JsonSyntaxError';

/** Escapes one JSON pointer segment (RFC 6901). */
export function escapePointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Joins segments into a JSON pointer. */
export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((segment) => `/${escapePointerSegment(segment)}`).join('');
}

/** Deepest nesting of objects and arrays accepted (JSON and YAML alike). */
export const MAX_DEPTH = 200;

/** Defines `key` on `target` as an own, enumerable property (also `__proto__`). */
export function defineMember(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const WORDS = [
  ['true', true],
  ['false', false],
  ['null', null],
] as const;

/** One pass over the text: a cursor with line tracking and one method per grammar rule. */
class JsonParser {
  readonly positions = new Map<string, Position>();
  readonly keyPositions = new Map<string, Position>();
  #index = 0;
  #line = 1;
  #lineStart = 0;
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): JsonDocument {
    if (this.#text.charCodeAt(0) === 0xfeff) this.#index = 1; // BOM
    this.skipSpace();
    if (this.#index >= this.#text.length) this.fail('the file is empty; expected a JSON object');
    const value = this.parseValue('', 0);
    this.skipSpace();
    if (this.#index < this.#text.length) this.fail(`unexpected ${this.describe()} after the end of the JSON value`);
    return { value, positions: this.positions, keyPositions: this.keyPositions };
  }

  private here(): Position {
    return { line: this.#line, column: this.#index - this.#lineStart + 1 };
  }

  private fail(message: string, at: Position = this.here()): never {
    throw new JsonSyntaxError(message, at);
  }

  private describe(): string {
    if (this.#index >= this.#text.length) return 'end of file';
    const ch = this.#text[this.#index];
    return ch === '\n' ? 'a line break' : `'${ch}'`;
  }

  private peek(): string | undefined {
    return this.#text[this.#index];
  }

  private skipSpace(): void {
    const text = this.#text;
    while (this.#index < text.length) {
      const ch = text.charCodeAt(this.#index);
      if (ch === 0x0a) {
        this.#index += 1;
        this.#line += 1;
        this.#lineStart = this.#index;
      } else if (ch === 0x20 || ch === 0x09 || ch === 0x0d) {
        this.#index += 1;
      } else if (ch === 0x2f && (text[this.#index + 1] === '/' || text[this.#index + 1] === '*')) {
        this.fail('comments are not allowed in JSON');
      } else {
        break;
      }
    }
  }

  private parseEscape(): string {
    const text = this.#text;
    const esc = text[this.#index + 1];
    if (esc !== undefined && esc in SIMPLE_ESCAPES) {
      this.#index += 2;
      return SIMPLE_ESCAPES[esc];
    }
    if (esc === 'u') {
      const hex = text.slice(this.#index + 2, this.#index + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape');
      this.#index += 6;
      return String.fromCharCode(parseInt(hex, 16));
    }
    return this.fail(`invalid escape \\${esc ?? ''}`);
  }

  private parseString(): string {
    const text = this.#text;
    const start = this.here();
    this.#index += 1; // opening quote
    let out = '';
    let chunkStart = this.#index;
    for (;;) {
      if (this.#index >= text.length) this.fail('unterminated string', start);
      const ch = text.charCodeAt(this.#index);
      if (ch === 0x22) {
        out += text.slice(chunkStart, this.#index);
        this.#index += 1;
        return out;
      }
      if (ch === 0x0a) this.fail('line break inside a string (use \\n)');
      if (ch < 0x20) this.fail('control character inside a string');
      if (ch === 0x5c) {
        out += text.slice(chunkStart, this.#index) + this.parseEscape();
        chunkStart = this.#index;
        continue;
      }
      this.#index += 1;
    }
  }

  private parseNumber(): number {
    const slice = this.#text.slice(this.#index, this.#index + 400);
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(slice);
    if (!match) return this.fail(`unexpected ${this.describe()}; expected a value`);
    this.#index += match[0].length;
    return Number(match[0]);
  }

  private parseValue(pointer: string, depth: number): unknown {
    this.skipSpace();
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.positions.set(pointer, this.here());
    const ch = this.peek();
    if (ch === '{') return this.parseObject(pointer, depth);
    if (ch === '[') return this.parseArray(pointer, depth);
    if (ch === '"') return this.parseString();
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.parseNumber();
    for (const [word, value] of WORDS) {
      if (this.#text.startsWith(word, this.#index)) {
        this.#index += word.length;
        return value;
      }
    }
    if (ch === "'") this.fail('strings must use double quotes ("), not single quotes');
    return this.fail(
      `unexpected ${this.describe()}; expected a value (object, array, string, number, true, false or null)`,
    );
  }

  /** After a member or item: true for ',' (more follow), false for `close` (the end). */
  private separator(close: '}' | ']'): boolean {
    this.skipSpace();
    const ch = this.peek();
    this.#index += 1;
    if (ch === ',') return true;
    if (ch === close) return false;
    this.#index -= 1;
    return this.fail(`unexpected ${this.describe()}; expected ',' or '${close}'`);
  }

  /** Opens a collection; true when it is empty (and already closed). */
  private open(close: '}' | ']'): boolean {
    this.#index += 1;
    this.skipSpace();
    if (this.peek() !== close) return false;
    this.#index += 1;
    return true;
  }

  private parseMember(out: Record<string, unknown>, pointer: string, depth: number, seen: Set<string>): void {
    this.skipSpace();
    if (this.peek() !== '"') {
      if (this.peek() === '}') this.fail('trailing comma before }');
      this.fail(`unexpected ${this.describe()}; expected a "quoted" property name`);
    }
    const keyAt = this.here();
    const key = this.parseString();
    const memberPointer = `${pointer}/${escapePointerSegment(key)}`;
    if (seen.has(key)) this.fail(`duplicate key "${key}" (JSON would silently keep only the last one)`, keyAt);
    seen.add(key);
    this.keyPositions.set(memberPointer, keyAt);
    this.skipSpace();
    if (this.peek() !== ':') this.fail(`unexpected ${this.describe()}; expected ':' after "${key}"`);
    this.#index += 1;
    defineMember(out, key, this.parseValue(memberPointer, depth + 1));
  }

  private parseObject(pointer: string, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.open('}')) return out;
    const seen = new Set<string>();
    do this.parseMember(out, pointer, depth, seen);
    while (this.separator('}'));
    return out;
  }

  private parseArray(pointer: string, depth: number): unknown[] {
    const out: unknown[] = [];
    if (this.open(']')) return out;
    do {
      this.skipSpace();
      if (this.peek() === ']') this.fail('trailing comma before ]');
      out.push(this.parseValue(`${pointer}/${out.length}`, depth + 1));
    } while (this.separator(']'));
    return out;
  }
}

/** Parses `text` as JSON (RFC 8259), recording positions. Throws {@link JsonSyntaxError}. */
export function parseJsonDocument(text: string): JsonDocument {
  return new JsonParser(text).parse();
}
