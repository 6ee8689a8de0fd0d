import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ResolveError,
  TemplateError,
  parseTemplate,
  resolveDeep,
  resolveTemplate,
  type Scope,
} from '../../../src/runbook/index.js';

const scope: Scope = {
  params: { host: 'cmp-07', n: 3, flag: true },
  steps: { evacuate: { failed: ['a', 'b'], total: 5 }, empty: {} },
  run: { id: 'RUN1', startedAt: '2026-11-25T00:00:00Z', dryRun: false, runbook: 'rb' },
  env: { HOOK: 'https://hooks.example/x', SECRETISH: 'no' },
  allowedEnv: new Set(['HOOK']),
};

test('a whole-value reference keeps its type', () => {
  assert.equal(resolveTemplate('${steps.evacuate.failed}', scope), ['a', 'b']);
  assert.is(resolveTemplate('${params.n}', scope), 3);
  assert.is(resolveTemplate('${params.flag}', scope), true);
});

test('references inside text become text', () => {
  assert.is(
    resolveTemplate('fenced by run ${run.id} on ${params.host} (${params.n})', scope),
    'fenced by run RUN1 on cmp-07 (3)',
  );
  assert.is(resolveTemplate('${env.HOOK}/path', scope), 'https://hooks.example/x/path');
});

test('$${ escapes a literal ${', () => {
  assert.is(resolveTemplate('cost $${params.host}', scope), 'cost ${params.host}');
  assert.equal(parseTemplate('a$${b}'), [{ literal: 'a${b}' }]);
});

test('a list cannot be embedded in text', () => {
  assert.throws(
    () => resolveTemplate('ids: ${steps.evacuate.failed}', scope),
    (e: unknown) => e instanceof ResolveError && /cannot be embedded in text/.test((e as Error).message),
  );
});

test('no expressions, no code: anything but a plain name is refused', () => {
  for (const bad of [
    '${params.n + 1}',
    '${process.exit()}',
    '${params.host.toUpperCase()}',
    '${ params.host }',
    '${}',
    '${steps.evacuate}',
    '${run.secret}',
    '${constructor.constructor}',
  ]) {
    assert.throws(
      () => parseTemplate(bad),
      (e: unknown) => e instanceof TemplateError,
      bad,
    );
  }
});

test('unknown names fail at resolution with the reference named', () => {
  assert.throws(() => resolveTemplate('${params.nope}', scope), /no parameter "nope"/);
  assert.throws(() => resolveTemplate('${steps.skipped.x}', scope), /has not produced outputs/);
  assert.throws(() => resolveTemplate('${steps.empty.x}', scope), /has no output "x"/);
  assert.throws(() => resolveTemplate('${env.SECRETISH}', scope), /does not list "SECRETISH"/);
});

test('resolveDeep copies objects, resolves strings, never keys, and is safe with __proto__', () => {
  const input = JSON.parse(
    '{"host":"${params.host}","list":["${params.n}","x"],"${params.host}":1,"__proto__":{"polluted":true}}',
  ) as Record<string, unknown>;
  const out = resolveDeep(input, scope);
  assert.is(out.host, 'cmp-07');
  assert.equal(out.list, [3, 'x']);
  assert.is(out['${params.host}'], 1);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  assert.is(input.host, '${params.host}', 'input untouched');
});

test.run();
