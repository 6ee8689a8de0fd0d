import { Buffer } from 'node:buffer';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRunbookText } from '../../../src/runbook/index.js';
import {
  MAX_COLLECTION_ENTRIES,
  MAX_PROBLEMS,
  escapeForTerminal,
  sortProblems,
  validateDocumentText,
  type Problem,
} from '../../../src/validation/index.js';
import { cliIn } from '../../support/captured-output.js';

/**
 * Regressions the fuzz suite (test/fuzz) found in what forcedown prints about hostile input:
 * control characters copied from a file into the terminal, megabytes of echoed keys and values,
 * thousands of problems, and files big enough to stall ajv.
 */
let dir = '';
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-hostile-'));
});
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cli = (argv: string[], env: Record<string, string> = {}): ReturnType<typeof cliIn> => cliIn(dir, argv, env);

// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

test('escapeForTerminal: ESC, NUL, CR, DEL, C1 and bidi overrides become \\uXXXX; tab, newline and other unicode stay', () => {
  assert.is(
    escapeForTerminal('a\u001b[31mb\u0000c\rd\u007fe\u0085f\u202eg\u2066h'),
    'a\\u001b[31mb\\u0000c\\u000dd\\u007fe\\u0085f\\u202eg\\u2066h',
  );
  assert.is(escapeForTerminal('tab\there\nnext é 💥 ключ'), 'tab\there\nnext é 💥 ключ');
  // inside JSON text the escape is the same string
  const json = JSON.stringify({ key: 'x\u202ey\u0085' });
  assert.equal(JSON.parse(escapeForTerminal(json)), { key: 'x\u202ey\u0085' });
});

test('validate and plan print a key with an escape sequence escaped, never raw', async () => {
  await writeFile(
    join(dir, 'rb.json'),
    JSON.stringify({
      name: 'x',
      steps: [{ id: 'a', type: 'command', command: ['true'], '\u001b[2J\u001b[31mEVIL\u202e': 1 }],
    }),
  );
  const validate = await cli(['validate', 'rb.json']);
  assert.is(validate.code, 2);
  assert.not.match(validate.out + validate.err, RAW);
  assert.match(validate.out, 'unknown property "\\u001b[2J\\u001b[31mEVIL\\u202e"');
  const plan = await cli(['plan', 'rb.json']);
  assert.is(plan.code, 2);
  assert.not.match(plan.out + plan.err, RAW);
  assert.match(plan.err, '\\u001b[2J');
  // a JSON syntax error at a control character
  await writeFile(join(dir, 'nul.json'), '{"name": "x"\u0007}');
  const nul = await cli(['validate', 'nul.json', '--output', 'json']);
  assert.not.match(nul.out + nul.err, RAW);
  assert.match(
    (JSON.parse(nul.out) as { problems: { message: string }[] }[])[0].problems[0].message,
    "unexpected '\u0007'",
  );
});

test('run --dry-run: a step title with control characters reaches the progress output escaped', async () => {
  await writeFile(
    join(dir, 'rb.json'),
    JSON.stringify({
      name: 'x',
      steps: [{ id: 'a', type: 'command', title: 'say \u001b]0;pwned\u0007 \u202eevil', command: ['true'] }],
    }),
  );
  const run = await cli(['run', 'rb.json', '--dry-run', '--state-dir', join(dir, 'state')]);
  assert.is(run.code, 0, run.err);
  assert.match(run.err, 'say \\u001b]0;pwned\\u0007 \\u202eevil');
  assert.not.match(run.out + run.err, RAW);
});

test('a huge unknown key or step type is quoted and cut, not echoed whole', () => {
  const key = 'k'.repeat(200_000);
  const type = 't"\\'.repeat(100_000);
  const check = checkRunbookText(
    JSON.stringify({
      name: 'x',
      steps: [
        { id: 'a', type: 'command', command: ['true'], [key]: 1 },
        { id: 'b', type },
      ],
    }),
    'rb.json',
  );
  assert.not.ok(check.ok);
  if (check.ok) return;
  const total = check.problems.reduce((sum, p) => sum + p.message.length + p.pointer.length, 0);
  assert.ok(total < 2000, `problems are ${total} characters`);
  const typeProblem = check.problems.find((p) => p.pointer === '/steps/1/type')!;
  assert.match(typeProblem.message, /^unknown step type "t\\"\\\\t\\"/);
});

test('thousands of problems: the first ones, then one line counting the rest', () => {
  const problems: Problem[] = Array.from({ length: 250 }, (_, i) => ({
    file: 'f.json',
    pointer: `/a/${i}`,
    position: { line: i + 1, column: 1 },
    message: 'bad',
  }));
  const sorted = sortProblems(problems);
  assert.is(sorted.length, MAX_PROBLEMS + 1);
  assert.is(sorted[0].pointer, '/a/0');
  assert.is(
    sorted.at(-1)!.message,
    `... and ${250 - MAX_PROBLEMS} more problems (fix the ones above and validate again)`,
  );
});

test('a collection too big to validate is refused before ajv, quickly', () => {
  const hosts: Record<string, unknown> = {};
  for (let i = 0; i <= MAX_COLLECTION_ENTRIES; i += 1) hosts[`cmp-${i}`] = i;
  const started = Date.now();
  const result = validateDocumentText('desired-state', JSON.stringify({ hosts }), 'ds.json');
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  assert.equal(
    result.problems.map((p) => [p.pointer, p.message]),
    [
      [
        '/hosts',
        `has ${MAX_COLLECTION_ENTRIES + 1} entries; at most ${MAX_COLLECTION_ENTRIES} are accepted (split the file)`,
      ],
    ],
  );
  // at the limit, ajv runs and reports (a bounded number of) problems
  delete hosts[`cmp-${MAX_COLLECTION_ENTRIES}`];
  const atLimit = validateDocumentText('desired-state', JSON.stringify({ hosts }), 'ds.json');
  assert.ok(atLimit.problems.length > MAX_PROBLEMS);
  assert.is(sortProblems(atLimit.problems).length, MAX_PROBLEMS + 1);
});

test('a UTF-16 or Latin-1 file: the syntax error says to save it as UTF-8', () => {
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"name": "x"}', 'utf16le')]).toString('utf8');
  assert.match(
    validateDocumentText('runbook', utf16, 'rb.json').problems[0].message,
    'looks UTF-16 encoded: save it as UTF-8',
  );
  const latin1 = Buffer.from('{"name": "caf\u00e9"', 'latin1').toString('utf8');
  assert.match(validateDocumentText('runbook', latin1, 'rb.json').problems[0].message, 'bytes that are not UTF-8');
  assert.not.match(validateDocumentText('runbook', '{"name": ', 'rb.json').problems[0].message, 'UTF');
});

test("a --var value outside the parameter's pattern: the pattern is quoted", async () => {
  await writeFile(
    join(dir, 'rb.json'),
    JSON.stringify({
      name: 'x',
      params: { host: { type: 'string', description: 'h', pattern: 'TypeError' } },
      steps: [{ id: 'a', type: 'command', command: ['echo', '${params.host}'] }],
    }),
  );
  const run = await cli(['plan', 'rb.json', '--var', 'host=fake2']);
  assert.is(run.code, 2);
  assert.match(run.err, '--var host must match the pattern "TypeError", not "fake2"');
});

test.run();
