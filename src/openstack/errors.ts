/**
 * Typed errors of the OpenStack client. Every error is a {@link ForcedownError} (code, kind,
 * hint); API errors also carry the HTTP facts (status, Nova's message, request id, method, path)
 * and boolean flags so callers test `error.isServiceInUse` instead of matching texts.
 *
 * Messages and details never hold tokens or passwords: paths carry no credentials, and every text
 * taken from a response passes through the secret registry's `redact` first.
 */
import { ForcedownError, type ErrorKind } from '../errors/index.js';
import { redact } from '../secrets/index.js';
import { seconds } from '../wait-notices.js';

/** Which OpenStack service answered. */
export type OpenStackServiceName = 'keystone' | 'nova' | 'glance';

/** How each service is named in messages. */
export const SERVICE_TITLE: Readonly<Record<OpenStackServiceName, string>> = {
  keystone: 'Keystone',
  nova: 'Nova',
  glance: 'Glance',
};

/** The facts an {@link OpenStackApiError} is built from. */
export interface OpenStackApiErrorInit {
  readonly service: OpenStackServiceName;
  readonly status: number;
  /** The message the service gave (Nova's `{"badRequest":{"message":...}}`), or the raw body text. */
  readonly apiMessage: string;
  readonly requestId?: string;
  readonly method: string;
  /** Request path without scheme, host or credentials (`/v2.1/os-services/…`). */
  readonly path: string;
  /** The microversion the request was sent with, if any. */
  readonly microversion?: string;
}

const SERVICE_IN_USE = /Compute service of (\S+) is still in use/;
const DONE_EVACUATIONS = /Unable to force up host (\S+) as `done` evacuation migration records remain/;
const POLICY = /Policy doesn't allow (\S+) to be performed/;
const HOST_NOT_FOUND =
  /Host '([^']+)' is not mapped to any cell|Compute host (\S+?) not found|Could not find binary \S+ on host (\S+?)\./;
const VERSION_RANGE = /Version (\S+) is not supported by the API\. Minimum is (\S+) and maximum is ([\d.]+)/;

/**
 * An HTTP error answer from Keystone, Nova or Glance.
 *
 * Kinds: 401/403 → `auth`, unknown host → `invalid-input`, 406 (pinned microversion out of range)
 * and other 400 → `invalid-input`, "still in use" and "`done` evacuation records remain" →
 * `refused` (Nova refused for safety), everything else → `failed`.
 */
export class OpenStackApiError extends ForcedownError {
  readonly service: OpenStackServiceName;
  readonly status: number;
  readonly apiMessage: string;
  readonly requestId: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly microversion: string | undefined;
  /** The policy rule Nova named in a 403 (`os_compute_api:os-services:list`), if any. */
  readonly policy: string | undefined;

  constructor(init: OpenStackApiErrorInit) {
    const apiMessage = redact(init.apiMessage.trim());
    const path = redact(init.path);
    const classified = classify(init.service, init.status, apiMessage);
    const where = `${init.method} ${path}`;
    const rid = init.requestId === undefined ? '' : ` (request ${init.requestId})`;
    super(`${SERVICE_TITLE[init.service]} answered ${init.status} to ${where}: ${apiMessage || '(no message)'}${rid}`, {
      code: classified.code,
      kind: classified.kind,
      hint: classified.hint,
      data: {
        service: init.service,
        status: init.status,
        apiMessage,
        requestId: init.requestId,
        method: init.method,
        path,
        ...(init.microversion === undefined ? {} : { microversion: init.microversion }),
        ...(classified.policy === undefined ? {} : { policy: classified.policy }),
      },
    });
    this.service = init.service;
    this.status = init.status;
    this.apiMessage = apiMessage;
    this.requestId = init.requestId;
    this.method = init.method;
    this.path = path;
    this.microversion = init.microversion;
    this.policy = classified.policy;
  }

