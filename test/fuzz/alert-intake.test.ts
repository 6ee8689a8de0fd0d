import { Buffer } from 'node:buffer';
import { connect } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAlertIntake, type AlertIntake } from '../../src/watch/alert-intake.js';
import { send, type Reply } from '../unit/watch/http-client.js';
import { newTally, report, settingsFor, type Tally } from './support/harness.js';
import { HOSTILE_KEYS, HOSTILE_STRINGS, dictionaryOf, mutate } from './support/mutate.js';
import { DEFAULT_CASES, Rng, caseIndexes } from './support/rng.js';

/**
 * Generated malformed and hostile requests to the real alert intake on 127.0.0.1: mutated
 * Alertmanager payloads (the suite's mutators), random JSON shapes, huge strings, wrong types,
 * prototype-pollution keys, bad UTF-8, chunked garbage, raw garbage on the socket, wrong tokens,
 * methods and content types. Every request must get a 4xx with a JSON `{error, what_to_do}` (or
 * 200 when it is a valid, authenticated payload), never echo the token, and the server must keep
 * answering (a valid request is checked every 20 cases and at the end). Cases: at least 500
 * (its TARGET_SHARES part of FORCEDOWN_FUZZ_CASES: 525 of 2100), replayable with FORCEDOWN_FUZZ_ONLY=alert-intake#N.
 */
const TARGET = 'alert-intake';
const settings = settingsFor(TARGET);
const TOKEN = 'fuzz-alert-token-7d1e0b93';
const LIMIT = 64 * 1024;
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const base = {
  version: '4',
  groupKey: '{}:{alertname="NodeDown"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'forcedown',
  groupLabels: { alertname: 'NodeDown' },
  commonLabels: { alertname: 'NodeDown' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager.example.net:9093',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'NodeDown', host: 'fake1', severity: 'critical' },
      annotations: { summary: 'fake1 is down' },
      startsAt: '2025-01-02T03:04:05.678Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example.net/graph',
      fingerprint: 'c0ffee01',
    },
    {
      status: 'resolved',
      labels: { alertname: 'NodeDown', host: 'fake2' },
      annotations: {},
      startsAt: '2025-01-02T02:00:00Z',
      endsAt: '2025-01-02T03:00:00Z',
      generatorURL: '',
      fingerprint: 'c0ffee02',
    },
  ],
};
const baseText = JSON.stringify(base, null, 2);
const dictionary = dictionaryOf([base]);
const good = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };

function randomValue(rng: Rng, depth: number): unknown {
  const kind = rng.int(0, depth > 4 ? 3 : 6);
  if (kind === 0) return rng.pick([null, true, false, 0, -1, 1e308, 4.2, '']);
  if (kind === 1) return rng.pick(HOSTILE_STRINGS);
  if (kind === 2)
    return rng.chance(0.2) ? 'x'.repeat(rng.int(1000, 100_000)) : rng.pick(['firing', 'resolved', '4', 4, 'fake1']);
  if (kind === 3) return rng.int(-1e9, 1e9);
  if (kind === 4) return Array.from({ length: rng.int(0, 5) }, () => randomValue(rng, depth + 1));
  const entries: [string, unknown][] = [];
  for (let i = rng.int(0, 6); i > 0; i -= 1)
    entries.push([
      rng.pick([...HOSTILE_KEYS, 'version', 'status', 'alerts', 'labels', 'host', 'fingerprint', 'startsAt']),
      randomValue(rng, depth + 1),
    ]);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
}
const asJsonText = (value: unknown): string =>
  typeof value === 'string' && value.startsWith('{') ? value : (JSON.stringify(value) ?? 'null');

/** A payload whose alerts are shaped right but whose values are hostile (wrong types, pollution keys). */
function hostileAlerts(rng: Rng): string {
  const alerts = Array.from({ length: rng.int(1, 8) }, () => {
    const labels = `{${Array.from({ length: rng.int(0, 5) }, () => `${JSON.stringify(rng.pick([...HOSTILE_KEYS, 'host', 'alertname']))}:${JSON.stringify(rng.chance(0.7) ? rng.pick([...HOSTILE_STRINGS, 'fake1', 'cmp-07.example.net']) : randomValue(rng, 3))}`).join(',')}}`;
    return `{"status":${JSON.stringify(rng.pick(['firing', 'resolved', 'FIRING', 1]))},"labels":${labels},"startsAt":${JSON.stringify(rng.pick(['2025-01-01T00:00:00Z', '2025-13-99T99:99:99Z', '', 0]))},"fingerprint":${JSON.stringify(rng.pick(['f1', 'f2', '', 'a'.repeat(200), '../../x', '__proto__', 7]))}}`;
  });
  return `{"version":"4","status":"firing","alerts":[${alerts.join(',')}]}`;
}

