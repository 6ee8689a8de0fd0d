import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { checkDesiredState } from '../../../src/iac/desired-state.js';
import { checkInventoryText } from '../../../src/inventory/index.js';
import { checkRunbookText } from '../../../src/runbook/index.js';
import {
  MAX_ALIASES,
  documentFormat,
  parseDocumentText,
  parseJsonDocument,
  parseYamlDocument,
  type Problem,
} from '../../../src/validation/index.js';

/**
 * YAML runbooks, inventories and desired states: the same schemas, the same JSON pointers and
 * messages as JSON, with YAML's own lines and columns; broken YAML names its line; hostile YAML
 * (alias bombs, deep brackets, tags, merge keys, several documents) is refused.
 */
const test = suite('YAML documents');
const root = join(import.meta.dirname, '../../..');

function where(problems: readonly Problem[]): [string, number | undefined, number | undefined, string][] {
  return problems.map((p) => [p.pointer, p.position?.line, p.position?.column, p.message]);
}

function runbookProblems(text: string, file: string): Problem[] {
  const check = checkRunbookText(text, file);
  return check.ok ? [] : [...check.problems];
}

test('the format comes from the name, else from the content', () => {
  assert.is(documentFormat('a.yaml', '{}'), 'yaml');
  assert.is(documentFormat('a.YML', '{}'), 'yaml');
  assert.is(documentFormat('a.json', 'name: x'), 'json');
  assert.is(documentFormat('journal-text', '\ufeff  {"a": 1}'), 'json');
  assert.is(documentFormat('journal-text', 'name: x'), 'yaml');
});

test('a broken YAML runbook gets the line and column of the mistake', () => {
  const text = 'name: x\nsteps:\n  - id: a\n    type: fence\n    host: h\n  - id: b\n   type: wait\n';
  assert.equal(where(runbookProblems(text, 'rb.yaml')), [
    ['', 7, 1, 'not valid YAML: Sequence item without - indicator'],
  ]);
  const unclosed = 'name: x\nsteps: [\n  {id: a, type: fence, host: h}\n';
  const [problem] = runbookProblems(unclosed, 'rb.yml');
  assert.is(problem.position?.line, 4, JSON.stringify(problem));
  assert.match(problem.message, /^not valid YAML: /);
  const tab = 'name: x\nsteps:\n\t- id: a\n';
  assert.equal(where(runbookProblems(tab, 'rb.yaml'))[0].slice(0, 2), ['', 3]);
});

test('schema problems in YAML: the same pointers and messages as JSON, YAML lines and columns', () => {
  const text = [
    'name: x',
    'steps:',
    '  - id: a',
    '    type: fence',
    '    hots: b',
    '  - id: b',
    '    type: fense',
    '',
  ].join('\n');
  assert.equal(where(runbookProblems(text, 'rb.yaml')), [
    ['/steps/0', 3, 5, 'missing required property "host"'],
    [
      '/steps/0/hots',
      5,
      5,
      'unknown property "hots" (did you mean "host"?); allowed: type, host, pollInterval, id, title, description, when, retries, retryDelay, timeout, continueOnError',
    ],
    [
      '/steps/1/type',
      7,
      11,
      'unknown step type "fense" (did you mean "fence"?); expected one of fence, power-on, force-down, clear-force-down, disable, enable, wait-service, evacuate, reset-state, approve, notify, command, wait',
    ],
  ]);
});

test('every broken runbook of the JSON corpus, written as YAML, gets the same pointers and messages', async () => {
  const dir = join(root, 'test/fixtures/runbooks/invalid');
  let compared = 0;
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
    const json = await readFile(join(dir, name), 'utf8');
    let value: unknown;
    try {
      value = parseJsonDocument(json).value;
    } catch {
      continue; // a JSON syntax error has no YAML twin
    }
    const fromJson = runbookProblems(json, name).map((p) => [p.pointer, p.message]);
    const yamlName = name.replace(/\.json$/, '.yaml');
    const fromYaml = runbookProblems(stringify(value), yamlName).map((p) => [p.pointer, p.message]);
    assert.equal(fromYaml.sort(), fromJson.sort(), name);
    compared += 1;
  }
  assert.ok(compared >= 20, `${compared} corpus files compared`);
});

test('the shipped YAML examples are the JSON ones, value for value', async () => {
  for (const [yamlFile, jsonFile] of [
    ['runbooks/host-failure.example.yaml', 'runbooks/host-failure.json'],
    ['runbooks/inventory.example.yaml', 'runbooks/inventory.example.json'],
  ]) {
    const fromYaml = parseYamlDocument(await readFile(join(root, yamlFile), 'utf8')).value as Record<string, unknown>;
    const fromJson = parseJsonDocument(await readFile(join(root, jsonFile), 'utf8')).value as Record<string, unknown>;
    assert.equal({ ...fromYaml, description: '' }, { ...fromJson, description: '' }, yamlFile);
  }
  const inventory = checkInventoryText(
    await readFile(join(root, 'runbooks/inventory.example.yaml'), 'utf8'),
    'inv.yaml',
  );
  assert.ok(inventory.ok);
});