  get isBadRequest(): boolean {
    return this.status === 400;
  }
  get isUnauthorized(): boolean {
    return this.status === 401;
  }
  get isForbidden(): boolean {
    return this.status === 403;
  }
  get isNotFound(): boolean {
    return this.status === 404;
  }
  /** 406: the requested microversion is outside what the cloud supports. */
  get isNotAcceptable(): boolean {
    return this.status === 406;
  }
  get isConflict(): boolean {
    return this.status === 409;
  }
  /** 404 for a host Nova does not know (`Host 'x' is not mapped to any cell`, `Compute host x not found.`). */
  get isUnknownHost(): boolean {
    return this.status === 404 && HOST_NOT_FOUND.test(this.apiMessage);
  }
  /** 400 `Compute service of X is still in use.`: evacuate refused because the source looks up. */
  get isServiceInUse(): boolean {
    return this.status === 400 && SERVICE_IN_USE.test(this.apiMessage);
  }
  /** 400 `Unable to force up host … as \`done\` evacuation migration records remain …`. */
  get isDoneEvacuationRecordsRemain(): boolean {
    return this.status === 400 && DONE_EVACUATIONS.test(this.apiMessage);
  }
  /** 502/503/504: worth retrying for idempotent calls. */
  get isRetryable(): boolean {
    return this.status === 502 || this.status === 503 || this.status === 504;
  }
  get isServerError(): boolean {
    return this.status >= 500;
  }
  /** Never a connection error: see {@link OpenStackConnectionError}. */
  get isConnectionError(): boolean {
    return false;
  }
}
OpenStackApiError.prototype.name = 'OpenStackApiError';

interface Classified {
  code: string;
  kind: ErrorKind;
  hint: string;
  policy?: string;
}

function unauthorized(service: OpenStackServiceName, prefix: string): Classified {
  return service === 'keystone'
    ? {
        code: 'KEYSTONE_UNAUTHORIZED',
        kind: 'auth',
        hint: 'Keystone rejected the credentials: check the username/password, application credential or token of the cloud entry (clouds.yaml, secure.yaml, OS_* variables) and that it is not expired',
      }
    : {
        code: `${prefix}_UNAUTHORIZED`,
        kind: 'auth',
        hint: 'the token was rejected even after re-authenticating: check that Keystone and the service agree (clock skew, revoked token, keystonemiddleware configuration)',
      };
}

function forbidden(prefix: string, message: string): Classified {
  const policy = POLICY.exec(message)?.[1];
  return {
    code: `${prefix}_FORBIDDEN`,
    kind: 'auth',
    hint:
      policy === undefined
        ? 'the user lacks the role this call needs (usually admin): use a cloud entry with an admin user/project'
        : `the user lacks a role that grants ${policy} (admin by default): use a cloud entry with an admin user/project, or have the cloud's policy grant it`,
    ...(policy === undefined ? {} : { policy }),
  };
}

function notFound(service: OpenStackServiceName, prefix: string, message: string): Classified {
  if (service === 'keystone') {
    return {
      code: 'KEYSTONE_TOKEN_NOT_FOUND',
      kind: 'auth',
      hint: 'Keystone does not know the token given for token auth (expired or revoked): get a new one (openstack token issue) or use password / application credential auth',
    };
  }
  const host = HOST_NOT_FOUND.exec(message);
  if (host) {
    const name = host[1] ?? host[2] ?? host[3] ?? '';
    return {
      code: 'NOVA_UNKNOWN_HOST',
      kind: 'invalid-input',
      hint: `Nova has no compute service on host '${name}': use the service host name as \`forcedown services\` lists it (not the hypervisor hostname)`,
    };
  }
  return {
    code: `${prefix}_NOT_FOUND`,
    kind: 'failed',
    hint: 'the resource does not exist (any more): check the id, or re-plan from the live state',
  };
}

