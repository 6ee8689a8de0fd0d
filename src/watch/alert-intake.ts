/**
 * Alert intake for `forcedown watch`: an HTTP endpoint for Alertmanager's webhook (payload
 * version "4"). A firing alert whose host label maps to a Nova host becomes a candidate; a
 * resolved one (same fingerprint) removes it; a firing alert not repeated within `expireAfterMs`
 * expires. Bearer token from an env var or a 0600 file, compared in constant time; size, rate,
 * method, content-type and shape limits, each answered with a JSON `{error, what_to_do}`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { invalidInput } from '../errors/index.js';
import { secrets } from '../secrets/index.js';
import { createAjv } from '../validation/schema-registry.js';
import type { AlertCandidate, AlertSource } from './ports.js';

/** Where the bearer token comes from. */
export type AlertTokenSource = { readonly env: string } | { readonly file: string };

/** Options of {@link createAlertIntake}. */
export interface AlertIntakeOptions {
  readonly token: AlertTokenSource;
  /** Environment the `env` token source reads. @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Request path. @defaultValue `/api/v1/alerts` */
  readonly path?: string;
  /** The alert label naming the host. @defaultValue `host` */
  readonly hostLabel?: string;
  /**
   * A regular expression the label value must match; its first capture group (or the whole
   * match) is the Nova host, e.g. `^([^.:]+)` strips a domain and a port.
   */
  readonly hostPattern?: string;
  /** A firing alert not repeated for this long is dropped. @defaultValue 1 hour */
  readonly expireAfterMs?: number;
  /** @defaultValue 256 KiB */
  readonly maxBodyBytes?: number;
  /** Per client address: a bucket of `burst` requests refilled at `perMinute`. @defaultValue 20, 120 */
  readonly rateLimit?: { readonly burst: number; readonly perMinute: number };
  /** Most alerts tracked at once (more are ignored and counted). @defaultValue 10000 */
  readonly maxTracked?: number;
  /** For {@link AlertIntake.listen}: address and port (0: any free port). @defaultValue 127.0.0.1, 0 */
  readonly bind?: { readonly host?: string; readonly port?: number };
  /** For {@link AlertIntake.listen}: PEM certificate and key files; HTTPS when set. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** The clock (tests). @defaultValue `Date.now` */
  readonly now?: () => number;
}

/** What the intake has seen, for metrics. */
export interface AlertIntakeStats {
  readonly accepted: number;
  readonly rejected: Readonly<Record<number, number>>;
  readonly ignoredAlerts: number;
}

/** An {@link AlertSource} with its HTTP handler. */
export interface AlertIntake extends AlertSource {
  /** Handles the request when it is for the intake's path (returns true), else returns false. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Starts a standalone server (127.0.0.1 unless `bind.host` says otherwise). */
  listen(): Promise<{ readonly url: string; readonly port: number }>;
  stats(): AlertIntakeStats;
}

export const DEFAULT_ALERT_PATH = '/api/v1/alerts';
const DEFAULT_MAX_BODY = 256 * 1024;
const DEFAULT_EXPIRE_MS = 60 * 60 * 1000;
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;

/** Alertmanager's webhook payload (version 4), only what the intake reads; other fields pass. */
const PAYLOAD_SCHEMA = {
  type: 'object',
  required: ['version', 'status', 'alerts'],
  properties: {
    version: { const: '4' },
    status: { enum: ['firing', 'resolved'] },
    alerts: {
      type: 'array',
      maxItems: 5000,
      items: {
        type: 'object',
        required: ['status', 'labels', 'startsAt', 'fingerprint'],
        properties: {
          status: { enum: ['firing', 'resolved'] },
          labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 4096 } },
          annotations: { type: 'object', additionalProperties: { type: 'string' } },
          startsAt: { type: 'string', maxLength: 64, pattern: '^\\d{4}-\\d{2}-\\d{2}T' },
          endsAt: { type: 'string', maxLength: 64 },
          fingerprint: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' },
        },
      },
    },
  },
} as const;