function badUtf8(rng: Rng): Buffer {
  const text = Buffer.from(baseText, 'utf8');
  const at = rng.int(0, text.length - 1);
  const junk = Buffer.from(
    rng.pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xfe, 0xff]]),
  );
  return Buffer.concat([text.subarray(0, at), junk, text.subarray(at)]);
}

interface Request {
  readonly steps: string[];
  readonly method?: string;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer | Buffer[];
  /** Whether a 200 is allowed (authenticated POST of JSON); the intake's schema decides the rest. */
  readonly mayAccept: boolean;
}

function bodyFor(rng: Rng, steps: string[]): string | Buffer | Buffer[] {
  const kind = rng.weighted([
    ['mutant', 5],
    ['random', 2],
    ['hostile-alerts', 2],
    ['bad-utf8', 1],
    ['chunked-garbage', 1],
    ['huge', 1],
  ] as const);
  steps.push(kind);
  switch (kind) {
    case 'mutant': {
      const mutant = mutate(rng, { text: baseText, value: base, format: 'json', dictionary });
      steps.push(...mutant.steps);
      return mutant.payload.kind === 'bytes' ? mutant.payload.bytes : '';
    }
    case 'random':
      return asJsonText(randomValue(rng, 0));
    case 'hostile-alerts':
      return hostileAlerts(rng);
    case 'bad-utf8':
      return badUtf8(rng);
    case 'chunked-garbage':
      return Array.from({ length: rng.int(1, 40) }, () =>
        Buffer.from(Array.from({ length: rng.int(1, 4096) }, () => rng.int(0, 255))),
      );
    case 'huge':
      return `{"version":"4","status":"firing","alerts":[],"x":"${'y'.repeat(rng.int(LIMIT - 64, LIMIT * 8))}"}`;
  }
}

