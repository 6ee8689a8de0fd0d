import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  computeServiceResource,
  computeServicesDataSource,
  providerSchema,
  schemaProblems,
  terraformName,
  toSchemaMessage,
  typeJson,
} from '../../../src/provider/schema/index.js';

test('every block is internally consistent (modes, defaults, names)', () => {
  for (const block of [computeServiceResource, computeServicesDataSource, providerSchema])
    assert.equal(schemaProblems(block), [], block.typeName);
});

test('schemaProblems catches a default without optional+computed', () => {
  const problems = schemaProblems({
    typeName: 't',
    version: 0,
    description: '',
    attributes: { fooBar: { type: 'bool', optional: true, default: false, description: '' } },
  });
  assert.equal(problems, ['t.foo_bar: a default needs optional + computed']);
});

test('names: camelCase keys become snake_case Terraform names; list-of-object types are JSON', () => {
  assert.is(terraformName('applicationCredentialSecret'), 'application_credential_secret');
  assert.equal(typeJson({ list: { forcedDown: 'bool', host: 'string' } }), [
    'list',
    ['object', { forced_down: 'bool', host: 'string' }],
  ]);
  const message = toSchemaMessage(computeServiceResource);
  const binary = message.block.attributes.find((a) => a.name === 'binary');
  assert.match(binary?.description ?? '', 'Defaults to `nova-compute`');
});

test.run();
