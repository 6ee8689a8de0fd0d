import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { coordinationError, type CoordinationSettings } from '../../../src/coordination/index.js';

const settings: CoordinationSettings = {
  endpoints: ['http://127.0.0.1:1'],
  prefix: '/forcedown',
  region: 'default',
  leaseTtlSeconds: 10,
  timeoutMs: 1000,
  origins: {},
};

/** What grpc-js says when no member answers: its "Resolution note: " has nothing after it. */
const grpcUnavailable =
  '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1 (2025-01-01T00:00:00.000Z). Resolution note: ';

test("COORDINATION_UNAVAILABLE drops grpc's empty Resolution note tail", () => {
  const error = coordinationError(new Error(grpcUnavailable), 'taking the locks', settings);
  assert.is(error.code, 'COORDINATION_UNAVAILABLE');
  assert.is(
    error.message,
    'cannot coordinate through etcd (http://127.0.0.1:1): taking the locks failed: 14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1 (2025-01-01T00:00:00.000Z).',
  );
  assert.not.match(JSON.stringify(error.data), 'Resolution note');
});

test('a Resolution note with text in it is kept', () => {
  const error = coordinationError(new Error('14 UNAVAILABLE: no members. Resolution note: DNS failed'), 'x', settings);
  assert.match(error.message, 'Resolution note: DNS failed');
});

test.run();