function requestFor(rng: Rng): Request {
  const steps: string[] = [];
  const headers: Record<string, string> = { ...good };
  let mayAccept = true;
  const twist = rng.weighted([
    ['none', 8],
    ['no-token', 1],
    ['wrong-token', 1],
    ['content-type', 1],
    ['method', 1],
  ] as const);
  steps.push(`headers: ${twist}`);
  if (twist === 'no-token') delete headers.Authorization;
  if (twist === 'wrong-token')
    headers.Authorization = rng.pick([
      `Bearer ${TOKEN.slice(0, -1)}`,
      `bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
      'Bearer ',
      `Bearer ${'A'.repeat(5000)}`,
    ]);
  if (twist === 'content-type')
    headers['Content-Type'] = rng.pick([
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-16',
      '',
    ]);
  if (twist !== 'none') mayAccept = false;
  const method = twist === 'method' ? rng.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) : undefined;
  const body = bodyFor(rng, steps);
  if (Array.isArray(body)) headers['Transfer-Encoding'] = 'chunked';
  return { steps, method, headers, body, mayAccept };
}

/** Raw bytes on the socket: malformed request lines and headers (the server must answer or close, not crash). */
function rawGarbage(port: number, rng: Rng): Promise<string> {
  const lines = [
    `POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n`,
    `POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot hex\r\n`,
    `GARBAGE\x00\xff\r\n\r\n`,
    `POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 20\r\n\r\n{}`,
    `POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n`,
  ];
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => (out += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(out));
    socket.end(Buffer.from(rng.pick(lines), 'latin1'));
  });
}

function checkReply(request: Request, reply: Reply): string[] {
  const failures: string[] = [];
  if (reply.status === 200) {
    if (!request.mayAccept) failures.push(`200 for a request that must be refused (${request.steps[0]})`);
  } else if (reply.status < 400 || reply.status > 499) failures.push(`status ${reply.status}, not a 4xx or 200`);
  else {
    const body = reply.json as { error?: unknown; what_to_do?: unknown } | undefined;
    if (typeof body?.error !== 'string' || typeof body.what_to_do !== 'string')
      failures.push(`no JSON {error, what_to_do}: ${reply.text.slice(0, 200)}`);
  }
  if (reply.text.includes(TOKEN)) failures.push('the token was echoed');
  if (reply.text.length > 4096) failures.push(`a ${reply.text.length}-character answer (echoed input?)`);
  return failures;
}

async function stillAnswers(url: string): Promise<string[]> {
  const probe = JSON.stringify({
    ...base,
    alerts: [{ ...base.alerts[0], fingerprint: 'health', labels: { host: 'fake3' } }],
  });
  const reply = await send(url, { headers: good, body: probe }).catch((error: unknown) => ({
    status: 0,
    text: String(error),
  }));
  return reply.status === 200
    ? []
    : [`the server stopped answering a valid request: ${reply.status} ${reply.text.slice(0, 200)}`];
}

async function runCase(intake: AlertIntake, url: string, port: number, index: number, tally: Tally): Promise<void> {
  const rng = Rng.forCase(settings.seed, TARGET, index);
  const failures: string[] = [];
  let steps: string[];
  if (rng.chance(0.04)) {
    steps = ['raw garbage on the socket'];
    const answer = await rawGarbage(port, rng);
    if (answer !== '' && !/^HTTP\/1\.[01] 4\d\d /.test(answer))
      failures.push(`answered raw garbage with ${JSON.stringify(answer.slice(0, 80))}`);
    tally.rejected += 1;
  } else {
    const request = requestFor(rng);
    steps = request.steps;
    try {
      const reply = await send(url, { method: request.method, headers: request.headers, body: request.body });
      failures.push(...checkReply(request, reply));
      if (reply.status === 200) tally.stillValid += 1;
      else tally.rejected += 1;
    } catch (error) {
      // the server may close while an oversized body is still being written: only then
      const code = (error as NodeJS.ErrnoException).code;
      const size = Array.isArray(request.body)
        ? request.body.reduce((n, b) => n + b.length, 0)
        : Buffer.byteLength(request.body);
      if (!(size > LIMIT && (code === 'EPIPE' || code === 'ECONNRESET')))
        failures.push(`request failed: ${String(error)}`);
      tally.rejected += 1;
    }
  }
  tally.cases += 1;
  tally.commands += 1;
  for (const candidate of intake.firing())
    if (!HOST_NAME.test(candidate.host)) failures.push(`a candidate with host ${JSON.stringify(candidate.host)}`);
  if (index % 20 === 19) failures.push(...(await stillAnswers(url)));
  if (failures.length > 0)
    tally.failures.push({ target: TARGET, index, base: 'alertmanager webhook v4', steps, failures });
}

test(`fuzz ${TARGET}: hostile requests get a 4xx (or 200 when valid) and the server keeps answering`, async () => {
  const crashes: string[] = [];
  const onCrash = (error: unknown): void => void crashes.push(String(error));
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  const intake = createAlertIntake({
    token: { env: 'FD_FUZZ_TOKEN' },
    env: { FD_FUZZ_TOKEN: TOKEN },
    maxBodyBytes: LIMIT,
    rateLimit: { burst: 1e9, perMinute: 1e9 },
  });
  const { url, port } = await intake.listen();
  const started = Date.now();
  const tally = newTally();
  try {
    const indexes = caseIndexes(settings, TARGET);
    for (const index of indexes) await runCase(intake, url, port, index, tally);
    const final = await stillAnswers(url);
    if (final.length > 0)
      tally.failures.push({ target: TARGET, index: -1, base: 'after all cases', steps: [], failures: final });
    process.stdout.write(`${report(TARGET, settings, tally, started)}\n`);
    assert.ok(
      settings.only !== undefined || settings.cases < DEFAULT_CASES || tally.cases >= 500,
      `only ${tally.cases} cases ran (at least 500 expected with the default FORCEDOWN_FUZZ_CASES)`,
    );
    assert.equal(crashes, [], 'no unhandled rejection or uncaught exception');
    assert.is(
      tally.failures.length,
      0,
      `${tally.failures.length} failed case(s): see the report above (seed, case, replay command)`,
    );
  } finally {
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtException', onCrash);
    await intake.close();
  }
});

test.run();