interface WebhookAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly fingerprint: string;
}
interface WebhookPayload {
  readonly alerts: readonly WebhookAlert[];
}

let validatePayload: ((data: unknown) => boolean) | undefined;
function isPayload(data: unknown): data is WebhookPayload {
  validatePayload ??= createAjv({ allErrors: false }).compile(PAYLOAD_SCHEMA);
  return validatePayload(data);
}

/** An HTTP error answered with `{error, what_to_do}`. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly whatToDo: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Reads the token once; refuses a missing, empty or group/world-readable source. */
export function readAlertToken(source: AlertTokenSource, env = process.env): string {
  if ('env' in source) {
    const value = env[source.env]?.trim();
    if (!value)
      throw invalidInput(
        'ALERT_TOKEN_MISSING',
        `the alert intake's token variable ${source.env} is not set or empty`,
        `export ${source.env}=<a long random token> (the one Alertmanager sends), or use a 0600 token file`,
        { env: source.env },
      );
    return value;
  }
  return readTokenFile(source.file);
}

function readTokenFile(file: string): string {
  let mode: number;
  let text: string;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw invalidInput(
      'ALERT_TOKEN_FILE_UNREADABLE',
      `cannot read the alert intake's token file ${file} (${code})`,
      'point the token file setting at a readable file holding the token (mode 0600)',
      { file },
      error,
    );
  }
  if ((mode & 0o077) !== 0)
    throw invalidInput(
      'ALERT_TOKEN_FILE_PERMISSIONS',
      `the alert intake's token file ${file} is readable by its group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')})`,
      `chmod 600 ${file}`,
      { file },
    );
  const value = text.split('\n')[0].trim();
  if (!value)
    throw invalidInput(
      'ALERT_TOKEN_EMPTY',
      `the alert intake's token file ${file} is empty`,
      'write the token on its first line',
      { file },
    );
  return value;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Constant-time comparison of a request's `Authorization` header with the token's digest. */
function checkBearer(header: string | undefined, expected: Buffer): void {
  const challenge = { 'WWW-Authenticate': 'Bearer realm="forcedown"' };
  const match = header === undefined ? null : /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i.exec(header);
  if (!match)
    throw new HttpError(
      401,
      'a bearer token is required',
      "configure Alertmanager's webhook_config with http_config.authorization (type Bearer) and the watcher's token",
      challenge,
    );
  if (!timingSafeEqual(digest(match[1]), expected))
    throw new HttpError(401, 'the bearer token is not the right one', 'use the token the watcher is configured with', {
      'WWW-Authenticate': 'Bearer realm="forcedown", error="invalid_token"',
    });
}

/** Per-client token buckets. */
class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    readonly burst: number,
    readonly perMinute: number,
    readonly now: () => number,
  ) {}

  /** Seconds to wait when over the limit, else 0 (and a request is counted). */
  take(client: string): number {
    const now = this.now();
    const bucket = this.#buckets.get(client) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.perMinute) / 60_000);
    bucket.at = now;
    if (this.#buckets.size >= 10_000 && !this.#buckets.has(client)) this.#prune();
    this.#buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - bucket.tokens) * 60) / this.perMinute));
  }

  #prune(): void {
    for (const [key, bucket] of this.#buckets) if (bucket.tokens >= this.burst - 1) this.#buckets.delete(key);
    if (this.#buckets.size >= 10_000) this.#buckets.clear();
  }
}

function checkContentType(header: string | undefined): void {
  const [type, ...params] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (type !== 'application/json' || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8'))
    throw new HttpError(
      415,
      'the body must be application/json (UTF-8)',
      "send Alertmanager's webhook payload with Content-Type: application/json",
    );
}

/** The body, up to `limit` bytes; 413 beyond, 400 for bytes that are not UTF-8. */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = new HttpError(
    413,
    `the body is larger than ${limit} bytes`,
    'send fewer alerts per notification (Alertmanager: max_alerts in webhook_config)',
  );
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge;
    chunks.push(chunk);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new HttpError(400, 'the body is not valid UTF-8', "send Alertmanager's webhook payload as UTF-8 JSON");
  }
}

