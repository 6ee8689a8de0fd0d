/**
 * A small protobuf (proto3) implementation for the definitions in definitions.ts: a parser for the
 * subset of the .proto language they use (messages, nested messages and enums, `repeated`,
 * `map<string, T>`, `oneof`, services with unary rpcs) and a table-driven wire codec.
 *
 * Why not protobufjs at run time: loading it costs ~60 ms of CPU (~35 ms even for its "minimal"
 * build) plus ~20 ms to build the root, in a process Terraform starts about four times per apply
 * and waits for each time. This codec loads in ~1 ms. Its output is checked against protobufjs in
 * the unit tests (test/unit/provider/wire.test.ts), both directions.
 *
 * Decoded messages follow protobufjs' `toObject({ defaults: true, longs: Number, enums: Number })`
 * shape: every field present, scalars at their default, absent sub-messages `null`, repeated `[]`,
 * maps `{}`, bytes as Uint8Array, int64 as number.
 */

type Scalar = 'string' | 'bytes' | 'bool' | 'int64' | 'int32' | 'uint32' | 'uint64';
const SCALARS = new Set<string>(['string', 'bytes', 'bool', 'int64', 'int32', 'uint32', 'uint64']);

/** A field after resolution. */
export interface FieldInfo {
  readonly name: string;
  readonly number: number;
  readonly repeated: boolean;
  /** Member of a oneof: encoded when set, even at its default value. */
  readonly oneof: boolean;
  readonly kind: 'scalar' | 'enum' | 'message' | 'map';
  readonly scalar?: Scalar;
  /** Full name of the message type (message fields; map values that are messages). */
  readonly message?: string;
  /** Map value (maps only; keys are strings). */
  readonly mapValue?: {
    readonly kind: 'scalar' | 'enum' | 'message';
    readonly scalar?: Scalar;
    readonly message?: string;
  };
}

export interface MessageInfo {
  readonly fullName: string;
  readonly fields: readonly FieldInfo[];
  readonly byNumber: ReadonlyMap<number, FieldInfo>;
}

export interface MethodInfo {
  readonly name: string;
  readonly requestType: string;
  readonly responseType: string;
}

/** The parsed protocol: messages, enums and services by full name. */
export interface ProtoModel {
  readonly messages: ReadonlyMap<string, MessageInfo>;
  readonly enums: ReadonlySet<string>;
  readonly services: ReadonlyMap<string, readonly MethodInfo[]>;
}

/** The model as generated data (src/generated/protocol.model.ts): what `modelFromTable` indexes. */
export interface ProtoTable {
  readonly messages: readonly { readonly fullName: string; readonly fields: readonly FieldInfo[] }[];
  readonly enums: readonly string[];
  readonly services: readonly (readonly [string, readonly MethodInfo[]])[];
}

/** Indexes a generated table (no parsing at start-up: only Maps are built). */
export function modelFromTable(table: ProtoTable): ProtoModel {
  const messages = new Map<string, MessageInfo>();
  for (const { fullName, fields } of table.messages)
    messages.set(fullName, { fullName, fields, byNumber: new Map(fields.map((f) => [f.number, f])) });
  return { messages, enums: new Set(table.enums), services: new Map(table.services) };
}

// ---- parser -----------------------------------------------------------------------------------

interface RawField {
  name: string;
  number: number;
  repeated: boolean;
  oneof: boolean;
  type: string;
  mapValue?: string;
}

interface RawMessage {
  fullName: string;
  fields: RawField[];
}

