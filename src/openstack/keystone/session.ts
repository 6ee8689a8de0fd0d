/**
 * A Keystone v3 session: issues a token, renews it shortly before `expires_at`, and re-issues it
 * once when a service answers 401. Concurrent callers share one pending authentication.
 * The token is registered with the secret registry as soon as it arrives.
 */
import { operationFailed } from '../../errors/index.js';
import { secrets } from '../../secrets/index.js';
import { parseJson, type MutableStats, type OpenStackHttp, type TokenSource } from '../http/http-client.js';
import type { CloudConfig } from '../openstack.interface.js';
import { authRequestBody, tokensUrl } from './auth-request.js';
import type { CatalogEntry } from './catalog.js';

/** Options of {@link KeystoneSession}. */
export interface KeystoneSessionOptions {
  /** Renew the token when it expires within this time. @defaultValue `120000` (ms; at most half the token's lifetime) */
  readonly renewBeforeMs?: number;
  /** Clock (tests). @defaultValue `Date.now` */
  readonly now?: () => number;
}

/** What a token response tells. */
export interface TokenInfo {
  readonly expiresAt: number;
  readonly issuedAt: number;
  readonly catalog: readonly CatalogEntry[];
  readonly projectId: string | undefined;
  readonly projectName: string | undefined;
  readonly userId: string | undefined;
  readonly roles: readonly string[];
}

interface TokenState {
  readonly token: string;
  readonly info: TokenInfo;
}

interface TokenBody {
  token?: {
    expires_at?: string;
    issued_at?: string;
    catalog?: CatalogEntry[];
    project?: { id?: string; name?: string };
    user?: { id?: string };
    roles?: { name?: string }[];
  };
}

/** The Keystone session of one cloud. */
export class KeystoneSession implements TokenSource {
  readonly #config: CloudConfig;
  readonly #http: OpenStackHttp;
  readonly #stats: MutableStats;
  readonly #renewBeforeMs: number;
  readonly #now: () => number;
  #state: TokenState | undefined;
  #pending: Promise<TokenState> | undefined;

  constructor(config: CloudConfig, http: OpenStackHttp, stats: MutableStats, options: KeystoneSessionOptions = {}) {
    this.#config = config;
    this.#http = http;
    this.#stats = stats;
    this.#renewBeforeMs = options.renewBeforeMs ?? 120_000;
    this.#now = options.now ?? Date.now;
  }

  /** The current token's facts; throws before the first authentication. */
  get info(): TokenInfo {
    if (this.#state === undefined) throw new Error('KeystoneSession: not authenticated yet');
    return this.#state.info;
  }

  /** Authenticates now (the first time, or again). */
  async authenticate(signal?: AbortSignal): Promise<TokenInfo> {
    return (await this.#issue(signal)).info;
  }

  async token(signal?: AbortSignal): Promise<string> {
    const state = this.#state;
    if (state !== undefined && !this.#expiring(state.info)) return state.token;
    if (this.#pending === undefined && state !== undefined) this.#stats.reauthentications += 1;
    return (await this.#issue(signal)).token;
  }

  async renewAfterUnauthorized(stale: string, signal?: AbortSignal): Promise<string> {
    const state = this.#state;
    if (state !== undefined && state.token !== stale) return state.token;
    return (await this.#issue(signal)).token;
  }

  #expiring(info: TokenInfo): boolean {
    const lifetime = Math.max(0, info.expiresAt - info.issuedAt);
    const margin = Math.min(this.#renewBeforeMs, lifetime / 2);
    return this.#now() >= info.expiresAt - margin;
  }

  #issue(signal?: AbortSignal): Promise<TokenState> {
    if (this.#pending !== undefined) return this.#pending;
    const pending = this.#request(signal).finally(() => {
      if (this.#pending === pending) this.#pending = undefined;
    });
    this.#pending = pending;
    return pending;
  }

  async #request(signal?: AbortSignal): Promise<TokenState> {
    const response = await this.#http.request({
      service: 'keystone',
      method: 'POST',
      url: tokensUrl(this.#config.auth.authUrl),
      body: authRequestBody(this.#config),
      authenticated: false,
      // issuing a token changes nothing that a second attempt could double
      idempotent: true,
      ...(signal === undefined ? {} : { signal }),
    });
    const token = response.headers['x-subject-token'];
    if (token === undefined || token === '') {
      throw operationFailed(
        'KEYSTONE_NO_TOKEN',
        `Keystone answered ${response.status} without an X-Subject-Token header`,
        'check that auth_url points at Keystone v3 (…:5000/v3)',
        {},
      );
    }
    secrets.add(token);
    const body = parseJson<TokenBody>(response, 'Keystone token');
    const now = this.#now();
    const expires = Date.parse(body.token?.expires_at ?? '');
    const issued = Date.parse(body.token?.issued_at ?? '');
    const info: TokenInfo = {
      expiresAt: Number.isNaN(expires) ? now + 3_600_000 : expires,
      issuedAt: Number.isNaN(issued) ? now : Math.min(issued, now),
      catalog: body.token?.catalog ?? [],
      projectId: body.token?.project?.id,
      projectName: body.token?.project?.name,
      userId: body.token?.user?.id,
      roles: (body.token?.roles ?? []).map((r) => r.name ?? '').filter((r) => r !== ''),
    };
    const state = { token, info };
    this.#state = state;
    return state;
  }
}
