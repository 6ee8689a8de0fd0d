import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findCycles } from '../../../scripts/check-cycles.mjs';

const fixtures = join(import.meta.dirname, '../../fixtures/lint');
const cyclesIn = (dir: string): string[][] =>
  findCycles(join(fixtures, dir)).map((files) => files.map((file) => file.replace(/^.*lint\//, '')));

test('a cycle through a nested folder and a type-only import is found, with exactly its files', () => {
  assert.equal(cyclesIn('cycle'), [['cycle/a.ts', 'cycle/b.ts', 'cycle/nested/c.ts']]);
});

test('a diamond and a dynamic import of a lower file are no cycle', () => {
  assert.equal(cyclesIn('acyclic'), []);
});

test('src/ has no file-level import cycle today', () => {
  assert.equal(findCycles(join(import.meta.dirname, '../../../src')), []);
});

test.run();
