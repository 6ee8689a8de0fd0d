/**
 * Requests to OpenStack APIs: token header, microversion headers, retries of idempotent calls
 * (connection errors, 502/503/504; exponential backoff with jitter), one re-authentication on a
 * 401, typed errors, and request counters. Never logs or throws a token: the token only ever
 * lives in the `X-Auth-Token` header of the outgoing request.
 */
import { operationFailed } from '../../errors/index.js';
import { OpenStackApiError, OpenStackConnectionError, type OpenStackServiceName } from '../errors.js';
import { errorMessageOf } from './api-error-body.js';
import { DEFAULT_RETRY_POLICY, backoffDelay, sleep, type RetryPolicy } from './retry.js';
import { TransportError, type HttpTransport } from './transport.js';

/** Supplies tokens to requests (the Keystone session). */
export interface TokenSource {
  /** A token valid for a while (authenticates or renews as needed). */
  token(signal?: AbortSignal): Promise<string>;
  /** After a 401: a new token, unless `stale` was already replaced by another request. */
  renewAfterUnauthorized(stale: string, signal?: AbortSignal): Promise<string>;
}

/** Request counters (see ClientStats). */
export interface MutableStats {
  requests: number;
  retries: number;
  reauthentications: number;
}

/** What {@link OpenStackHttp.request} sends. */
export interface RequestSpec {
  readonly service: OpenStackServiceName;
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Absolute URL (endpoint + path). */
  readonly url: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** JSON body. */
  readonly body?: unknown;
  /** Compute microversion (`OpenStack-API-Version: compute X`). */
  readonly microversion?: string;
  /** May be retried after a connection error or 502/503/504. @defaultValue `method === 'GET'` */
  readonly idempotent?: boolean;
  /** Send the token. @defaultValue `true` */
  readonly authenticated?: boolean;
  readonly signal?: AbortSignal;
}

/** An answer with status < 400. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly requestId: string | undefined;
}

/** One finished attempt, for debug logs and benchmarks (never holds a token or body). */
export interface RequestEvent {
  readonly service: OpenStackServiceName;
  readonly method: string;
  /** Path and query, no host. */
  readonly path: string;
  readonly attempt: number;
  readonly status?: number;
  readonly errorCode?: string;
  readonly requestId?: string;
  readonly durationMs: number;
}

/** Options of {@link OpenStackHttp}. */
export interface OpenStackHttpOptions {
  readonly transport: HttpTransport;
  readonly stats: MutableStats;
  /** @defaultValue {@link DEFAULT_RETRY_POLICY} */
  readonly retry?: Partial<RetryPolicy>;
  /** Called after every attempt. */
  readonly onRequest?: (event: RequestEvent) => void;
  /** Random source for jitter (tests). @defaultValue `Math.random` */
  readonly random?: () => number;
  /** `User-Agent` header. @defaultValue `forcedown` */
  readonly userAgent?: string;
}

/** Parses a JSON body, with a clear error when it is not JSON. */
export function parseJson<T>(response: ApiResponse, what: string): T {
  try {
    return JSON.parse(response.body) as T;
  } catch (error) {
    throw operationFailed(
      'OPENSTACK_BAD_RESPONSE',
      `${what}: the answer is not JSON (status ${response.status})`,
      'check the endpoint URL in the service catalog: something other than the OpenStack API answered',
      {},
      error,
    );
  }
}

/** Request id of an answer (`x-openstack-request-id`, or Nova's `x-compute-request-id`). */
function requestIdOf(headers: Readonly<Record<string, string>>): string | undefined {
  return headers['x-openstack-request-id'] ?? headers['x-compute-request-id'] ?? undefined;
}

/** Sends requests with tokens, retries, re-authentication and typed errors. */
export class OpenStackHttp {
  readonly #transport: HttpTransport;
  readonly #stats: MutableStats;
  readonly #policy: RetryPolicy;
  readonly #onRequest: ((event: RequestEvent) => void) | undefined;
  readonly #random: () => number;
  readonly #userAgent: string;
  #tokens: TokenSource | undefined;