function parsePayload(text: string): WebhookPayload {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the body is not valid JSON', "send Alertmanager's webhook payload (version 4) as JSON");
  }
  if (!isPayload(data))
    throw new HttpError(
      400,
      'the body is not an Alertmanager webhook payload (version "4", status, alerts[] with status, labels, startsAt, fingerprint)',
      'point an Alertmanager webhook_config at this URL, or send the same shape',
    );
  return data;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

interface Tracked {
  readonly candidate: AlertCandidate;
  seenAt: number;
}

/** Builds the host mapper from `hostLabel` and `hostPattern`. */
function hostMapper(
  label: string,
  pattern: string | undefined,
): (labels: Readonly<Record<string, string>>) => string | undefined {
  let regex: RegExp | undefined;
  try {
    regex = pattern === undefined ? undefined : new RegExp(pattern);
  } catch (error) {
    throw invalidInput(
      'ALERT_HOST_PATTERN_INVALID',
      `hostPattern ${JSON.stringify(pattern)} is not a regular expression`,
      'fix hostPattern (e.g. "^([^.:]+)" keeps the short name)',
      {},
      error,
    );
  }
  return (labels) => {
    const value = Object.hasOwn(labels, label) ? labels[label] : undefined;
    if (value === undefined) return undefined;
    const match = regex === undefined ? [value] : regex.exec(value);
    const host = match ? (match[1] ?? match[0]) : undefined;
    return host !== undefined && host.length <= 255 && HOST_NAME.test(host) ? host : undefined;
  };
}

interface AppliedCounts {
  readonly firing: number;
  readonly resolved: number;
  readonly ignored: number;
}

interface AlertBook {
  readonly tracked: Map<string, Tracked>;
  readonly hostOf: (labels: Readonly<Record<string, string>>) => string | undefined;
  readonly maxTracked: number;
  readonly now: () => number;
}

/** Firing alerts become (or refresh) candidates by fingerprint; resolved ones are dropped. */
function applyPayload(payload: WebhookPayload, book: AlertBook): AppliedCounts {
  const { tracked, hostOf, maxTracked, now } = book;
  let firing = 0;
  let resolved = 0;
  let ignored = 0;
  for (const alert of payload.alerts) {
    if (alert.status === 'resolved') {
      if (tracked.delete(alert.fingerprint)) resolved += 1;
      continue;
    }
    const host = hostOf(alert.labels);
    const known = tracked.get(alert.fingerprint);
    if (host === undefined || Number.isNaN(Date.parse(alert.startsAt)) || (!known && tracked.size >= maxTracked)) {
      ignored += 1;
      continue;
    }
    const alertname = Object.hasOwn(alert.labels, 'alertname') ? alert.labels.alertname : undefined;
    const candidate: AlertCandidate = {
      host,
      fingerprint: alert.fingerprint,
      startsAt: alert.startsAt,
      ...(alertname === undefined ? {} : { alertname }),
    };
    tracked.set(alert.fingerprint, { candidate, seenAt: now() });
    firing += 1;
  }
  return { firing, resolved, ignored };
}

/** A JSON error answer (counted by status); an unread body is not read: the connection closes. */
function answerError(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  rejected: Record<number, number>,
): void {
  const http =
    error instanceof HttpError
      ? error
      : new HttpError(400, 'the request could not be read', "send Alertmanager's webhook payload again");
  rejected[http.status] = (rejected[http.status] ?? 0) + 1;
  const unread = !req.complete;
  send(
    res,
    http.status,
    { error: http.message, what_to_do: http.whatToDo },
    unread ? { ...http.headers, Connection: 'close' } : http.headers,
  );
  if (unread) req.resume();
}

