/**
 * Requests to OpenStack APIs: token header, microversion headers, a connect and a response timeout
 * per attempt, retries of idempotent calls (connection errors, timeouts, 502/503/504; exponential
 * backoff with jitter) within a total budget per call, notices while a call waits, one
 * re-authentication on a 401, typed errors, and request counters. Never logs or throws a token: the token only ever
 * lives in the `X-Auth-Token` header of the outgoing request.
 */
import { operationFailed } from '../../errors/index.js';
import { redact } from '../../secrets/index.js';
import { NOTICE_EVERY_MS, startWaitNotices } from '../../wait-notices.js';
import {
  OpenStackApiError,
  OpenStackConnectionError,
  SERVICE_TITLE,
  seconds,
  type OpenStackServiceName,
} from '../errors.js';
import type { RequestDeadlines, WaitNotice } from '../openstack.interface.js';
import { errorMessageOf } from './api-error-body.js';
import { DEFAULT_RETRY_POLICY, backoffDelay, sleep, type RetryPolicy } from './retry.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_RESPONSE_TIMEOUT_MS,
  TransportError,
  type HttpTransport,
} from './transport.js';

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
  /**
   * This call's answer limit (response timeout and budget), when Nova is known to take longer than
   * the defaults for it (os-services PUTs: see `SERVICE_UPDATE_ANSWER_MS` in compute-api.ts).
   */
  readonly answerLimitMs?: number;
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
  /** Time limits of one call. @defaultValue {@link DEFAULT_DEADLINES} */
  readonly deadlines?: Partial<RequestDeadlines>;
  /** Called after every attempt. */
  readonly onRequest?: (event: RequestEvent) => void;
  /** Told about a call that has been waiting (see {@link WaitNotice}), every {@link NOTICE_EVERY_MS}. */
  readonly onWait?: (notice: WaitNotice) => void;
  /** @defaultValue {@link NOTICE_EVERY_MS} */
  readonly noticeEveryMs?: number;
  /** Random source for jitter (tests). @defaultValue `Math.random` */
  readonly random?: () => number;
  /** `User-Agent` header. @defaultValue `forcedown` */
  readonly userAgent?: string;
}

/** Time limits of a call when nobody sets them: 10 s to connect, 30 s per answer, 30 s per call. */
export const DEFAULT_DEADLINES: RequestDeadlines = {
  connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
  responseTimeoutMs: DEFAULT_RESPONSE_TIMEOUT_MS,
  budgetMs: 30_000,
};

/** A request ready to send, and what its attempts need to know. */
interface Prepared {
  readonly spec: RequestSpec;
  readonly url: URL;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
  readonly idempotent: boolean;
  readonly authenticated: boolean;
  /** Absolute time (ms) the call gives up at. */
  readonly deadline: number;
  /** The call's budget (ms). */
  readonly budgetMs: number;
  /** One attempt's response timeout (ms). */
  readonly responseTimeoutMs: number;
}

/** What one attempt ended with. */
type AttemptOutcome =
  | { readonly response: ApiResponse }
  | { readonly unauthorized: true; readonly failure: OpenStackApiError }
  | { readonly failure: OpenStackApiError | OpenStackConnectionError };

/** The state a waiting call reports. */
interface Waiting {
  attempt: number;
  lastError: string | undefined;
  stop(): void;
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

/** Sends requests with tokens, deadlines, retries, re-authentication and typed errors. */
export class OpenStackHttp {
  readonly #transport: HttpTransport;
  readonly #stats: MutableStats;
  readonly #policy: RetryPolicy;
  readonly #deadlines: RequestDeadlines;
  readonly #onRequest: ((event: RequestEvent) => void) | undefined;
  readonly #onWait: ((notice: WaitNotice) => void) | undefined;
  readonly #noticeEveryMs: number;
  readonly #random: () => number;
  readonly #userAgent: string;
  #tokens: TokenSource | undefined;

  constructor(options: OpenStackHttpOptions) {
    this.#transport = options.transport;
    this.#stats = options.stats;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#deadlines = { ...DEFAULT_DEADLINES, ...options.deadlines };
    this.#onRequest = options.onRequest;
    this.#onWait = options.onWait;
    this.#noticeEveryMs = options.noticeEveryMs ?? NOTICE_EVERY_MS;
    this.#random = options.random ?? Math.random;
    this.#userAgent = options.userAgent ?? 'forcedown';
  }

  /** The time limits of each call. */
  get deadlines(): RequestDeadlines {
    return this.#deadlines;
  }

  /** Sets where tokens come from (the Keystone session, created after this object). */
  useTokens(tokens: TokenSource): void {
    this.#tokens = tokens;
  }

  /**
   * Sends the request. Resolves with answers < 400; rejects with OpenStackApiError (HTTP error),
   * OpenStackConnectionError (no answer: refused, reset, timed out) or an AbortError (cancelled).
   * Each attempt has a connect and a response timeout; idempotent calls are retried until the
   * budget is spent, so the call ends within {@link RequestDeadlines.budgetMs}.
   */
  async request(spec: RequestSpec): Promise<ApiResponse> {
    const prepared = this.#prepare(spec);
    const waiting = this.#startNotices(prepared);
    try {
      return await this.#attempts(prepared, waiting);
    } finally {
      waiting.stop();
    }
  }

  #prepare(spec: RequestSpec): Prepared {
    const url = new URL(spec.url);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.#userAgent };
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    if (spec.microversion !== undefined) {
      headers['openstack-api-version'] = `compute ${spec.microversion}`;
      headers['x-openstack-nova-api-version'] = spec.microversion;
    }
    return {
      spec,
      url,
      path: `${url.pathname}${url.search}`,
      headers,
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      idempotent: spec.idempotent ?? spec.method === 'GET',
      authenticated: spec.authenticated ?? true,
      ...this.#limitsOf(spec),
    };
  }

