import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasUrlCredentials } from '../../../src/validation/index.js';
import { cliIn } from '../../support/captured-output.js';

/**
 * `forcedown validate` refuses what the schema or the semantic checks can know before anything
 * runs: credentials in any URL, plain-http Redfish without `insecure`, IPMI cipher suite 0,
 * plain-http webhooks to other hosts than loopback, zero durations, durations fed by parameters
 * that cannot hold one, `when` comparisons whose types cannot match, and unknown enum values
 * named with a suggestion. Every problem at once, each with file, line and JSON path; exit 2.
 */
let dir = '';
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-validate-'));
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Reported {
  readonly file: string;
  readonly valid: boolean;
  readonly problems: { line?: number; pointer: string; message: string }[];
}

/** Writes the files and validates them all in one call (JSON output). */
async function validate(files: Record<string, unknown>): Promise<{ code: number; results: Reported[] }> {
  for (const [name, content] of Object.entries(files))
    await writeFile(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  const { code, out, err } = await cliIn(dir, ['validate', '--output', 'json', ...Object.keys(files)]);
  assert.not.match(err, /\n\s+at /, 'no stack trace');
  return { code, results: JSON.parse(out) as Reported[] };
}

const problemsOf = (result: Reported): [string, number | undefined, string][] =>
  result.problems.map((p) => [p.pointer, p.line, p.message]);

const bmc = (extra: Record<string, unknown>) => ({
  bmc: { username: 'admin', password: { env: 'BMC_PW' }, ...extra },
});

test('inventory: credentials in a URL, plain-http Redfish, cipher suite 0; insecure: true accepts http', async () => {
  const { code, results } = await validate({
    'inventory.json': {
      hosts: {
        a: bmc({ driver: 'redfish', url: 'https://root:calvin@10.0.0.4' }),
        b: bmc({ driver: 'redfish', url: 'http://10.0.0.5' }),
        c: bmc({ driver: 'redfish', url: 'http://10.0.0.6', insecure: true }),
        d: bmc({ driver: 'ipmi', address: '10.0.0.7', cipherSuite: 0 }),
        e: bmc({ driver: 'ipmi', address: '10.0.0.8', cipherSuite: 17 }),
      },
    },
  });
  assert.is(code, 2);
  assert.equal(problemsOf(results[0]), [
    [
      '/hosts/a/bmc/url',
      10,
      'a URL with credentials in it (user:password@): they would end up in the journal, logs and process listings; give the user as "username" and the password as "password": {"env": ...} or {"file": ...}',
    ],
    [
      '/hosts/b/bmc/url',
      20,
      'the Redfish BMC of b is reached over plain http: its password would cross the network unencrypted; use https://, or set "insecure": true to accept that explicitly',
    ],
    [
      '/hosts/d/bmc/cipherSuite',
      42,
      'cipher suite 0 has no authentication: anyone who can reach the BMC of d could power it off or on; use 3 or 17 (what the BMC supports)',
    ],
  ]);
});

test('inventory: an unknown driver names the field, the known drivers and the likely one; with the other problems', async () => {
  const { code, results } = await validate({
    'inventory.json': {
      hosts: {
        a: bmc({ driver: 'IPMI', address: '10.0.0.1' }),
        b: bmc({ driver: 'redfsh', url: 'https://10.0.0.2' }),
        c: bmc({ driver: 'ipmi', address: '10.0.0.3', interface: 'LANPLUS' }),
        d: bmc({ driver: 'redfish', url: 'https://u:p@10.0.0.4' }),
      },
    },
  });
  assert.is(code, 2);
  assert.equal(
    problemsOf(results[0]).map(([pointer, , message]) => [pointer, message]),
    [
      ['/hosts/a/bmc/driver', 'unknown driver "IPMI" (did you mean "ipmi"?); expected one of ipmi, redfish, command'],
      [
        '/hosts/b/bmc/driver',
        'unknown driver "redfsh" (did you mean "redfish"?); expected one of ipmi, redfish, command',
      ],
      ['/hosts/c/bmc/interface', 'must be one of "lanplus", "lan", not "LANPLUS" (did you mean "lanplus"?)'],
      [
        '/hosts/d/bmc/url',
        'a URL with credentials in it (user:password@): they would end up in the journal, logs and process listings; give the user as "username" and the password as "password": {"env": ...} or {"file": ...}',
      ],
    ],
  );
});

test('runbook: zero durations are refused wherever a duration goes', async () => {
  const { code, results } = await validate({
    'zero.json': {
      name: 'zero',
      steps: [
        { id: 'w', type: 'wait', duration: '0s', timeout: '0ms' },
        { id: 'x', type: 'command', command: ['true'], retries: 1, retryDelay: '0.0m' },
        { id: 'ok', type: 'wait', duration: '0.5s' },
      ],
    },
  });
  assert.is(code, 2);
  assert.equal(problemsOf(results[0]), [
    ['/steps/0/duration', 7, '"duration" must be more than zero, not "0s": a duration such as 500ms, 30s, 5m or 1h'],
    ['/steps/0/timeout', 8, '"timeout" must be more than zero, not "0ms": a duration such as 500ms, 30s, 5m or 1h'],
    [
      '/steps/1/retryDelay',
      17,
      '"retryDelay" must be more than zero, not "0.0m": a duration such as 500ms, 30s, 5m or 1h',
    ],
  ]);
});

test('runbook: URLs with credentials anywhere, plain-http webhooks, durations from parameters, when types', async () => {
  const { code, results } = await validate({
    'values.json': {
      name: 'values',
      params: {
        mode: { type: 'string', description: 'm' },
        count: { type: 'integer', description: 'c', default: 1 },
        settle: { type: 'string', description: 's', default: '30 seconds' },
      },
      steps: [
        { id: 'w1', type: 'wait', duration: '${params.settle}' },
        { id: 'w2', type: 'wait', duration: '${params.count}' },
        { id: 'c1', type: 'command', command: ['true'], when: { equals: ['${params.mode}', 3] } },
        {
          id: 'c2',
          type: 'command',
          command: ['true'],
          when: { any: [{ notEquals: ['${params.count}', '1'] }, { in: ['${params.mode}', [1, 2]] }] },
        },
        { id: 'c3', type: 'command', command: ['curl', 'https://me:pw@example.com/x'] },
        { id: 'n1', type: 'notify', url: 'http://hooks.example.com/x' },
        { id: 'n2', type: 'notify', url: 'http://127.0.0.1:9/x' },
        { id: 'c4', type: 'command', command: ['true'], when: { equals: ['${params.mode}', 'full'] } },
      ],
    },
  });
  assert.is(code, 2);
  assert.equal(problemsOf(results[0]), [
    [
      '/steps/0/duration',
      23,
      '${params.settle} fills a duration, but the default of parameter "settle" is "30 seconds": give a duration of more than zero such as 500ms, 30s, 5m or 1h',
    ],
    [
      '/steps/1/duration',
      28,
      '${params.count} fills a duration, but parameter "count" is of type integer: a duration is a string such as 30s; declare the parameter as "type": "string"',
    ],
    [
      '/steps/2/when/equals',
      37,
      '"equals" compares "${params.mode}" (a string parameter) with 3 (a number): values of different types are never equal, so this condition is always false; compare with the string "3" instead',
    ],
    [
      '/steps/3/when/any/0/notEquals',
      52,
      '"notEquals" compares "${params.count}" (a number parameter) with "1" (a string): values of different types are never equal, so this condition is always true',
    ],
    [
      '/steps/3/when/any/1/in',
      58,
      '"in" looks for "${params.mode}" (a string parameter) in a list of number values: it can never be found, so this condition is always false',
    ],
    [
      '/steps/4/command/1',
      74,
      'a URL with credentials in it (user:password@): they would end up in the journal, logs and process listings; put secrets in a header taken from ${env.NAME} (listed in "env") or in a password file, never in a URL',
    ],
    [
      '/steps/5/url',
      80,
      'plain http to hooks.example.com would send the run summary (and any headers) unencrypted: webhooks must use https (http only to loopback)',
    ],
  ]);
});

test('runbook: a webhook URL with credentials is refused even when the file has schema errors too', async () => {
  const { code, results } = await validate({
    'both.json': {
      name: 'both',
      steps: [
        { id: 'n', type: 'notify', url: 'https://bot:token123@hooks.example.com/x' },
        { id: 'w', type: 'wiat', duration: '1s' },
      ],
    },
  });
  assert.is(code, 2);
  const messages = results[0].problems.map((p) => p.message);
  assert.is(messages.length, 2, messages.join('\n'));
  assert.match(messages[0], 'a URL with credentials in it');
  assert.match(messages[1], 'unknown step type "wiat" (did you mean "wait"?)');
  assert.not.match(JSON.stringify(results), 'token123@hooks', 'the problem does not repeat the URL');
});

test('finding credentials in URLs: the userinfo of an authority only, and linear on hostile input', () => {
  for (const [text, found] of [
    ['https://u:p@h/x', true],
    ['curl ftp://user@host/file', true],
    ['https://h/x@y', false],
    ['https://h?u@x', false],
    ['https://h u@x', false],
    ['x://@h', false],
    ['://u@h', false],
    ['mailto:ops@example.com', false],
  ] as const)
    assert.is(hasUrlCredentials(text), found, text);
  // a regular expression with a scheme before "://" took minutes on these (the fuzz suite's megabyte step type)
  const started = Date.now();
  for (const text of ['x'.repeat(1_000_000), 'a://'.repeat(300_000), `a://${'b'.repeat(1_000_000)}`])
    assert.is(hasUrlCredentials(text), false);
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
});

test('the shipped runbooks and the example inventory still validate', async () => {
  const root = join(import.meta.dirname, '../../..');
  const { code, out } = await cliIn(root, [
    'validate',
    'runbooks/host-failure.json',
    'runbooks/host-recovery.json',
    'runbooks/evacuate-only.json',
    'runbooks/inventory.example.json',
    'test/fuzz/fixtures/testbed-inventory.json',
  ]);
  assert.is(code, 0, out);
});

test.run();
