import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROTOCOL_TABLE } from '../../../src/generated/protocol.model.js';
import { loadProtocol } from '../../../src/provider/protocol/codec.js';
import { GO_PLUGIN_PROTO, TFPLUGIN6_PROTO } from '../../../src/provider/protocol/definitions.js';
import { modelFromTable, parseProto } from '../../../src/provider/protocol/wire.js';

const root = join(import.meta.dirname, '../../..');

test('the generated table (protobufjs) is exactly what the proto text parses to (own parser)', () => {
  const fromText = parseProto(TFPLUGIN6_PROTO, GO_PLUGIN_PROTO);
  const generated = modelFromTable(PROTOCOL_TABLE);
  assert.equal([...generated.messages.keys()].sort(), [...fromText.messages.keys()].sort());
  for (const [name, message] of fromText.messages) assert.equal(generated.messages.get(name), message, name);
  assert.equal([...generated.enums].sort(), [...fromText.enums].sort());
  assert.equal(new Map(generated.services), new Map(fromText.services));
});

test('the codec loads the generated table', () => {
  assert.ok(loadProtocol().services.has('tfplugin6.Provider'));
  assert.ok(loadProtocol().messages.has('tfplugin6.GetProviderSchema.Response'));
});

test('the checked-in generated protocol files are not stale', () => {
  const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');
  const result = spawnSync(process.execPath, [tsx, 'scripts/gen-protocol.ts', '--check'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.is(result.status, 0, result.stderr);
});

test.run();
