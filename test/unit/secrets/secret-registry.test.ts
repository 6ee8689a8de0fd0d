import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REDACTED, SecretRegistry } from '../../../src/secrets/index.js';

test('registered values are replaced wherever they appear', () => {
  const registry = new SecretRegistry();
  registry.add('hunter22');
  registry.add('s3cr3t-longer');
  assert.is(registry.redact('pw=hunter22 and s3cr3t-longer!'), `pw=${REDACTED} and ${REDACTED}!`);
  assert.ok(registry.contains('xx hunter22 yy'));
  assert.not.ok(registry.contains('nothing here'));
});

test('a secret containing another is redacted whole', () => {
  const registry = new SecretRegistry();
  registry.add('abcd');
  registry.add('abcdefgh');
  assert.is(registry.redact('[abcdefgh]'), `[${REDACTED}]`);
});

test('very short values are not registered (they would redact ordinary words)', () => {
  const registry = new SecretRegistry();
  registry.add('on');
  registry.add('');
  registry.add(undefined);
  assert.is(registry.size, 0);
  assert.is(registry.redact('power on'), 'power on');
});

test('secret-shaped text is redacted without registration', () => {
  const registry = new SecretRegistry();
  const fernet = 'gAAAAABrBsBuK0Ky' + 'x'.repeat(120);
  assert.is(registry.redact(`token ${fernet} end`), `token ${REDACTED} end`);
  assert.is(registry.redact('X-Auth-Token: abcdef123'), `X-Auth-Token: ${REDACTED}`);
  assert.is(registry.redact('{"password": "topsecret"}'), `{"password": "${REDACTED}"}`);
  assert.is(registry.redact('Authorization: Basic dXNlcjpwYXNz'), `Authorization: Basic ${REDACTED}`);
});

test('redactDeep copies, replaces sensitive keys and registered values, and survives cycles', () => {
  const registry = new SecretRegistry();
  registry.add('bmcpass1');
  const input: Record<string, unknown> = {
    host: 'fake1',
    password: 'anything',
    applicationCredentialSecret: 'x',
    nested: { note: 'the password was bmcpass1', list: ['bmcpass1', 3, true], passwordFile: '/etc/pw' },
  };
  input.self = input;
  const out = registry.redactDeep(input);
  assert.is(out.password, REDACTED);
  assert.is(out.applicationCredentialSecret, REDACTED);
  assert.equal(out.nested, {
    note: `the password was ${REDACTED}`,
    list: [REDACTED, 3, true],
    passwordFile: '/etc/pw',
  });
  assert.is(out.self, '[circular]');
  assert.is(input.password, 'anything', 'input untouched');
});

test('redactDeep turns errors into plain objects', () => {
  const registry = new SecretRegistry();
  registry.add('hunter22');
  const out = registry.redactDeep<{ error: { message: string; name: string } }>({
    error: new Error('login hunter22 failed'),
  });
  assert.is(out.error.message, `login ${REDACTED} failed`);
  assert.is(out.error.name, 'Error');
});

test.run();
