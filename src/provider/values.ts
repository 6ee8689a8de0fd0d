/**
 * Terraform values as they cross the plugin protocol (`DynamicValue`): msgpack, with unknown
 * values as msgpack extension values (ext type 0 = a plain unknown; ext type 12 = an unknown with
 * refinements, whose payload is kept byte for byte so it round-trips).
 *
 * In TypeScript a value is `null`, a string, number or boolean, an array (list/set/tuple), a plain
 * object (object/map), or an {@link UnknownValue}.
 */
import { decode, encode, ExtData, ExtensionCodec } from '@msgpack/msgpack';
import type { DynamicValueMessage } from './protocol/messages.js';

/** A value Terraform does not know yet ("known after apply"). */
export class UnknownValue {
  /** The msgpack extension type it came with: 0 (plain) or 12 (refined). */
  readonly extType: number;
  /** The extension payload (refinements for type 12; ignored for type 0). */
  readonly payload: Uint8Array;

  constructor(extType = 0, payload: Uint8Array = new Uint8Array([0])) {
    this.extType = extType;
    this.payload = payload;
  }
}

/** The plain unknown value (msgpack ext type 0). */
export const UNKNOWN: UnknownValue = Object.freeze(new UnknownValue()) as UnknownValue;

/** A Terraform value decoded from msgpack. */
export type TfValue = null | string | number | boolean | UnknownValue | readonly TfValue[] | TfObject;
/** A Terraform object (or map) value. */
export interface TfObject {
  readonly [key: string]: TfValue;
}

/** True for an unknown value (plain or refined). */
export function isUnknown(value: unknown): value is UnknownValue {
  return value instanceof UnknownValue;
}

/** True when `value` contains no unknown anywhere. */
export function isWhollyKnown(value: TfValue): boolean {
  if (isUnknown(value)) return false;
  if (Array.isArray(value)) return value.every((item: TfValue) => isWhollyKnown(item));
  if (value !== null && typeof value === 'object') return Object.values(value).every((item) => isWhollyKnown(item));
  return true;
}

const codec = new ExtensionCodec();
codec.register({
  type: 0,
  encode: (input) => (input instanceof UnknownValue && input.extType === 0 ? input.payload : null),
  decode: (data) => (data.length === 1 && data[0] === 0 ? UNKNOWN : new UnknownValue(0, data.slice())),
});
codec.register({
  type: 12,
  encode: (input) => (input instanceof UnknownValue && input.extType === 12 ? input.payload : null),
  decode: (data) => new UnknownValue(12, data.slice()),
});

/** Encodes a value as msgpack (what Terraform expects in every response). */
export function encodeValue(value: TfValue): Uint8Array {
  return encode(value, { extensionCodec: codec, ignoreUndefined: false, forceFloat32: false });
}

/** Decodes msgpack; any other extension type (none is defined today) also reads as unknown. */
export function decodeValue(bytes: Uint8Array): TfValue {
  return toTfValue(decode(bytes, { extensionCodec: codec }));
}

function toTfValue(raw: unknown): TfValue {
  if (raw === null || raw === undefined) return null;
  if (raw instanceof UnknownValue) return raw;
  if (typeof raw === 'string' || typeof raw === 'boolean' || typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return Number(raw);
  if (Array.isArray(raw)) return raw.map(toTfValue);
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString('utf8');
  if (typeof raw === 'object') {
    if (raw instanceof ExtData) return new UnknownValue(raw.type, raw.data instanceof Uint8Array ? raw.data : new Uint8Array(0));
    const out: Record<string, TfValue> = {};
    for (const [key, item] of Object.entries(raw)) out[key] = toTfValue(item);
    return out;
  }
  return null;
}

/**
 * Decodes a request's DynamicValue: msgpack when present, else JSON (which cannot carry unknowns).
 * An absent DynamicValue (or one with neither encoding) is `null`.
 */
export function decodeDynamicValue(value: DynamicValueMessage | null | undefined): TfValue {
  if (value === null || value === undefined) return null;
  if (value.msgpack !== undefined && value.msgpack.length > 0) return decodeValue(value.msgpack);
  if (value.json !== undefined && value.json.length > 0) return toTfValue(JSON.parse(Buffer.from(value.json).toString('utf8')));
  return null;
}

/** Encodes a response's DynamicValue (always msgpack). */
export function encodeDynamicValue(value: TfValue): { msgpack: Uint8Array } {
  return { msgpack: encodeValue(value) };
}
