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

const MAX_DEPTH = 200;

/** Parses `text` as JSON (RFC 8259), recording positions. Throws {@link JsonSyntaxError}. */
export function parseJsonDocument(text: string): JsonDocument {
  const positions = new Map<string, Position>();
  const keyPositions = new Map<string, Position>();
  let index = 0;
  let line = 1;
  let lineStart = 0;

  const here = (): Position => ({ line, column: index - lineStart + 1 });
  const fail = (message: string, at: Position = here()): never => {
    throw new JsonSyntaxError(message, at);
  };
  const describe = (): string => {
    if (index >= text.length) return 'end of file';
    const ch = text[index];
    return ch === '\n' ? 'a line break' : `'${ch}'`;
  };

  const skipSpace = (): void => {
    while (index < text.length) {
      const ch = text.charCodeAt(index);
      if (ch === 0x0a) {
        index += 1;
        line += 1;
        lineStart = index;
      } else if (ch === 0x20 || ch === 0x09 || ch === 0x0d) {
        index += 1;
      } else if (ch === 0x2f && (text[index + 1] === '/' || text[index + 1] === '*')) {
        fail('comments are not allowed in JSON');
      } else {
        break;
      }
    }
  };

  const parseString = (): string => {
    const start = here();
    index += 1; // opening quote
    let out = '';
    let chunkStart = index;
    for (;;) {
      if (index >= text.length) fail('unterminated string', start);
      const ch = text.charCodeAt(index);
      if (ch === 0x22) {
        out += text.slice(chunkStart, index);
        index += 1;
        return out;
      }
      if (ch === 0x0a) fail('line break inside a string (use \\n)', here());
      if (ch < 0x20) fail('control character inside a string', here());
      if (ch === 0x5c) {
        out += text.slice(chunkStart, index);
        const esc = text[index + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (esc !== undefined && esc in simple) {
          out += simple[esc];
          index += 2;
        } else if (esc === 'u') {
          const hex = text.slice(index + 2, index + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape', here());
          out += String.fromCharCode(parseInt(hex, 16));
          index += 6;
        } else {
          fail(`invalid escape \\${esc ?? ''}`, here());
        }
        chunkStart = index;
        continue;
      }
      index += 1;
    }
  };

  const parseNumber = (): number => {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(index, index + 400));
    if (!match) fail(`unexpected ${describe()}; expected a value`);
    index += match![0].length;
    return Number(match![0]);
  };

  const parseValue = (pointer: string, depth: number): unknown => {
    skipSpace();
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    positions.set(pointer, here());
    const ch = text[index];
    if (ch === '{') return parseObject(pointer, depth);
    if (ch === '[') return parseArray(pointer, depth);
    if (ch === '"') return parseString();
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return parseNumber();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, index)) {
        index += word.length;
        return value;
      }
    }
    if (ch === "'") fail('strings must use double quotes ("), not single quotes');
    return fail(`unexpected ${describe()}; expected a value (object, array, string, number, true, false or null)`);
  };

  const parseObject = (pointer: string, depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    index += 1;
    skipSpace();
    if (text[index] === '}') {
      index += 1;
      return out;
    }
    for (;;) {
      skipSpace();
      if (text[index] !== '"') {
        if (text[index] === '}') fail('trailing comma before }');
        fail(`unexpected ${describe()}; expected a "quoted" property name`);
      }
      const keyAt = here();
      const key = parseString();
      const memberPointer = `${pointer}/${escapePointerSegment(key)}`;
      if (seen.has(key)) fail(`duplicate key "${key}" (JSON would silently keep only the last one)`, keyAt);
      seen.add(key);
      keyPositions.set(memberPointer, keyAt);
      skipSpace();
      if (text[index] !== ':') fail(`unexpected ${describe()}; expected ':' after "${key}"`);
      index += 1;
      const value = parseValue(memberPointer, depth + 1);
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      skipSpace();
      if (text[index] === ',') {
        index += 1;
        continue;
      }
      if (text[index] === '}') {
        index += 1;
        return out;
      }
      fail(`unexpected ${describe()}; expected ',' or '}'`);
    }
  };

  const parseArray = (pointer: string, depth: number): unknown[] => {
    const out: unknown[] = [];
    index += 1;
    skipSpace();
    if (text[index] === ']') {
      index += 1;
      return out;
    }
    for (;;) {
      skipSpace();
      if (text[index] === ']') fail('trailing comma before ]');
      out.push(parseValue(`${pointer}/${out.length}`, depth + 1));
      skipSpace();
      if (text[index] === ',') {
        index += 1;
        continue;
      }
      if (text[index] === ']') {
        index += 1;
        return out;
      }
      fail(`unexpected ${describe()}; expected ',' or ']'`);
    }
  };

  if (text.charCodeAt(0) === 0xfeff) index = 1; // BOM
  skipSpace();
  if (index >= text.length) fail('the file is empty; expected a JSON object');
  const value = parseValue('', 0);
  skipSpace();
  if (index < text.length) fail(`unexpected ${describe()} after the end of the JSON value`);
  return { value, positions, keyPositions };
}