function tokenize(text: string): string[] {
  const withoutComments = text.replace(/\/\/[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
  return withoutComments.match(/"[^"]*"|[A-Za-z_][\w.]*|\d+|[{}();=<>,[\]]/g) ?? [];
}

interface RawMethod {
  name: string;
  request: string;
  response: string;
  scope: string;
}

/** What the texts declare, before names are resolved. */
interface RawProto {
  readonly messages: RawMessage[];
  readonly enums: Set<string>;
  readonly services: Map<string, RawMethod[]>;
}

/** A recursive-descent reader of one .proto text (the subset described at the top). */
class ProtoReader {
  private readonly tokens: string[];
  private i = 0;
  private pkg = '';

  constructor(
    text: string,
    private readonly out: RawProto,
  ) {
    this.tokens = tokenize(text);
  }

  read(): void {
    while (this.i < this.tokens.length) {
      const token = this.next();
      if (token === 'syntax') {
        this.expect('=');
        this.next();
        this.expect(';');
      } else if (token === 'package') {
        this.pkg = this.next();
        this.expect(';');
      } else if (token === 'message') {
        this.message(this.pkg);
      } else if (token === 'enum') {
        this.enum(this.pkg);
      } else if (token === 'service') {
        this.service();
      } else if (token === 'option' || token === 'import') {
        while (this.next() !== ';') {
          // options and imports carry no wire meaning here
        }
      } else {
        throw new Error(`protocol definition: unexpected "${token}"`);
      }
    }
  }

  private peek(): string {
    return this.tokens[this.i] ?? '';
  }

  private next(): string {
    const token = this.tokens[this.i++];
    if (token === undefined) throw new Error('unexpected end of the protocol definition');
    return token;
  }

  private expect(token: string): void {
    const got = this.next();
    if (got !== token) throw new Error(`protocol definition: expected "${token}", got "${got}"`);
  }

  private enum(scope: string): void {
    const name = this.next();
    this.out.enums.add(`${scope}.${name}`);
    this.expect('{');
    while (this.peek() !== '}') {
      this.next(); // value name
      this.expect('=');
      this.next();
      this.expect(';');
    }
    this.expect('}');
  }

  private field(fields: RawField[], oneof: boolean): void {
    let repeated = false;
    let type = this.next();
    if (type === 'repeated') {
      repeated = true;
      type = this.next();
    } else if (type === 'optional') {
      type = this.next();
    }
    let mapValue: string | undefined;
    if (type === 'map') {
      this.expect('<');
      const key = this.next();
      if (key !== 'string')
        throw new Error(`protocol definition: only map<string, T> is supported, not map<${key}, …>`);
      this.expect(',');
      mapValue = this.next();
      this.expect('>');
    }
    const name = this.next();
    this.expect('=');
    const number = Number(this.next());
    if (this.peek() === '[') {
      while (this.next() !== ']') {
        // field options (deprecated = true) carry no wire meaning
      }
    }
    this.expect(';');
    fields.push({ name, number, repeated, oneof, type, ...(mapValue === undefined ? {} : { mapValue }) });
  }

  private message(scope: string): void {
    const fullName = `${scope}.${this.next()}`;
    const message: RawMessage = { fullName, fields: [] };
    this.out.messages.push(message);
    this.expect('{');
    while (this.peek() !== '}') {
      const token = this.peek();
      if (token === 'message' || token === 'enum' || token === 'oneof') this.next();
      if (token === 'message') this.message(fullName);
      else if (token === 'enum') this.enum(fullName);
      else if (token === 'oneof') {
        this.next(); // oneof name
        this.expect('{');
        while (this.peek() !== '}') this.field(message.fields, true);
        this.expect('}');
      } else this.field(message.fields, false);
    }
    this.expect('}');
  }

  private service(): void {
    const name = `${this.pkg}.${this.next()}`;
    const methods: RawMethod[] = [];
    this.expect('{');
    while (this.peek() !== '}') {
      this.expect('rpc');
      const method = this.next();
      this.expect('(');
      const request = this.next();
      this.expect(')');
      this.expect('returns');
      this.expect('(');
      const response = this.next();
      this.expect(')');
      this.expect(';');
      methods.push({ name: method, request, response, scope: this.pkg });
    }
    this.expect('}');
    this.out.services.set(name, methods);
  }
}

/** Parses .proto texts (one package each) into one model. */
export function parseProto(...texts: string[]): ProtoModel {
  const raw: RawProto = { messages: [], enums: new Set(), services: new Map() };
  for (const text of texts) new ProtoReader(text, raw).read();
  return resolveProto(raw);
}

/** Resolves type names (protobuf scoping) and checks what the codec supports. */
function resolveProto({ messages: rawMessages, enums, services: rawServices }: RawProto): ProtoModel {
  const messageNames = new Set(rawMessages.map((m) => m.fullName));
  /** Protobuf scoping: look the name up from the innermost scope outwards. */
  const resolve = (type: string, scope: string): string => {
    if (type.startsWith('.')) return type.slice(1);
    const parts = scope.split('.');
    for (let n = parts.length; n >= 0; n--) {
      const candidate = [...parts.slice(0, n), type].filter((p) => p !== '').join('.');
      if (messageNames.has(candidate) || enums.has(candidate)) return candidate;
    }
    throw new Error(`protocol definition: unknown type ${type} in ${scope}`);
  };
  const kindOf = (
    type: string,
    scope: string,
  ): { kind: 'scalar' | 'enum' | 'message'; scalar?: Scalar; message?: string } => {
    if (SCALARS.has(type)) return { kind: 'scalar', scalar: type as Scalar };
    const full = resolve(type, scope);
    return enums.has(full) ? { kind: 'enum' } : { kind: 'message', message: full };
  };

  const messages = new Map<string, MessageInfo>();
  for (const raw of rawMessages) {
    const fields: FieldInfo[] = raw.fields.map((f) => {
      if (f.mapValue !== undefined) {
        return {
          name: f.name,
          number: f.number,
          repeated: false,
          oneof: false,
          kind: 'map',
          mapValue: kindOf(f.mapValue, raw.fullName),
        };
      }
      const kind = kindOf(f.type, raw.fullName);
      if (f.repeated && kind.kind !== 'message' && kind.scalar !== 'string' && kind.scalar !== 'bytes') {
        throw new Error(
          `protocol definition: repeated ${f.type} (packed) is not supported (${raw.fullName}.${f.name})`,
        );
      }
      return { name: f.name, number: f.number, repeated: f.repeated, oneof: f.oneof, ...kind };
    });
    messages.set(raw.fullName, { fullName: raw.fullName, fields, byNumber: new Map(fields.map((f) => [f.number, f])) });
  }
  const services = new Map<string, MethodInfo[]>();
  for (const [name, methods] of rawServices) {
    services.set(
      name,
      methods.map((m) => ({
        name: m.name,
        requestType: resolve(m.request, m.scope),
        responseType: resolve(m.response, m.scope),
      })),
    );
  }
  return { messages, enums, services };
}

// ---- writer / reader --------------------------------------------------------------------------

class Writer {
  #buffer = Buffer.allocUnsafe(256);
  #length = 0;

  #ensure(extra: number): void {
    if (this.#length + extra <= this.#buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + extra));
    this.#buffer.copy(next, 0, 0, this.#length);
    this.#buffer = next;
  }

  varint(value: number | bigint): void {
    this.#ensure(10);
    let v = typeof value === 'bigint' ? BigInt.asUintN(64, value) : value;
    if (typeof v === 'number' && (v < 0 || v > Number.MAX_SAFE_INTEGER)) v = BigInt.asUintN(64, BigInt(Math.trunc(v)));
    if (typeof v === 'bigint') {
      while (v > 0x7fn) {
        this.#buffer[this.#length++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      this.#buffer[this.#length++] = Number(v);
      return;
    }
    while (v > 0x7f) {
      this.#buffer[this.#length++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.#buffer[this.#length++] = v;
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.#ensure(data.length);
    this.#buffer.set(data, this.#length);
    this.#length += data.length;
  }

  tag(number: number, wireType: number): void {
    this.varint(number * 8 + wireType);
  }

  finish(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }
}

class Reader {
  readonly #data: Uint8Array;
  #offset: number;
  readonly #end: number;

  constructor(data: Uint8Array, offset = 0, end = data.length) {
    this.#data = data;
    this.#offset = offset;
    this.#end = end;
  }

  get done(): boolean {
    return this.#offset >= this.#end;
  }

  varint(): number {
    // fast path: up to 4 bytes (values below 2^28) in plain arithmetic
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.#offset >= this.#end) throw new Error('protobuf: truncated varint');
      const byte = this.#data[this.#offset++] ?? 0;
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
    }
    // longer: 64 bits in BigInt, read as a signed int64 (two's complement), then as a number
    let big = BigInt(result >>> 0);
    for (let shift = 28n; shift < 70n; shift += 7n) {
      if (this.#offset >= this.#end) throw new Error('protobuf: truncated varint');
      const byte = this.#data[this.#offset++] ?? 0;
      big |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return Number(BigInt.asIntN(64, big));
    }
    throw new Error('protobuf: varint too long');
  }

  slice(): { start: number; end: number } {
    const length = this.varint();
    const start = this.#offset;
    const end = start + length;
    if (end > this.#end) throw new Error('protobuf: truncated length-delimited field');
    this.#offset = end;
    return { start, end };
  }

  bytes(): Uint8Array {
    const { start, end } = this.slice();
    return this.#data.subarray(start, end);
  }

  sub(): Reader {
    const { start, end } = this.slice();
    return new Reader(this.#data, start, end);
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.#offset += 8;
    else if (wireType === 2) this.slice();
    else if (wireType === 5) this.#offset += 4;
    else throw new Error(`protobuf: unsupported wire type ${wireType}`);
  }
}

// ---- codec ------------------------------------------------------------------------------------

function isDefault(value: unknown): boolean {
  return value === '' || value === 0 || value === false || (value instanceof Uint8Array && value.length === 0);
}

function wireTypeOf(kind: FieldInfo['kind'], scalar?: Scalar): number {
  if (kind === 'message' || kind === 'map' || scalar === 'string' || scalar === 'bytes') return 2;
  return 0;
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  return new Uint8Array();
}

/** Encodes a message object (field names as declared) of type `typeName`. */
export function encodeMessage(model: ProtoModel, typeName: string, value: Readonly<Record<string, unknown>>): Buffer {
  const writer = new Writer();
  writeMessage(model, typeName, value, writer);
  return writer.finish();
}

function writeValue(
  model: ProtoModel,
  writer: Writer,
  number: number,
  kind: 'scalar' | 'enum' | 'message',
  scalar: Scalar | undefined,
  message: string | undefined,
  value: unknown,
): void {
  if (kind === 'message') {
    writer.tag(number, 2);
    writer.bytes(encodeMessage(model, message ?? '', (value ?? {}) as Record<string, unknown>));
  } else if (kind === 'enum') {
    writer.tag(number, 0);
    writer.varint(Number(value));
  } else if (scalar === 'string') {
    writer.tag(number, 2);
    writer.bytes(Buffer.from(String(value), 'utf8'));
  } else if (scalar === 'bytes') {
    writer.tag(number, 2);
    writer.bytes(toBytes(value));
  } else if (scalar === 'bool') {
    writer.tag(number, 0);
    writer.varint(value === true ? 1 : 0);
  } else {
    writer.tag(number, 0);
    writer.varint(typeof value === 'bigint' ? value : Number(value));
  }
}

function writeMessage(
  model: ProtoModel,
  typeName: string,
  value: Readonly<Record<string, unknown>>,
  writer: Writer,
): void {
  const info = model.messages.get(typeName);
  if (info === undefined) throw new Error(`protobuf: unknown message ${typeName}`);
  for (const field of info.fields) {
    const fieldValue = value[field.name];
    if (fieldValue === undefined || fieldValue === null) continue;
    if (field.kind === 'map') {
      const entries = Object.entries(fieldValue as Record<string, unknown>);
      for (const [key, item] of entries) {
        const entry = new Writer();
        entry.tag(1, 2);
        entry.bytes(Buffer.from(key, 'utf8'));
        const mv = field.mapValue;
        if (mv !== undefined && item !== undefined && item !== null)
          writeValue(model, entry, 2, mv.kind, mv.scalar, mv.message, item);
        writer.tag(field.number, 2);
        writer.bytes(entry.finish());
      }
    } else if (field.repeated) {
      for (const item of fieldValue as unknown[])
        writeValue(model, writer, field.number, field.kind, field.scalar, field.message, item);
    } else {
      if (field.kind !== 'message' && !field.oneof && isDefault(fieldValue)) continue;
      writeValue(model, writer, field.number, field.kind, field.scalar, field.message, fieldValue);
    }
  }
}

function defaultOf(field: FieldInfo): unknown {
  if (field.kind === 'map') return {};
  if (field.repeated) return [];
  return valueDefault(field.kind, field.scalar);
}

function valueDefault(kind: 'scalar' | 'enum' | 'message', scalar: Scalar | undefined): unknown {
  if (kind === 'message') return null;
  if (kind === 'enum') return 0;
  switch (scalar) {
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array();
    case 'bool':
      return false;
    default:
      return 0;
  }
}

function readValue(
  model: ProtoModel,
  reader: Reader,
  kind: 'scalar' | 'enum' | 'message',
  scalar: Scalar | undefined,
  message: string | undefined,
): unknown {
  if (kind === 'message') return readMessage(model, message ?? '', reader.sub());
  if (kind === 'enum') return reader.varint();
  switch (scalar) {
    case 'string':
      return Buffer.from(reader.bytes()).toString('utf8');
    case 'bytes':
      return Buffer.from(reader.bytes());
    case 'bool':
      return reader.varint() !== 0;
    default:
      return reader.varint();
  }
}

function readMessage(model: ProtoModel, typeName: string, reader: Reader): Record<string, unknown> {
  const info = model.messages.get(typeName);
  if (info === undefined) throw new Error(`protobuf: unknown message ${typeName}`);
  const out: Record<string, unknown> = {};
  // like protobufjs' toObject({ defaults: true }): oneof members only when set
  for (const field of info.fields) if (!field.oneof) out[field.name] = defaultOf(field);
  while (!reader.done) {
    const key = reader.varint();
    const number = Math.floor(key / 8);
    const wireType = key % 8;
    const field = info.byNumber.get(number);
    if (field === undefined || wireType !== wireTypeOf(field.kind, field.scalar)) {
      reader.skip(wireType); // unknown (newer) field: protobuf ignores it
      continue;
    }
    if (field.kind === 'map') {
      const entry = reader.sub();
      let key = '';
      const mv = field.mapValue;
      let value: unknown = mv === undefined ? null : valueDefault(mv.kind, mv.scalar);
      while (!entry.done) {
        const entryKey = entry.varint();
        if (entryKey === (1 << 3) + 2) key = Buffer.from(entry.bytes()).toString('utf8');
        else if (Math.floor(entryKey / 8) === 2 && mv !== undefined)
          value = readValue(model, entry, mv.kind, mv.scalar, mv.message);
        else entry.skip(entryKey % 8);
      }
      (out[field.name] as Record<string, unknown>)[key] = value;
    } else if (field.repeated) {
      (out[field.name] as unknown[]).push(readValue(model, reader, field.kind, field.scalar, field.message));
    } else {
      out[field.name] = readValue(model, reader, field.kind, field.scalar, field.message);
    }
  }
  return out;
}

/** Decodes bytes as a message of type `typeName`. */
export function decodeMessage(model: ProtoModel, typeName: string, bytes: Uint8Array): Record<string, unknown> {
  return readMessage(model, typeName, new Reader(bytes));
}