  #limitsOf(spec: RequestSpec): Pick<Prepared, 'deadline' | 'budgetMs' | 'responseTimeoutMs'> {
    const budgetMs = Math.max(this.#deadlines.budgetMs, spec.answerLimitMs ?? 0);
    const responseTimeoutMs = spec.answerLimitMs ?? this.#deadlines.responseTimeoutMs;
    return { deadline: Date.now() + budgetMs, budgetMs, responseTimeoutMs };
  }

  async #attempts(prepared: Prepared, waiting: Waiting): Promise<ApiResponse> {
    const { spec } = prepared;
    const started = prepared.deadline - prepared.budgetMs;
    let reauthenticated = false;
    let token: string | undefined;
    for (let attempt = 1; ; attempt += 1) {
      waiting.attempt = attempt;
      if (prepared.authenticated) {
        if (this.#tokens === undefined) throw new Error('OpenStackHttp: no token source');
        token ??= await this.#tokens.token(spec.signal);
      }
      const outcome = await this.#attempt(prepared, attempt, token);
      if ('response' in outcome) return outcome.response;
      if ('unauthorized' in outcome && !reauthenticated && token !== undefined && this.#tokens !== undefined) {
        // the token expired or was revoked: Keystone middleware refused the request before the
        // service saw it, so sending it again (even a POST) cannot act twice
        reauthenticated = true;
        this.#stats.reauthentications += 1;
        token = await this.#tokens.renewAfterUnauthorized(token, spec.signal);
        continue;
      }
      const { failure } = outcome;
      const delay = backoffDelay(this.#policy, attempt, this.#random);
      const outOfTime = Date.now() + delay >= prepared.deadline;
      if (!prepared.idempotent || !failure.isRetryable || attempt > this.#policy.retries || outOfTime) {
        throw failure instanceof OpenStackConnectionError
          ? failure.afterAttempts(attempt, Date.now() - started)
          : failure;
      }
      waiting.lastError = failure instanceof OpenStackConnectionError ? failure.errorCode : `HTTP ${failure.status}`;
      this.#stats.retries += 1;
      await sleep(delay, spec.signal);
    }
  }

  /** One attempt, its time limits cut to what is left of the call's budget. */
  async #attempt(prepared: Prepared, attempt: number, token: string | undefined): Promise<AttemptOutcome> {
    const { spec, url, path } = prepared;
    const left = Math.max(1000, prepared.deadline - Date.now());
    const connectTimeoutMs = Math.min(this.#deadlines.connectTimeoutMs, left);
    const responseTimeoutMs = Math.min(prepared.responseTimeoutMs, left);
    const base = { service: spec.service, method: spec.method, path, attempt };
    const started = Date.now();
    this.#stats.requests += 1;
    try {
      const response = await this.#transport.send({
        method: spec.method,
        url,
        headers: token === undefined ? prepared.headers : { ...prepared.headers, 'x-auth-token': token },
        ...(prepared.body === undefined ? {} : { body: prepared.body }),
        ...(spec.signal === undefined ? {} : { signal: spec.signal }),
        connectTimeoutMs,
        responseTimeoutMs,
      });
      const requestId = requestIdOf(response.headers);
      this.#emit({
        ...base,
        status: response.status,
        ...(requestId ? { requestId } : {}),
        durationMs: Date.now() - started,
      });
      if (response.status < 400)
        return { response: { status: response.status, headers: response.headers, body: response.body, requestId } };
      const failure = new OpenStackApiError({
        service: spec.service,
        status: response.status,
        apiMessage: errorMessageOf(response.body),
        ...(requestId === undefined ? {} : { requestId }),
        method: spec.method,
        path,
        ...(spec.microversion === undefined ? {} : { microversion: spec.microversion }),
      });
      return response.status === 401 && prepared.authenticated ? { unauthorized: true, failure } : { failure };
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      this.#emit({ ...base, errorCode: error.code, durationMs: Date.now() - started });
      // the message names the configured limit of an attempt, not one cut short by the budget
      const limit = error.timeout === 'connect' ? connectTimeoutMs : prepared.responseTimeoutMs;
      return {
        failure: new OpenStackConnectionError({
          service: spec.service,
          method: spec.method,
          path,
          origin: url.origin,
          errorCode: error.code,
          ...(error.timeout ? { timeout: { phase: error.timeout, ms: limit } } : {}),
          cause: error,
        }),
      };
    }
  }

  /** Says every {@link NOTICE_EVERY_MS} what the call is waiting for, until it ends. */
  #startNotices(prepared: Prepared): Waiting {
    const onWait = this.#onWait;
    const waiting: Waiting = { attempt: 1, lastError: undefined, stop: () => undefined };
    if (onWait === undefined) return waiting;
    const { spec } = prepared;
    const budgetMs = prepared.budgetMs;
    const target = redact(`${prepared.url.origin}${prepared.path}`);
    waiting.stop = startWaitNotices(
      (waitedMs) => {
        const state =
          waiting.lastError === undefined
            ? `no answer yet after ${seconds(waitedMs)}`
            : `attempt ${waiting.attempt - 1} failed (${waiting.lastError}), trying again; ${seconds(waitedMs)} so far`;
        onWait({
          service: spec.service,
          method: spec.method,
          target,
          attempt: waiting.attempt,
          waitedMs,
          budgetMs,
          ...(waiting.lastError === undefined ? {} : { lastError: waiting.lastError }),
          message: `waiting for ${SERVICE_TITLE[spec.service]} (${spec.method} ${target}): ${state}; gives up after ${seconds(budgetMs)}`,
        });
      },
      { everyMs: this.#noticeEveryMs },
    );
    return waiting;
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
