/**
 * forcedown's proto3 codec (src/provider/protocol/wire.ts) against protobufjs as the reference
 * implementation, both directions, on the protocol's own definitions: what one encodes the other
 * decodes to the same object.
 */
import protobuf from 'protobufjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GO_PLUGIN_PROTO, TFPLUGIN6_PROTO } from '../../../src/provider/protocol/definitions.js';
import { decodeMessage, encodeMessage, parseProto } from '../../../src/provider/protocol/wire.js';

const model = parseProto(TFPLUGIN6_PROTO, GO_PLUGIN_PROTO);
const root = new protobuf.Root();
protobuf.parse(TFPLUGIN6_PROTO, root, { keepCase: true });
protobuf.parse(GO_PLUGIN_PROTO, root, { keepCase: true });
root.resolveAll();
const CONVERSION = { longs: Number, enums: Number, defaults: true, arrays: true, objects: true };

function reference(typeName: string) {
  return root.lookupType(typeName);
}

/** Buffers → plain arrays, so objects from both decoders compare by value. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

const bytes = (text: string): Uint8Array => Buffer.from(text);

const SAMPLES: [string, Record<string, unknown>][] = [
  [
    'tfplugin6.GetProviderSchema.Response',
    {
      provider: {
        version: 0,
        block: {
          version: 0,
          attributes: [
            { name: 'cloud', type: bytes('"string"'), description: 'd', optional: true, description_kind: 1 },
          ],
          description: 'p',
          description_kind: 1,
        },
      },
      resource_schemas: {
        forcedown_compute_service: {
          version: 3,
          block: {
            attributes: [
              { name: 'host', type: bytes('"string"'), required: true },
              { name: 'id', type: bytes('"string"'), computed: true, sensitive: false },
            ],
          },
        },
        other: { version: 0, block: null },
      },
      data_source_schemas: {},
      diagnostics: [
        {
          severity: 2,
          summary: 's',
          detail: 'd',
          attribute: { steps: [{ attribute_name: 'a' }, { element_key_int: 3 }, { element_key_string: 'k' }] },
        },
      ],
      server_capabilities: { plan_destroy: true, get_provider_schema_optional: false },
    },
  ],
  [
    'tfplugin6.PlanResourceChange.Request',
    {
      type_name: 'forcedown_compute_service',
      prior_state: { msgpack: Uint8Array.from([0xc0]) },
      proposed_new_state: { msgpack: Uint8Array.from([0x81, 0xa1, 0x61, 0xd4, 0x00, 0x00]), json: bytes('{"a":1}') },
      config: null,
      prior_private: Uint8Array.from([1, 2, 3, 255]),
      client_capabilities: { deferral_allowed: true, write_only_attributes_allowed: true },
    },
  ],
  [
    'tfplugin6.UpgradeResourceState.Request',
    { type_name: 't', version: 2 ** 40, raw_state: { json: bytes('{}'), flatmap: { a: '1', 'b.c': 'ü' } } },
  ],
  [
    'tfplugin6.ImportResourceState.Response',
    {
      imported_resources: [
        { type_name: 't', state: { msgpack: Uint8Array.from([0x80]) }, private: new Uint8Array() },
        { type_name: 'u' },
      ],
      diagnostics: [],
    },
  ],
  ['tfplugin6.StopProvider.Response', { Error: 'stopping: ✓' }],
  [
    'tfplugin6.GetMetadata.Response',
    {
      server_capabilities: { plan_destroy: false },
      resources: [{ type_name: 'r' }],
      data_sources: [{ type_name: 'd' }],
    },
  ],
  ['plugin.Empty', {}],
];

test('what forcedown encodes, protobufjs decodes to the same object', () => {
  for (const [typeName, value] of SAMPLES) {
    const ours = encodeMessage(model, typeName, value);
    const type = reference(typeName);
    const theirs = type.toObject(type.decode(ours), CONVERSION);
    assert.equal(plain(theirs), plain(decodeMessage(model, typeName, ours)), typeName);
  }
});

test('what protobufjs encodes, forcedown decodes to the same object', () => {
  for (const [typeName, value] of SAMPLES) {
    const type = reference(typeName);
    const encoded = type.encode(type.fromObject(value)).finish();
    assert.equal(
      plain(decodeMessage(model, typeName, encoded)),
      plain(type.toObject(type.decode(encoded), CONVERSION)),
      typeName,
    );
  }
});

test('decoding fills defaults like protobufjs: absent messages null, repeated [], maps {}', () => {
  const decoded = decodeMessage(model, 'tfplugin6.ReadResource.Request', new Uint8Array());
  assert.equal(plain(decoded), {
    type_name: '',
    current_state: null,
    private: [],
    provider_meta: null,
    client_capabilities: null,
  });
  const schema = decodeMessage(model, 'tfplugin6.GetProviderSchema.Response', new Uint8Array());
  assert.equal([schema.resource_schemas, schema.diagnostics], [{}, []]);
});

test('fields forcedown does not declare (newer protocol versions) are skipped', () => {
  // ReadResource.Request with field 6 (current_identity, protocol 6.9) and a fixed64/fixed32 field
  const extended = new protobuf.Type('R')
    .add(new protobuf.Field('type_name', 1, 'string'))
    .add(new protobuf.Field('current_identity', 6, 'bytes'))
    .add(new protobuf.Field('f64', 7, 'fixed64'))
    .add(new protobuf.Field('f32', 8, 'fixed32'));
  new protobuf.Root().add(extended);
  const encoded = extended
    .encode(extended.fromObject({ type_name: 't', current_identity: Buffer.from([9, 9]), f64: 5, f32: 6 }))
    .finish();
  assert.is(decodeMessage(model, 'tfplugin6.ReadResource.Request', encoded).type_name, 't');
});

test('negative int64 and truncated input', () => {
  const encoded = encodeMessage(model, 'tfplugin6.AttributePath.Step', { element_key_int: -5 });
  const type = reference('tfplugin6.AttributePath.Step');
  assert.is((type.toObject(type.decode(encoded), CONVERSION) as { element_key_int: number }).element_key_int, -5);
  assert.is(decodeMessage(model, 'tfplugin6.AttributePath.Step', encoded).element_key_int, -5);
  assert.throws(
    () => decodeMessage(model, 'tfplugin6.StopProvider.Response', Uint8Array.from([0x0a, 0x05, 0x61])),
    /truncated/,
  );
});

test('the parser knows the services and refuses what it cannot encode', () => {
  assert.equal(
    model.services.get('tfplugin6.Provider')?.map((m) => m.name),
    [
      'GetMetadata',
      'GetProviderSchema',
      'ValidateProviderConfig',
      'ValidateResourceConfig',
      'ValidateDataResourceConfig',
      'UpgradeResourceState',
      'ConfigureProvider',
      'ReadResource',
      'PlanResourceChange',
      'ApplyResourceChange',
      'ImportResourceState',
      'ReadDataSource',
      'StopProvider',
    ],
  );
  assert.equal(
    model.services.get('plugin.GRPCController')?.map((m) => `${m.name}(${m.requestType})`),
    ['Shutdown(plugin.Empty)'],
  );
  assert.throws(() => parseProto('syntax = "proto3"; package p; message M { repeated int64 xs = 1; }'), /packed/);
  assert.throws(() => parseProto('syntax = "proto3"; package p; message M { Unknown x = 1; }'), /unknown type Unknown/);
});

test.run();