/** Creates the intake; throws an `invalid-input` ForcedownError for a bad token source or pattern. */
export function createAlertIntake(options: AlertIntakeOptions): AlertIntake {
  const token = readAlertToken(options.token, options.env ?? process.env);
  secrets.add(token);
  const expected = digest(token);
  const now = options.now ?? Date.now;
  const path = options.path ?? DEFAULT_ALERT_PATH;
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const expireAfterMs = options.expireAfterMs ?? DEFAULT_EXPIRE_MS;
  const maxTracked = options.maxTracked ?? 10_000;
  const rate = options.rateLimit ?? { burst: 20, perMinute: 120 };
  const limiter = new RateLimiter(rate.burst, rate.perMinute, now);
  const hostOf = hostMapper(options.hostLabel ?? 'host', options.hostPattern);
  const tracked = new Map<string, Tracked>();
  const rejected: Record<number, number> = {};
  let accepted = 0;
  let ignoredAlerts = 0;
  let server: Server | undefined;

  const apply = (payload: WebhookPayload): AppliedCounts => {
    const counts = applyPayload(payload, { tracked, hostOf, maxTracked, now });
    ignoredAlerts += counts.ignored;
    return counts;
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const wait = limiter.take(req.socket.remoteAddress ?? 'unknown');
    if (wait > 0)
      throw new HttpError(429, 'too many requests from this client', `wait ${wait} s; Alertmanager retries by itself`, {
        'Retry-After': String(wait),
      });
    if (req.method !== 'POST')
      throw new HttpError(
        405,
        `method ${req.method ?? '?'} is not allowed here`,
        `POST Alertmanager's webhook payload to ${path}`,
        { Allow: 'POST' },
      );
    checkBearer(req.headers.authorization, expected);
    checkContentType(req.headers['content-type']);
    const payload = parsePayload(await readBody(req, limit));
    const counts = apply(payload);
    accepted += 1;
    send(res, 200, { status: 'accepted', ...counts });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    if ((query === -1 ? url : url.slice(0, query)) !== path) return false;
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    serve(req, res).catch((error: unknown) => answerError(req, res, error, rejected));
    return true;
  };

  return {
    handle,
    firing() {
      const cutoff = now() - expireAfterMs;
      for (const [fingerprint, entry] of tracked) if (entry.seenAt < cutoff) tracked.delete(fingerprint);
      return [...tracked.values()].map((entry) => entry.candidate);
    },
    stats: () => ({ accepted, rejected: { ...rejected }, ignoredAlerts }),
    async listen() {
      server = startServer(options, handle, path);
      const bound = server;
      await new Promise<void>((resolve, reject) => {
        bound.once('error', reject);
        bound.listen(options.bind?.port ?? 0, options.bind?.host ?? '127.0.0.1', () => resolve());
      });
      const { address, port } = bound.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      return { url: `${options.tls ? 'https' : 'http'}://${host}:${port}${path}`, port };
    },
    async close() {
      const running = server;
      server = undefined;
      if (!running) return;
      await new Promise<void>((resolve) => {
        running.close(() => resolve());
        running.closeAllConnections();
      });
    },
  };
}

function startServer(options: AlertIntakeOptions, handle: AlertIntake['handle'], path: string): Server {
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (!handle(req, res)) {
      req.resume();
      send(res, 404, { error: `nothing at ${req.url ?? '?'}`, what_to_do: `POST alerts to ${path}` });
    }
  };
  const server = options.tls
    ? createHttpsServer({ cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) }, listener)
    : createHttpServer(listener);
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.on('clientError', (_error, socket) => {
    if (socket.writable)
      socket.end(
        'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n{"error":"malformed HTTP request","what_to_do":"send a valid HTTP/1.1 request"}',
      );
    else socket.destroy();
  });
  return server;
}
