/**
 * os-services PUTs get their own answer limit (SERVICE_UPDATE_ANSWER_MS, 90 s: Nova Zed answers a
 * disable of a dead compute only after its 60 s RPC gives up), and a PUT whose answer times out is
 * read back before it counts as failed. On a local HTTP server that holds the PUT, with small
 * limits injected (no speed target: only which limit applies and what the read-back decides).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NovaComputeApi, SERVICE_UPDATE_ANSWER_MS } from '../../../src/openstack/compute/compute-api.js';
import { OpenStackHttp, type MutableStats } from '../../../src/openstack/http/http-client.js';
import { HttpTransport } from '../../../src/openstack/http/transport.js';
import type { ComputeService } from '../../../src/openstack/openstack.interface.js';
import { rejection } from './helpers.js';

const UUID = '6b2d3c4e-1f2a-4b5c-8d9e-0a1b2c3d4e5f';

/** The one service the server knows, as Nova's os-services JSON. */
let record: Record<string, unknown>;
/**
 * What the server does with a PUT: apply it at once, only when it answers (so a client that gave
 * up reads back the old record), or never; answer after `answerAfterMs` (never: hold it).
 */
let put: { apply: 'at-once' | 'on-answer' | 'never'; answerAfterMs: number | 'never' };
let puts = 0;
const held = new Set<ServerResponse>();
let server: Server;
let port = 0;

function reset(): void {
  record = {
    id: UUID,
    host: 'fake3',
    binary: 'nova-compute',
    zone: 'nova',
    status: 'enabled',
    state: 'up',
    forced_down: false,
    disabled_reason: null,
    updated_at: '2026-12-02T10:00:00.000000',
  };
  puts = 0;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function handle(request: IncomingMessage, response: ServerResponse): void {
  let text = '';
  request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  request.on('end', () => {
    if (request.method === 'GET' && (request.url ?? '').startsWith('/v2.1/os-services'))
      return json(response, 200, { services: [record] });
    if (request.method !== 'PUT' || request.url !== `/v2.1/os-services/${UUID}`) return json(response, 404, {});
    puts += 1;
    const change = JSON.parse(text) as Record<string, unknown>;
    if (put.apply === 'at-once') record = { ...record, ...change };
    if (put.answerAfterMs === 'never') {
      held.add(response);
      return undefined;
    }
    const onAnswer = put.apply === 'on-answer';
    setTimeout(() => {
      if (onAnswer) record = { ...record, ...change };
      json(response, 200, { service: record });
    }, put.answerAfterMs);
    return undefined;
  });
}

test.before(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
test.after(async () => {
  for (const response of held) response.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
test.before.each(reset);

/** A compute API whose default answer limit is 100 ms, with `serviceUpdateAnswerMs` for PUTs. */
function computeApi(serviceUpdateAnswerMs: number): { api: NovaComputeApi; close: () => void } {
  const stats: MutableStats = { requests: 0, retries: 0, reauthentications: 0 };
  const transport = new HttpTransport({ verify: false });
  const http = new OpenStackHttp({
    transport,
    stats,
    retry: { retries: 0 },
    deadlines: { connectTimeoutMs: 2000, responseTimeoutMs: 100, budgetMs: 100 },
  });
  http.useTokens({ token: async () => 'token', renewAfterUnauthorized: async () => 'token' });
  const api = new NovaComputeApi({
    http,
    endpoint: `http://127.0.0.1:${port}/v2.1`,
    range: { min: '2.1', max: '2.93' },
    microversions: { services: '2.53', evacuate: '2.29', servers: '2.47', migrations: '2.59', flavors: '2.61' },
    serviceUpdateAnswerMs,
  });
  return { api, close: () => transport.close() };
}

const service = (): ComputeService => ({
  id: UUID,
  host: 'fake3',
  binary: 'nova-compute',
  zone: 'nova',
  status: 'enabled',
  state: 'up',
  forcedDown: false,
  disabledReason: null,
  updatedAt: null,
});

test('the answer limit is 90 s, above the 60 s RPC timeout of Nova Zed', () => {
  assert.is(SERVICE_UPDATE_ANSWER_MS, 90_000);
});

test('a PUT waits for its own limit, not the default: an answer after 400 ms (default 100 ms) arrives', async () => {
  put = { apply: 'on-answer', answerAfterMs: 400 };
  const { api, close } = computeApi(30_000);
  try {
    const updated = await api.disableService(service(), 'INC-1 maintenance');
    assert.is(updated.status, 'disabled');
    assert.is(updated.disabledReason, 'INC-1 maintenance');
    assert.is(puts, 1);
  } finally {
    close();
  }
});

test('a timed-out PUT that Nova made anyway counts as made (read back)', async () => {
  put = { apply: 'at-once', answerAfterMs: 'never' };
  const { api, close } = computeApi(300);
  try {
    const updated = await api.disableService(service(), 'INC-2 fenced');
    assert.is(puts, 1, 'sent once');
    assert.is(updated.status, 'disabled');
    assert.is(updated.disabledReason, 'INC-2 fenced');
  } finally {
    close();
  }
});

test('a timed-out PUT that the read-back does not show stays a timeout', async () => {
  put = { apply: 'never', answerAfterMs: 'never' };
  const { api, close } = computeApi(300);
  try {
    const error = (await rejection(api.setForcedDown(service(), true))) as { code?: string };
    assert.is(error.code, 'OPENSTACK_TIMEOUT');
    assert.is(record.forced_down, false, 'Nova unchanged');
  } finally {
    close();
  }
});

test.run();
