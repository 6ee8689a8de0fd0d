import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { secrets } from '../secrets/index.js';

/** A Redfish HTTP exchange's outcome (internal). */
export interface RedfishResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  /** The parsed body, or undefined when it is empty or not JSON. */
  readonly json: unknown;
}

/** How a request failed before any HTTP status arrived (internal). */
export class RedfishTransportError extends Error {
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'timeout' | 'tls' | 'canceled' | 'config',
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'RedfishTransportError';
  }
}

/** Options of {@link RedfishHttp}. */
export interface RedfishHttpOptions {
  readonly baseUrl: URL;
  readonly username: string;
  readonly password: string;
  /** Absolute path of a PEM CA bundle to trust instead of the system store. */
  readonly caCertPath?: string | undefined;
  /** Skip certificate verification. */
  readonly insecure: boolean;
  readonly warn: (message: string) => void;
  /** Used in warnings: "host fake1". */
  readonly label: string;
}

const MAX_BODY = 1024 * 1024;

/** Time to open the connection to a BMC (TCP and TLS); the call's own timeout bounds the rest. */
export const REDFISH_CONNECT_TIMEOUT_MS = 10_000;

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/**
 * A minimal HTTP(S) client for one BMC: Basic auth, JSON bodies, a CA bundle or no verification
 * per BMC (an own https.Agent, so the process-wide trust store is untouched), a timeout and
 * cancellation per request. The password only ever lives in the Authorization header, which is
 * registered as a secret.
 */
export class RedfishHttp {
  readonly #options: RedfishHttpOptions;
  readonly #authorization: string;
  #agent: Promise<http.Agent> | undefined;
  #warned = false;

  constructor(options: RedfishHttpOptions) {
    this.#options = options;
    const token = Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64');
    secrets.add(token);
    this.#authorization = `Basic ${token}`;
  }

  /** Resolves a Redfish URI (an absolute path such as an `@odata.id`) against the BMC's origin. */
  resolve(uri: string): URL {
    return new URL(uri, this.#options.baseUrl.origin);
  }

  #agentFor(): Promise<http.Agent> {
    this.#agent ??= (async () => {
      const { baseUrl, caCertPath, insecure, warn, label } = this.#options;
      if (baseUrl.protocol === 'http:') {
        if (!this.#warned)
          warn(`Redfish BMC of ${label} is reached over plain HTTP: its password crosses the network unencrypted`);
        this.#warned = true;
        return new http.Agent({ keepAlive: false });
      }
      let ca: string | undefined;
      if (caCertPath !== undefined && !insecure) {
        try {
          ca = await readFile(caCertPath, 'utf8');
        } catch (error) {
          this.#agent = undefined;
          const code = (error as NodeJS.ErrnoException).code ?? 'error';
          throw new RedfishTransportError(`cannot read caCert ${caCertPath} (${code})`, 'config', code);
        }
      }
      if (insecure && !this.#warned) {
        warn(
          `TLS verification is disabled for the Redfish BMC of ${label} (insecure: true): its identity is not checked`,
        );
        this.#warned = true;
      }
      return new https.Agent({ keepAlive: false, ca, rejectUnauthorized: !insecure });
    })();
    return this.#agent;
  }

  /** Sends one request; rejects only with {@link RedfishTransportError}. */
  async request(
    method: 'GET' | 'POST',
    url: URL,
    init: { body?: unknown; signal?: AbortSignal; timeoutMs: number },
  ): Promise<RedfishResponse> {
    if (url.origin !== this.#options.baseUrl.origin) {
      throw new RedfishTransportError(
        `refusing to send credentials to ${url.origin}, which is not the configured BMC ${this.#options.baseUrl.origin}`,
        'config',
      );
    }
    if (init.signal?.aborted) throw new RedfishTransportError('cancelled', 'canceled');
    const agent = await this.#agentFor();
    const payload = init.body === undefined ? undefined : Buffer.from(JSON.stringify(init.body), 'utf8');
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'OData-Version': '4.0',
      Authorization: this.#authorization,
    };
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise<RedfishResponse>((resolve, reject) => {
      let settled = false;
      const finish = (error: RedfishTransportError | undefined, response?: RedfishResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        init.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(response as RedfishResponse);
      };
      const req = transport.request(url, { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY) {
            req.destroy();
            finish(
              new RedfishTransportError(
                `response body of ${method} ${url.pathname} exceeds ${MAX_BODY} bytes`,
                'unreachable',
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          if (text.trim()) {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', (error) => finish(transportError(error)));
      });
      const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
      // a BMC that does not accept the connection fails sooner than one that is slow to answer
      // (set first: when both limits are equal, the connection is what was missing)
      const connectMs = Math.min(REDFISH_CONNECT_TIMEOUT_MS, init.timeoutMs);
      const connectTimer = setTimeout(() => {
        finish(new RedfishTransportError(`could not connect within ${seconds(connectMs)}`, 'timeout'));
        req.destroy();
      }, connectMs);
      const timer = setTimeout(() => {
        finish(new RedfishTransportError(`no answer within ${seconds(init.timeoutMs)}`, 'timeout'));
        req.destroy();
      }, init.timeoutMs);
      req.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once(url.protocol === 'http:' ? 'connect' : 'secureConnect', () => clearTimeout(connectTimer));
      });
      req.on('close', () => clearTimeout(connectTimer));
      const onAbort = (): void => {
        finish(new RedfishTransportError('cancelled', 'canceled'));
        req.destroy();
      };
      init.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error) => finish(transportError(error)));
      req.end(payload);
    });
  }
}

function transportError(error: Error): RedfishTransportError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (TLS_CODES.has(code) || /certificate|self[- ]signed|SSL routines/i.test(error.message)) {
    return new RedfishTransportError(`TLS handshake failed: ${error.message}${code ? ` (${code})` : ''}`, 'tls', code);
  }
  return new RedfishTransportError(
    `${error.message || 'connection failed'}${code && !error.message.includes(code) ? ` (${code})` : ''}`,
    'unreachable',
    code,
  );
}