  constructor(options: OpenStackHttpOptions) {
    this.#transport = options.transport;
    this.#stats = options.stats;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#onRequest = options.onRequest;
    this.#random = options.random ?? Math.random;
    this.#userAgent = options.userAgent ?? 'forcedown';
  }

  /** Sets where tokens come from (the Keystone session, created after this object). */
  useTokens(tokens: TokenSource): void {
    this.#tokens = tokens;
  }

  /**
   * Sends the request. Resolves with answers < 400; rejects with OpenStackApiError (HTTP error),
   * OpenStackConnectionError (no answer) or an AbortError (cancelled).
   */
  async request(spec: RequestSpec): Promise<ApiResponse> {
    const url = new URL(spec.url);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const path = `${url.pathname}${url.search}`;
    const idempotent = spec.idempotent ?? spec.method === 'GET';
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.#userAgent };
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    if (spec.microversion !== undefined) {
      headers['openstack-api-version'] = `compute ${spec.microversion}`;
      headers['x-openstack-nova-api-version'] = spec.microversion;
    }
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const authenticated = spec.authenticated ?? true;
    let reauthenticated = false;
    let attempt = 0;
    let token: string | undefined;

    for (;;) {
      attempt += 1;
      if (authenticated) {
        if (this.#tokens === undefined) throw new Error('OpenStackHttp: no token source');
        token ??= await this.#tokens.token(spec.signal);
      }
      const started = Date.now();
      this.#stats.requests += 1;
      let failure: OpenStackApiError | OpenStackConnectionError;
      try {
        const response = await this.#transport.send({
          method: spec.method,
          url,
          headers: token === undefined ? headers : { ...headers, 'x-auth-token': token },
          ...(body === undefined ? {} : { body }),
          ...(spec.signal === undefined ? {} : { signal: spec.signal }),
        });
        const requestId = requestIdOf(response.headers);
        this.#emit({
          service: spec.service,
          method: spec.method,
          path,
          attempt,
          status: response.status,
          ...(requestId === undefined ? {} : { requestId }),
          durationMs: Date.now() - started,
        });
        if (response.status < 400)
          return { status: response.status, headers: response.headers, body: response.body, requestId };
        if (
          response.status === 401 &&
          authenticated &&
          !reauthenticated &&
          token !== undefined &&
          this.#tokens !== undefined
        ) {
          // the token expired or was revoked: Keystone middleware refused the request before the
          // service saw it, so sending it again (even a POST) cannot act twice
          reauthenticated = true;
          this.#stats.reauthentications += 1;
          token = await this.#tokens.renewAfterUnauthorized(token, spec.signal);
          continue;
        }
        failure = new OpenStackApiError({
          service: spec.service,
          status: response.status,
          apiMessage: errorMessageOf(response.body),
          ...(requestId === undefined ? {} : { requestId }),
          method: spec.method,
          path,
          ...(spec.microversion === undefined ? {} : { microversion: spec.microversion }),
        });
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        this.#emit({
          service: spec.service,
          method: spec.method,
          path,
          attempt,
          errorCode: error.code,
          durationMs: Date.now() - started,
        });
        failure = new OpenStackConnectionError({
          service: spec.service,
          method: spec.method,
          path,
          origin: url.origin,
          errorCode: error.code,
          cause: error,
        });
      }
      if (!idempotent || !failure.isRetryable || attempt > this.#policy.retries) throw failure;
      this.#stats.retries += 1;
      await sleep(backoffDelay(this.#policy, attempt, this.#random), spec.signal);
    }
  }

  #emit(event: RequestEvent): void {
    if (this.#onRequest === undefined) return;
    try {
      this.#onRequest(event);
    } catch {
      // a failing listener must not break the request
    }
  }
}
