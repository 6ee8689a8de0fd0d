import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  UNKNOWN,
  UnknownValue,
  decodeDynamicValue,
  decodeValue,
  encodeValue,
  isUnknown,
  isWhollyKnown,
  type TfValue,
} from '../../../src/provider/values.js';

test('an unknown is msgpack extension type 0 (fixext 1: d4 00 00), and decodes back to unknown', () => {
  const bytes = encodeValue(UNKNOWN);
  assert.equal([...bytes], [0xd4, 0x00, 0x00]);
  assert.ok(isUnknown(decodeValue(bytes)));
  assert.is(decodeValue(bytes), UNKNOWN, 'a plain unknown decodes to the shared instance');
});

test('objects with nested unknowns, nulls, strings, bools and lists round-trip', () => {
  const value: TfValue = {
    id: UNKNOWN,
    host: 'fake2',
    forced_down: true,
    disabled_reason: null,
    list: [{ a: 'x', b: false }, UNKNOWN],
  };
  const back = decodeValue(encodeValue(value)) as Record<string, TfValue>;
  assert.ok(isUnknown(back.id));
  assert.is(back.host, 'fake2');
  assert.is(back.forced_down, true);
  assert.is(back.disabled_reason, null);
  assert.equal((back.list as TfValue[])[0], { a: 'x', b: false });
  assert.ok(isUnknown((back.list as TfValue[])[1]));
  assert.is(isWhollyKnown(back), false);
  assert.is(isWhollyKnown({ a: 'x', b: [true, null] }), true);
});

test('a refined unknown (ext type 12) keeps its refinement payload byte for byte', () => {
  // ext 12 with payload {1: false} (not null): c7 03 0c 81 01 c2
  const refined = Uint8Array.from([0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2]);
  const value = decodeValue(refined);
  assert.ok(value instanceof UnknownValue);
  assert.is(value.extType, 12);
  assert.equal([...encodeValue(value)], [...refined]);
});

test('DynamicValue: msgpack preferred, JSON fallback, absent is null', () => {
  assert.equal(decodeDynamicValue({ msgpack: encodeValue({ a: 'm' }), json: Buffer.from('{"a":"j"}') }), { a: 'm' });
  assert.equal(decodeDynamicValue({ json: Buffer.from('{"a":"j","n":null}') }), { a: 'j', n: null });
  assert.is(decodeDynamicValue(null), null);
  assert.is(decodeDynamicValue({}), null);
  assert.is(decodeDynamicValue({ msgpack: Uint8Array.from([0xc0]) }), null, 'msgpack nil');
});

test.run();