function badRequest(service: OpenStackServiceName, prefix: string, message: string): Classified {
  const inUse = SERVICE_IN_USE.exec(message);
  if (inUse) {
    return {
      code: 'NOVA_SERVICE_IN_USE',
      kind: 'refused',
      hint: `Nova still sees the compute service of ${inUse[1] ?? 'the host'} as up: fence the host and force its service down first (force-down step), or wait until Nova reports it down (service_down_time)`,
    };
  }
  const done = DONE_EVACUATIONS.exec(message);
  if (done) {
    return {
      code: 'NOVA_DONE_EVACUATIONS_REMAIN',
      kind: 'refused',
      hint: `restart nova-compute on ${done[1] ?? 'the host'} so it cleans up the evacuated instances (migrations move from done to completed), then clear forced_down again`,
    };
  }
  return {
    code: `${prefix}_BAD_REQUEST`,
    kind: 'invalid-input',
    hint: `${SERVICE_TITLE[service]} rejected the request as invalid: check the input named in the message`,
  };
}

function classify(service: OpenStackServiceName, status: number, message: string): Classified {
  const prefix = service.toUpperCase();
  if (status === 401) return unauthorized(service, prefix);
  if (status === 403) return forbidden(prefix, message);
  if (status === 404) return notFound(service, prefix, message);
  if (status === 406) {
    const range = VERSION_RANGE.exec(message);
    return {
      code: `${prefix}_MICROVERSION_UNSUPPORTED`,
      kind: 'invalid-input',
      hint:
        range === null
          ? "the requested API microversion is not supported by this cloud: unset OS_COMPUTE_API_VERSION (or the cloud entry's compute_api_version) to let forcedown negotiate"
          : `this cloud supports compute microversions ${range[2] ?? '?'} to ${range[3] ?? '?'}: pin a version in that range or unset OS_COMPUTE_API_VERSION`,
    };
  }
  if (status === 409) {
    return {
      code: `${prefix}_CONFLICT`,
      kind: 'failed',
      hint: 'the server is in a state that does not allow this action: check its vm_state/task_state; an operator may reset it with `os-resetState` (reset-state step) first',
    };
  }
  if (status === 400) return badRequest(service, prefix, message);
  if (status === 502 || status === 503 || status === 504) {
    return {
      code: `${prefix}_UNAVAILABLE`,
      kind: 'failed',
      hint: `${SERVICE_TITLE[service]} (or a proxy in front of it) is unavailable: retry later, or check the service's health and logs`,
    };
  }
  return {
    code: `${prefix}_ERROR`,
    kind: 'failed',
    hint: `check the ${SERVICE_TITLE[service]} API logs for this request id`,
  };
}

/** The facts of a connection failure. */
export interface OpenStackConnectionErrorInit {
  readonly service: OpenStackServiceName;
  readonly method: string;
  readonly path: string;
  /** `scheme://host:port` of the endpoint (no path, no credentials). */
  readonly origin: string;
  /** The system error code (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `CERT_HAS_EXPIRED`...). */
  readonly errorCode: string;
  /** Which of forcedown's time limits ran out, and how long it was. */
  readonly timeout?: { readonly phase: 'connect' | 'response'; readonly ms: number };
  /** How many attempts were made and how long the call took in all (set when it gives up). */
  readonly attempts?: { readonly count: number; readonly elapsedMs: number };
  readonly cause?: unknown;
}

/** `12.5 s`, for messages about time limits (the one formatter of wait notices, too). */
export { seconds };

