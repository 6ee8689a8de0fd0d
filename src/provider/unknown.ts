/**
 * Terraform values in TypeScript, and the unknown value ("known after apply"). Kept apart from the
 * msgpack codec (values.ts) so that validation and the constructs can use them without it.
 */

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
export const UNKNOWN: UnknownValue = Object.freeze(new UnknownValue());

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
