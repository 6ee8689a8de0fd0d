/**
 * The one place the OpenStack client opens sockets: Node's `http`/`https` with keep-alive agents.
 * TLS trusts Node's CA bundle, the system store (when Node exposes it: `tls.getCACertificates`,
 * Node 22.15+/23.9+; on 22.13 only the bundle and NODE_EXTRA_CA_CERTS) and an optional PEM bundle
 * file (`cacert`); verification is off only when the cloud says `insecure`/`verify: false`.
 *
 * Built on node:http rather than fetch so that a custom CA works on Node 22.13 without a new
 * dependency (undici's Agent is not exposed by Node itself), and so that connection errors keep
 * their system codes (ECONNRESET, ECONNREFUSED, CERT_*).
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { invalidInput } from '../../errors/index.js';
import { seconds } from '../errors.js';

/** Options of {@link HttpTransport}. */
export interface TransportOptions {
  /** PEM CA bundle trusted in addition to the default CAs. */
  readonly cacert?: string;
  /** Verify TLS certificates. @defaultValue `true` */
  readonly verify?: boolean;
  /** Time to open the connection (TCP, and TLS for https). @defaultValue {@link DEFAULT_CONNECT_TIMEOUT_MS} */
  readonly connectTimeoutMs?: number;
  /** Time from the connection being open to the whole answer read. @defaultValue {@link DEFAULT_RESPONSE_TIMEOUT_MS} */
  readonly responseTimeoutMs?: number;
  /** Sockets kept per origin. @defaultValue `32` */
  readonly maxSockets?: number;
}

/** A request as the transport sends it. */
export interface TransportRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal?: AbortSignal;
  /** This request's connect timeout (a shorter one when the caller's budget is nearly spent). */
  readonly connectTimeoutMs?: number;
  /** This request's response timeout (likewise). */
  readonly responseTimeoutMs?: number;
}

/** Default time to open a connection. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Default time for the whole answer once connected (openstacksdk's `api_timeout`). */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000;

/** A response as the transport returns it (the whole body read). */
export interface TransportResponse {
  readonly status: number;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * A failure before an HTTP answer: `code` is the system/TLS error code (`ETIMEDOUT` for both of
 * forcedown's own timeouts, with `timeout` saying which one ran out).
 */
export class TransportError extends Error {
  readonly code: string;
  readonly timeout: 'connect' | 'response' | undefined;
  constructor(code: string, message: string, cause?: unknown, timeout?: 'connect' | 'response') {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.timeout = timeout;
  }
}
TransportError.prototype.name = 'TransportError';

/** An AbortError, as fetch throws it. */
export function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new Error('The operation was aborted', reason === undefined ? undefined : { cause: reason });
  error.name = 'AbortError';
  return error;
}

/** NODE_EXTRA_CA_CERTS, which an explicit `ca` would otherwise drop on Nodes without getCACertificates. */
function extraCaCertificates(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (file === undefined || file === '') return [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    return [];
  }
}

type CaCertificatesFn = (type: 'default' | 'system' | 'bundled' | 'extra') => string[];

/** The CAs to trust: Node's bundle, the system store when available, and `cacert`'s certificates. */
export function trustedCertificates(cacert: string | undefined): string[] {
  const getCACertificates = (tls as unknown as { getCACertificates?: CaCertificatesFn }).getCACertificates;
  const base = getCACertificates ? getCACertificates('default') : [...tls.rootCertificates, ...extraCaCertificates()];
  let system: string[];
  try {
    system = getCACertificates ? getCACertificates('system') : [];
  } catch {
    system = [];
  }
  const extra: string[] = [];
  if (cacert !== undefined) {
    let pem: string;
    try {
      pem = readFileSync(cacert, 'utf8');
    } catch (error) {
      throw invalidInput(
        'CLOUD_CONFIG_CACERT_UNREADABLE',
        `cannot read the CA bundle ${cacert}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        'point cacert (OS_CACERT) at a readable PEM file',
        { cacert },
        error,
      );
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw invalidInput(
        'CLOUD_CONFIG_CACERT_INVALID',
        `the CA bundle ${cacert} holds no PEM certificate`,
        'cacert must be a PEM file with one or more -----BEGIN CERTIFICATE----- blocks',
        { cacert },
      );
    }
    extra.push(pem);
  }
  return [...new Set([...base, ...system]), ...extra];
}

/** Sends HTTP(S) requests over keep-alive agents, each bounded by a connect and a response timeout. */
export class HttpTransport {
  readonly #http: http.Agent;
  readonly #https: https.Agent;
  readonly #connectTimeoutMs: number;
  readonly #responseTimeoutMs: number;

  constructor(options: TransportOptions = {}) {
    const maxSockets = options.maxSockets ?? 32;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#responseTimeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
    this.#http = new http.Agent({ keepAlive: true, maxSockets });
    const verify = options.verify ?? true;
    this.#https = new https.Agent({
      keepAlive: true,
      maxSockets,
      rejectUnauthorized: verify,
      ...(verify ? { ca: trustedCertificates(options.cacert) } : {}),
    });
  }

  /** Sends one request and reads the whole answer. Rejects with TransportError or an AbortError. */
  send(request: TransportRequest): Promise<TransportResponse> {
    const { url, signal } = request;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const isHttps = url.protocol === 'https:';
    const lib = isHttps ? https : http;
    const connectMs = request.connectTimeoutMs ?? this.#connectTimeoutMs;
    const responseMs = request.responseTimeoutMs ?? this.#responseTimeoutMs;
    return new Promise<TransportResponse>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const fail = (error: Error): void => {
        req.destroy();
        finish(() => reject(error));
      };
      const headers: Record<string, string> = { ...request.headers };
      if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
      const req = lib.request(
        url,
        { method: request.method, headers, agent: isHttps ? this.#https : this.#http },
        (res) => readAnswer(res, finish, resolve, reject),
      );
      const onAbort = (): void => fail(abortError(signal));
      signal?.addEventListener('abort', onAbort, { once: true });
      // the connect timeout runs until the socket is open (TCP, and TLS for https); from then on,
      // the response timeout bounds the rest (sending, the server's work, reading the answer)
      timer = setTimeout(
        () =>
          fail(new TransportError('ETIMEDOUT', `could not connect within ${seconds(connectMs)}`, undefined, 'connect')),
        connectMs,
      );
      const connected = (): void => {
        clearTimeout(timer);
        if (settled) return;
        timer = setTimeout(
          () => fail(new TransportError('ETIMEDOUT', `no answer within ${seconds(responseMs)}`, undefined, 'response')),
          responseMs,
        );
      };
      req.on('socket', (socket) => {
        if (!socket.connecting) connected();
        else socket.once(isHttps ? 'secureConnect' : 'connect', connected);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? 'ECONNRESET';
        finish(() => reject(new TransportError(code, error.message, error)));
      });
      if (request.body !== undefined) req.write(request.body);
      req.end();
    });
  }

  /** Closes idle sockets; later requests open new ones. */
  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

/** Collects an answer's body and settles the request with it. */
function readAnswer(
  res: http.IncomingMessage,
  finish: (fn: () => void) => void,
  resolve: (response: TransportResponse) => void,
  reject: (error: Error) => void,
): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('error', (error: NodeJS.ErrnoException) =>
    finish(() => reject(new TransportError(error.code ?? 'ECONNRESET', error.message, error))),
  );
  res.on('end', () => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    finish(() => resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8') }));
  });
  res.on('aborted', () =>
    finish(() => reject(new TransportError('ECONNRESET', 'the connection was reset while reading the answer'))),
  );
}