function connectionMessage(init: OpenStackConnectionErrorInit, tls: boolean, path: string): string {
  const service = SERVICE_TITLE[init.service];
  const request = `${init.method} ${path}`;
  let text: string;
  if (tls) text = `TLS verification of ${init.origin} failed (${init.errorCode}) on ${request}`;
  else if (init.timeout?.phase === 'connect')
    text = `cannot connect to ${service} at ${init.origin} within ${seconds(init.timeout.ms)} (${request})`;
  else if (init.timeout?.phase === 'response' && init.attempts === undefined)
    text = `${service} at ${init.origin} did not answer ${request} within ${seconds(init.timeout.ms)}`;
  else if (init.timeout?.phase === 'response') text = `${service} at ${init.origin} did not answer ${request}`;
  else text = `cannot reach ${service} at ${init.origin} (${init.errorCode}) on ${request}`;
  const attempts = init.attempts;
  if (attempts === undefined) return text;
  const each = init.timeout?.phase === 'response' ? ` (an attempt waits at most ${seconds(init.timeout.ms)})` : '';
  return `${text}; gave up after ${attempts.count} attempt${attempts.count === 1 ? '' : 's'} in ${seconds(attempts.elapsedMs)}${each}`;
}

const TIME_LIMITS_HINT =
  'the limits are FORCEDOWN_CONNECT_TIMEOUT (10 s), FORCEDOWN_API_TIMEOUT or clouds.yaml api_timeout (30 s per answer) and FORCEDOWN_API_BUDGET (per call with its retries)';

/** TLS verification failures: a configuration problem, never retried. */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** The request never got an HTTP answer: refused, reset, timed out, DNS, TLS verification. */
export class OpenStackConnectionError extends ForcedownError {
  readonly service: OpenStackServiceName;
  readonly method: string;
  readonly path: string;
  readonly origin: string;
  readonly errorCode: string;
  readonly #init: OpenStackConnectionErrorInit;

  constructor(init: OpenStackConnectionErrorInit) {
    const tls = TLS_CODES.has(init.errorCode);
    const path = redact(init.path);
    super(connectionMessage(init, tls, path), {
      code: tls ? 'OPENSTACK_TLS_ERROR' : init.timeout ? 'OPENSTACK_TIMEOUT' : 'OPENSTACK_UNREACHABLE',
      kind: tls ? 'invalid-input' : 'failed',
      hint: tls
        ? 'give the CA bundle that signed the endpoint certificate (cacert in clouds.yaml, OS_CACERT); use insecure/--insecure only for testing'
        : `check that ${init.origin} is reachable from here (catalog endpoint, interface public/internal/admin, proxies, firewalls) and that the service is running${init.timeout ? `; ${TIME_LIMITS_HINT}` : ''}`,
      data: {
        service: init.service,
        method: init.method,
        path,
        origin: init.origin,
        errorCode: init.errorCode,
        ...(init.timeout ? { timeoutPhase: init.timeout.phase, timeoutMs: init.timeout.ms } : {}),
        ...(init.attempts ? { attempts: init.attempts.count, elapsedMs: init.attempts.elapsedMs } : {}),
      },
      cause: init.cause,
    });
    this.#init = init;
    this.service = init.service;
    this.method = init.method;
    this.path = path;
    this.origin = init.origin;
    this.errorCode = init.errorCode;
  }

  get isConnectionError(): boolean {
    return true;
  }
  /** TLS verification failed (not retried; fix the CA configuration). */
  get isTlsError(): boolean {
    return TLS_CODES.has(this.errorCode);
  }
  /** Connection errors other than TLS failures are retried for idempotent calls. */
  get isRetryable(): boolean {
    return !this.isTlsError;
  }
  get isTimeout(): boolean {
    return this.errorCode === 'ETIMEDOUT';
  }
  /** The same failure, saying how many attempts the call made in how long before giving up. */
  afterAttempts(count: number, elapsedMs: number): OpenStackConnectionError {
    return new OpenStackConnectionError({ ...this.#init, attempts: { count, elapsedMs } });
  }
}
OpenStackConnectionError.prototype.name = 'OpenStackConnectionError';

/** True for errors of this module that are worth retrying (for idempotent calls). */
export function isRetryableOpenStackError(error: unknown): boolean {
  return (error instanceof OpenStackApiError || error instanceof OpenStackConnectionError) && error.isRetryable;
}
