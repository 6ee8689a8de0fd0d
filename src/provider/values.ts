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
import { UNKNOWN, UnknownValue, type TfValue } from './unknown.js';

export { UNKNOWN, UnknownValue, isUnknown, isWhollyKnown, type TfObject, type TfValue } from './unknown.js';

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
    if (raw instanceof ExtData)
      return new UnknownValue(raw.type, raw.data instanceof Uint8Array ? raw.data : new Uint8Array(0));
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
  if (value.json !== undefined && value.json.length > 0)
    return toTfValue(JSON.parse(Buffer.from(value.json).toString('utf8')));
  return null;
}

/** Encodes a response's DynamicValue (always msgpack). */
export function encodeDynamicValue(value: TfValue): { msgpack: Uint8Array } {
  return { msgpack: encodeValue(value) };
}