test('YAML 1.2 core schema: yes/no/on stay strings; plain numeric keys keep their spelling', () => {
  const { value } = parseYamlDocument('a: yes\nb: on\nc: 010\n1.0: x\nd: ~\n');
  assert.equal(value, { a: 'yes', b: 'on', c: 10, '1.0': 'x', d: null });
});

test('an inventory and a desired state in YAML validate through their loaders, errors located', () => {
  const inv = 'hosts:\n  fake1:\n    bmc:\n      driver: ipmi\n      address: 127.0.0.1\n      port: nine\n';
  const check = checkInventoryText(inv, 'inv.yaml');
  assert.not.ok(check.ok);
  if (!check.ok)
    assert.equal(where(check.problems), [
      ['/hosts/fake1/bmc', 4, 7, 'missing required property "username"'],
      ['/hosts/fake1/bmc', 4, 7, 'missing required property "password"'],
      ['/hosts/fake1/bmc/port', 6, 13, 'must be an integer from 1 to 65535, not the string "nine"'],
    ]);
  const desired = 'hosts:\n  fake2:\n    state: failed\n    fencedReason: INC-1 power-off confirmed\n';
  assert.equal(checkDesiredState(desired, 'desired.yaml').problems, []);
  const bad = 'hosts:\n  fake2:\n    state: failed\nprovider:\n  password: hunter2\n';
  const problems = checkDesiredState(bad, 'desired.yaml').problems;
  assert.equal(
    problems.map((p) => [p.pointer, p.position?.line]),
    [
      ['/hosts/fake2', 3],
      ['/provider/password', 5],
    ],
  );
  assert.not.match(JSON.stringify(problems), 'hunter2');
});

test('a .json file that holds YAML gets a hint to name it .yaml', () => {
  const parsed = parseDocumentText('name: x\nsteps: []\n', 'runbooks/mine.json');
  assert.ok('problem' in parsed);
  if ('problem' in parsed) {
    assert.match(parsed.problem.message, /^not valid JSON: unexpected 'n'/);
    assert.match(parsed.problem.message, 'the file holds YAML');
    assert.match(parsed.problem.message, 'runbooks/mine.yaml');
  }
  const notYaml = parseDocumentText('{"name": "x",', 'runbooks/mine.json');
  assert.ok('problem' in notYaml && !notYaml.problem.message.includes('holds YAML'));
});

test('hostile and ambiguous YAML is refused with its line: duplicates, aliases, tags, merges, documents', () => {
  const refused = (text: string): [number | undefined, string] => {
    const parsed = parseDocumentText(text, 'x.yaml');
    assert.ok('problem' in parsed, text.slice(0, 80));
    return 'problem' in parsed ? [parsed.problem.position?.line, parsed.problem.message] : [0, ''];
  };
  assert.equal(refused('a: 1\nb: 2\na: 3\n'), [3, 'not valid YAML: duplicate key "a" (only one of them would count)']);
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i += 1)
    bomb.push(
      `${'bcdefghij'[i - 1]}: &${'bcdefghij'[i - 1]} [${Array(10)
        .fill(`*${'abcdefghij'[i - 1]}`)
        .join(', ')}]`,
    );
  assert.match(refused(bomb.join('\n'))[1], /expands to more than|more than 100 aliases/);
  const many = Array.from({ length: MAX_ALIASES + 1 }, (_, i) => `k${i}: *a`).join('\n');
  assert.match(refused(`x: &a 1\n${many}\n`)[1], `more than ${MAX_ALIASES} aliases`);
  assert.equal(refused('a: 1\nb: *nope\n'), [2, 'not valid YAML: alias *nope refers to no anchor &nope before it']);
  assert.match(refused('a: !!binary aGk=\n')[1], 'only strings, numbers, true/false and null');
  assert.match(refused('a: !custom 1\n')[1], /Unresolved tag|tags such as/);
  assert.equal(refused('base: &b {x: 1}\nc:\n  <<: *b\n')[0], 3);
  assert.match(refused('a: 1\n---\nb: 2\n')[1], 'more than one YAML document');
  assert.match(refused(`a: ${'['.repeat(65)}${']'.repeat(65)}\n`)[1], 'nested more than 64 deep');
  assert.match(refused(`a: "${'x'.repeat(1024 * 1024)}"\n`)[1], 'too big');
  assert.match(refused('a: .inf\n')[1], '.inf and .nan');
  assert.match(refused('? [a, b]\n: 1\n')[1], 'keys must be plain names');
  assert.equal(refused('\n\n# only a comment\n'), [1, 'not valid YAML: the file is empty; expected a YAML mapping']);
});

test('__proto__ in YAML is an ordinary key (no prototype pollution), reported as unknown', () => {
  const { value } = parseYamlDocument('__proto__:\n  polluted: true\nname: x\n');
  assert.is(Object.getPrototypeOf(value), Object.prototype);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  assert.ok(Object.prototype.hasOwnProperty.call(value, '__proto__'));
});

test.run();
