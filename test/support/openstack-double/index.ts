/**
 * An in-process OpenStack double: Keystone v3 (`POST /v3/auth/tokens`), Nova v2.1 (os-services,
 * servers, evacuate, os-resetState, os-stop/os-start, os-migrations, flavors) and Glance
 * (`GET /v2/images/{id}`) on one 127.0.0.1 port (HTTP, or HTTPS with a given key/cert), answering
 * as the real Zed testbed does (shared/testbed/api-transcript.md): fault bodies
 * `{"badRequest":{"code":400,"message":…}}`, microversion headers and 406s, policy 403s for
 * non-admins, `X-Subject-Token` 201s, token expiry, heartbeats and `service_down_time`, evacuation
 * migrations `accepted → pre-migrating → done` and `completed` after a compute restart, the
 * "still in use" and "`done` evacuation records" 400s, accepted double evacuations that break the
 * server, pagination with `servers_links` and `[api] max_limit`.
 *
 * ```ts
 * const double = await startOpenStackDouble({ serviceDownTimeMs: 200, rebuildDelayMs: 20 });
 * const id = double.addServer({ host: 'fake1' }).id;
 * double.killCompute('fake1');          // down after serviceDownTimeMs
 * double.failNext({ status: 503, times: 2, route: 'GET /v2.1/os-services' });
 * double.setLatency({ min: 20, max: 50 });
 * double.calls['POST /v2.1/servers/{id}/action:evacuate'];
 * await double.close();
 * ```
 * Users: admin/adminpass (project admin, roles admin+member+reader), demo/demopass (project demo,
 * member+reader), domain Default; region RegionOne. Everything is indexed (servers by host,
 * migrations by instance), so a listing costs O(servers on that host), not O(all servers).
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { issueToken, validToken } from './keystone.js';
import {
  mvAtLeast,
  novaFault,
  readBody,
  send,
  unauthorized,
  type DoubleRequest,
  type DoubleResponse,
} from './http-kit.js';
import { handleGlance, handleNova, serviceIsUp, type EvacuationFault, type NovaContext } from './nova.js';
import {
  CloudState,
  type DoubleAppCredential,
  type MigrationRecord,
  type ServerRecord,
  type ServiceRecord,
} from './state.js';

export type { DoubleAppCredential, MigrationRecord, ServerRecord, ServiceRecord } from './state.js';
export type { EvacuationFault } from './nova.js';

/** Options of {@link startOpenStackDouble}. */
export interface OpenStackDoubleOptions {
  /** Compute hosts (nova-compute services). @defaultValue `['fake1', 'fake2', 'fake3']` */
  readonly computes?: readonly string[];
  /** Supported compute microversions. @defaultValue `{ min: '2.1', max: '2.93' }` (Zed) */
  readonly microversions?: { readonly min: string; readonly max: string };
  /** `[api] max_limit`. @defaultValue `1000` */
  readonly maxLimit?: number;
  /** `service_down_time`: a killed compute reads `down` this long after its last heartbeat. @defaultValue `60000` */
  readonly serviceDownTimeMs?: number;
  /** `report_interval`: a live compute's `updated_at` advances in steps of this. @defaultValue `10000` */
  readonly reportIntervalMs?: number;
  /**
   * Time from an accepted evacuate to migration `done` (half of it to `pre-migrating`): a fixed
   * number, or a range from which each evacuation draws its own (uniformly). @defaultValue `50`
   */
  readonly rebuildDelayMs?: number | { readonly min: number; readonly max: number };
  /** Token lifetime. @defaultValue `3600000` */
  readonly tokenTtlMs?: number;
  /** Regions with the same endpoints. @defaultValue `['RegionOne']` */
  readonly regions?: readonly string[];
  /** Serve HTTPS with this PEM key and certificate. */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** Latency added to every answer. @defaultValue `0` */
  readonly latencyMs?: number | { readonly min: number; readonly max: number };
  /** Requests kept in `log` (the oldest are dropped; `calls` counts all). @defaultValue `20000` */
  readonly logLimit?: number;
  /** Nova's clock minus this machine's: every timestamp and the `Date` header use Nova's clock. @defaultValue `0` */
  readonly clockOffsetMs?: number;
  /** Time from a pause/suspend/... to the compute carrying it out. @defaultValue `10` */
  readonly castDelayMs?: number;
  /** Hostname used in catalog URLs (must resolve to 127.0.0.1; use `localhost` for TLS with a `localhost` cert). @defaultValue `127.0.0.1` */
  readonly hostname?: string;
}

/** A server to create with {@link OpenStackDouble.addServer}. */
export interface AddServerSpec {
  readonly host: string;
  readonly name?: string;
  readonly id?: string;
  /** @defaultValue `active` */
  readonly vmState?: string;
  readonly taskState?: string | null;
  /** @defaultValue the admin project */
  readonly projectId?: string;
  /** @defaultValue `'1'` (m1.tiny) */
  readonly flavorId?: string;
  /** @defaultValue the `fake-image` image; null = booted from volume */
  readonly imageId?: string | null;
  readonly tags?: readonly string[];
  readonly metadata?: Readonly<Record<string, string>>;
  /** Locked before the test by its owner (or an admin of another project), with an optional reason. */
  readonly locked?: { readonly by: 'owner' | 'admin'; readonly reason?: string };
}

/** An injected failure. */
export interface FailureSpec {
  /** 502/503/504 (an HTML body as a proxy sends it) or `reset` (the socket is destroyed). */
  readonly status: 502 | 503 | 504 | 500 | 'reset';
  /** How many matching requests fail. @defaultValue `1` */
  readonly times?: number;
  /** Route key (`GET /v2.1/os-services`, see `calls`) or a RegExp on it. @defaultValue every route */
  readonly route?: string | RegExp;
  /** Carry the request out first, then fail the answer (a reply lost on the way back). @defaultValue `false` */
  readonly afterProcessing?: boolean;
}

/** One request the double answered. */
export interface DoubleCall {
  readonly route: string;
  readonly method: string;
  readonly path: string;
  readonly microversion: string | undefined;
  readonly status: number | 'reset';
  readonly hadToken: boolean;
  readonly body: unknown;
  /** When the request arrived (this machine's ms, before any latency). */
  readonly arrivedAt: number;
}

/** The control surface of a running double. */
export interface OpenStackDouble {
  /** `http(s)://127.0.0.1:PORT` */
  readonly url: string;
  /** Keystone v3 URL for `auth_url` (`…/v3`). */
  readonly keystoneUrl: string;
  /** Compute endpoint (`…/v2.1`). */
  readonly computeUrl: string;
  readonly adminProjectId: string;
  readonly demoProjectId: string;
  /** Image id of `fake-image`. */
  readonly imageId: string;
  /** Flavor id of m1.tiny (`'1'`). */
  readonly flavorId: string;
  /** Requests per route key (`POST /v2.1/servers/{id}/action:evacuate`, `GET /v2.1/os-services`...). */
  readonly calls: Readonly<Record<string, number>>;
  /** Every request, in order. */
  readonly log: readonly DoubleCall[];
  /** Evacuations accepted while another was in flight for the same server (should stay 0). */
  readonly doubleEvacuations: number;
  callCount(route: string): number;
  resetCalls(): void;
  addServer(spec: AddServerSpec): ServerRecord;
  /** Adds `count` servers on `host`; returns their ids. */
  addServers(count: number, spec: AddServerSpec): string[];
  server(id: string): ServerRecord | undefined;
  serversOn(host: string): ServerRecord[];
  service(host: string, binary?: string): ServiceRecord | undefined;
  migrations(filter?: { readonly instanceUuid?: string; readonly sourceCompute?: string }): MigrationRecord[];
  addCompute(host: string): ServiceRecord;
  /** Stops the compute's heartbeat: `down` after serviceDownTimeMs (`{ now: true }`: at once). */
  killCompute(host: string, options?: { readonly now?: boolean }): void;
  /** Starts the heartbeat again (`up` unless forced down). */
  startCompute(host: string): void;
  /** A nova-compute restart: heartbeat on, and its evacuation migrations (accepted/pre-migrating/done) become `completed`. */
  restartCompute(host: string): void;
  setForcedDown(host: string, forcedDown: boolean): void;
  isUp(host: string): boolean;
  setLatency(latency: number | { readonly min: number; readonly max: number }): void;
  failNext(spec: FailureSpec): void;
  /**
   * Runs `action` (and waits for it) before the next request on `route` is handled, with that
   * request's path: something that happens in Nova between a client's look and its request.
   */
  beforeNext(route: string | RegExp, action: (path: string) => void | Promise<void>): void;
  /**
   * Coming evacuations fail as Nova's conductor or a compute makes them fail (placement consumer
   * conflict, NoValidHost, a failed rebuild), `times` times (@defaultValue 1), for `serverIds` only if given.
   */
  failEvacuations(spec: {
    readonly kind: EvacuationFault['kind'];
    readonly times?: number;
    readonly serverIds?: readonly string[];
  }): void;
  /** Placement contention: claims made while more than `limit` evacuations are in flight may conflict (undefined: never). */
  setClaimConflictAbove(limit: number | undefined): void;
  /** Drops the injected failures not yet used. */
  clearFailures(): void;
  /** Changes service_down_time, the rebuild delay or the microversion range at run time (e.g. a nova-api downgraded behind a load balancer). */
  configure(settings: {
    readonly serviceDownTimeMs?: number;
    readonly rebuildDelayMs?: number | { readonly min: number; readonly max: number };
    readonly microversions?: { readonly min: string; readonly max: string };
  }): void;
  /** Every token Keystone issued (for secret scans). */
  issuedTokens(): string[];
  /** Every issued token expires now (Nova answers 401 until the client re-authenticates). */
  expireTokens(): void;
  addUser(spec: {
    readonly name: string;
    readonly password: string;
    readonly roles: readonly string[];
    readonly projectName?: string;
  }): { readonly id: string; readonly projectId: string };
  addApplicationCredential(spec: {
    readonly user: string;
    readonly name: string;
    readonly secret: string;
  }): DoubleAppCredential;
  addImage(spec: {
    readonly name: string;
    readonly tags?: readonly string[];
    readonly properties?: Readonly<Record<string, unknown>>;
  }): string;
  addFlavor(spec: {
    readonly id: string;
    readonly name: string;
    readonly extraSpecs?: Readonly<Record<string, string>>;
  }): void;
  close(): Promise<void>;
}

/** OS_* variables of the double's admin (or demo) user, as a CLI or `loadCloudConfig` reads them. */
export function doubleEnv(
  double: Pick<OpenStackDouble, 'keystoneUrl'>,
  user: 'admin' | 'demo' = 'admin',
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    OS_AUTH_URL: double.keystoneUrl,
    OS_USERNAME: user,
    OS_PASSWORD: `${user}pass`,
    OS_PROJECT_NAME: user,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: 'RegionOne',
    ...extra,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function routeKey(method: string, path: string, body: unknown): string {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts[0] === 'v3') return `${method} /${parts.join('/')}`;
  if (parts[0] === 'v2') return `${method} /v2/images/{id}`;
  if (parts[0] !== 'v2.1') return `${method} ${path}`;
  const rest = parts.slice(1);
  if (rest.length === 0) return `${method} /v2.1/`;
  const [a, b, c] = rest;
  if (a === 'os-services' && b !== undefined)
    return `${method} /v2.1/os-services/${['force-down', 'enable', 'disable', 'disable-log-reason'].includes(b) ? b : '{id}'}`;
  if (a === 'servers' && b !== undefined && b !== 'detail') {
    if (c === 'action') {
      const action = typeof body === 'object' && body !== null ? Object.keys(body)[0] : undefined;
      return `${method} /v2.1/servers/{id}/action:${action ?? '?'}`;
    }
    return `${method} /v2.1/servers/{id}${c === undefined ? '' : `/${c}`}`;
  }
  if (a === 'flavors' && b !== undefined) return `${method} /v2.1/flavors/{id}${c === undefined ? '' : `/${c}`}`;
  return `${method} /v2.1/${rest.join('/')}`;
}

/** Starts the double on 127.0.0.1 (random port). */
export async function startOpenStackDouble(options: OpenStackDoubleOptions = {}): Promise<OpenStackDouble> {
  const state = new CloudState();
  const clockOffsetMs = options.clockOffsetMs ?? 0;
  const now = (): number => Date.now() + clockOffsetMs;
  const regions = options.regions ?? ['RegionOne'];
  const hostname = options.hostname ?? '127.0.0.1';
  let baseUrl = '';
  let latency: number | { min: number; max: number } = options.latencyMs ?? 0;
  const failures: {
    status: FailureSpec['status'];
    remaining: number;
    route?: string | RegExp;
    afterProcessing?: boolean;
  }[] = [];
  const interludes: { route: string | RegExp; action: (path: string) => void | Promise<void> }[] = [];
  const calls = new Map<string, number>();
  const log: DoubleCall[] = [];
  const logLimit = options.logLimit ?? 20_000;
  const record = (call: DoubleCall): void => {
    log.push(call);
    if (log.length > logLimit) log.splice(0, log.length - logLimit);
  };
  const ctx: NovaContext = {
    state,
    now,
    baseUrl: () => baseUrl,
    minVersion: options.microversions?.min ?? '2.1',
    maxVersion: options.microversions?.max ?? '2.93',
    maxLimit: options.maxLimit ?? 1000,
    serviceDownTimeMs: options.serviceDownTimeMs ?? 60_000,
    reportIntervalMs: options.reportIntervalMs ?? 10_000,
    rebuildDelayMs: options.rebuildDelayMs ?? 50,
    doubleEvacuations: 0,
    timers: new Set(),
    evacuationFaults: [],
    claimConflictAbove: undefined,
    evacuationsInFlight: 0,
    castDelayMs: options.castDelayMs ?? 10,
  };

  state.projects.set('admin-project', { id: 'admin-project', name: 'admin', domainId: 'default' });
  state.projects.set('demo-project', { id: 'demo-project', name: 'demo', domainId: 'default' });
  state.users.set('admin-user', {
    id: 'admin-user',
    name: 'admin',
    password: 'adminpass',
    domainId: 'default',
    projectId: 'admin-project',
    roles: ['admin', 'member', 'reader'],
  });
  state.users.set('demo-user', {
    id: 'demo-user',
    name: 'demo',
    password: 'demopass',
    domainId: 'default',
    projectId: 'demo-project',
    roles: ['member', 'reader'],
  });
  const start = now();
  state.addService('vm', 'nova-conductor', 'internal', start);
  state.addService('vm', 'nova-scheduler', 'internal', start);
  for (const host of options.computes ?? ['fake1', 'fake2', 'fake3'])
    state.addService(host, 'nova-compute', 'nova', start);
  state.flavors.set('1', { id: '1', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1, extraSpecs: {} });
  const imageId = randomUUID();
  state.images.set(imageId, { id: imageId, name: 'fake-image', tags: [], properties: {} });

  const catalog = (): unknown[] => {
    const endpoints = (url: string): unknown[] =>
      regions.flatMap((region) =>
        ['public', 'internal', 'admin'].map((iface) => ({
          id: randomUUID(),
          interface: iface,
          region_id: region,
          region,
          url,
        })),
      );
    return [
      { type: 'identity', name: 'keystone', id: 'svc-identity', endpoints: endpoints(`${baseUrl}/v3`) },
      { type: 'compute', name: 'nova', id: 'svc-compute', endpoints: endpoints(`${baseUrl}/v2.1`) },
      { type: 'image', name: 'glance', id: 'svc-image', endpoints: endpoints(baseUrl) },
      { type: 'placement', name: 'placement', id: 'svc-placement', endpoints: endpoints(`${baseUrl}/placement`) },
    ];
  };

  const handle = (req: DoubleRequest, microversion: string | undefined): DoubleResponse => {
    const parts = req.path.split('/').filter((p) => p !== '');
    if (parts[0] === 'v3') {
      if (req.method === 'POST' && parts[1] === 'auth' && parts[2] === 'tokens' && parts.length === 3) {
        return issueToken({ state, tokenTtlMs: options.tokenTtlMs ?? 3_600_000, now, catalog }, req);
      }
      return {
        status: 404,
        body: { error: { code: 404, title: 'Not Found', message: 'The resource could not be found.' } },
      };
    }
    const tokenHeader = req.headers['x-auth-token'];
    const token = validToken(state, typeof tokenHeader === 'string' ? tokenHeader : undefined, now());
    if (parts[0] === 'v2.1') {
      if (parts.length === 1 && req.method === 'GET') {
        return {
          status: 200,
          body: {
            version: {
              id: 'v2.1',
              status: 'CURRENT',
              version: ctx.maxVersion,
              min_version: ctx.minVersion,
              updated: '2013-07-23T11:33:21Z',
              links: [{ rel: 'self', href: `${baseUrl}/v2.1/` }],
              'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
            },
          },
        };
      }
      if (token === undefined) return unauthorized(`${baseUrl}/v3`);
      return handleNova(ctx, req, `/${parts.slice(1).join('/')}`, microversion ?? ctx.minVersion, token);
    }
    if (parts[0] === 'v2') {
      if (token === undefined) return unauthorized(`${baseUrl}/v3`);
      return handleGlance(ctx, req, parts);
    }
    return { status: 404, text: 'Not Found' };
  };

  /** Nova's microversion header handling: none → min, latest → max, bad → 400, out of range → 406. */
  const negotiate = (req: http.IncomingMessage): { version?: string; error?: DoubleResponse } => {
    const modern = req.headers['openstack-api-version'];
    const legacy = req.headers['x-openstack-nova-api-version'];
    let requested: string | undefined;
    if (typeof modern === 'string') {
      for (const item of modern.split(',')) {
        const [service, value] = item.trim().split(/\s+/);
        if (service?.toLowerCase() === 'compute' && value !== undefined) requested = value;
      }
    }
    if (requested === undefined && typeof legacy === 'string') requested = legacy.trim();
    if (requested === undefined) return { version: ctx.minVersion };
    if (requested.toLowerCase() === 'latest') return { version: ctx.maxVersion };
    if (!/^\d+\.\d+$/.test(requested))
      return {
        error: novaFault(
          400,
          `API Version String ${requested} is of invalid format. Must be of format MajorNum.MinorNum.`,
        ),
      };
    if (!mvAtLeast(requested, ctx.minVersion) || !mvAtLeast(ctx.maxVersion, requested)) {
      return {
        error: novaFault(
          406,
          `Version ${requested} is not supported by the API. Minimum is ${ctx.minVersion} and maximum is ${ctx.maxVersion}.`,
        ),
      };
    }
    return { version: requested };
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    void (async () => {
      const arrivedAt = Date.now();
      const rawBody = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://double.invalid');
      let body: unknown;
      if (rawBody !== '') {
        try {
          body = JSON.parse(rawBody);
        } catch {
          send(res, novaFault(400, 'Malformed request body'));
          return;
        }
      }
      const method = req.method ?? 'GET';
      const route = routeKey(method, url.pathname, body);
      calls.set(route, (calls.get(route) ?? 0) + 1);
      const wait = typeof latency === 'number' ? latency : latency.min + Math.random() * (latency.max - latency.min);
      if (wait > 0) await sleep(wait);
      const interlude = interludes.findIndex((i) =>
        typeof i.route === 'string' ? i.route === route : i.route.test(route),
      );
      if (interlude >= 0) await interludes.splice(interlude, 1)[0].action(url.pathname);
      const isNova = url.pathname.startsWith('/v2.1');
      const { version, error } = isNova ? negotiate(req) : {};
      const entry = {
        route,
        method,
        path: `${url.pathname}${url.search}`,
        microversion: isNova ? version : undefined,
        hadToken: typeof req.headers['x-auth-token'] === 'string',
        body,
        arrivedAt,
      };
      const failure = failures.find(
        (f) =>
          f.remaining > 0 &&
          (f.route === undefined || (typeof f.route === 'string' ? f.route === route : f.route.test(route))),
      );
      if (failure !== undefined) {
        failure.remaining -= 1;
        if (failure.afterProcessing)
          handle({ method, url, path: url.pathname, headers: req.headers, body, rawBody }, version);
        record({ ...entry, status: failure.status });
        if (failure.status === 'reset') {
          req.socket.destroy();
          return;
        }
        send(res, {
          status: failure.status,
          text: `<html><body><h1>${failure.status} Service Unavailable</h1>No server is available to handle this request.</body></html>`,
        });
        return;
      }
      const response =
        error ?? handle({ method, url, path: url.pathname, headers: req.headers, body, rawBody }, version);
      record({ ...entry, status: response.status });
      const versionHeaders: Record<string, string> =
        isNova && version !== undefined
          ? {
              'openstack-api-version': `compute ${version}`,
              'x-openstack-nova-api-version': version,
              vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
            }
          : {};
      const requestIdHeaders: Record<string, string> = isNova ? { 'x-compute-request-id': `req-${randomUUID()}` } : {};
      // Nova's clock (RFC 7231 IMF-fixdate, whole seconds), which clients may measure skew against
      send(res, response, { date: new Date(now()).toUTCString(), ...versionHeaders, ...requestIdHeaders });
    })().catch((error: unknown) => {
      if (!res.headersSent) send(res, novaFault(500, `double crashed: ${String(error)}`));
    });
  };

  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener)
    : http.createServer(listener);
  server.keepAliveTimeout = 5000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  baseUrl = `${options.tls ? 'https' : 'http'}://${hostname}:${port}`;

  const compute = (host: string): ServiceRecord => {
    const svc = state.computeService(host);
    if (svc === undefined) throw new Error(`double: no compute ${host}`);
    return svc;
  };

  const double: OpenStackDouble = {
    url: baseUrl,
    keystoneUrl: `${baseUrl}/v3`,
    computeUrl: `${baseUrl}/v2.1`,
    adminProjectId: 'admin-project',
    demoProjectId: 'demo-project',
    imageId,
    flavorId: '1',
    get calls() {
      return Object.fromEntries(calls);
    },
    log,
    get doubleEvacuations() {
      return ctx.doubleEvacuations;
    },
    callCount: (route) => calls.get(route) ?? 0,
    resetCalls: () => {
      calls.clear();
      log.length = 0;
    },
    addServer(spec) {
      return state.addServer(
        {
          id: spec.id ?? randomUUID(),
          name: spec.name ?? `vm-${state.servers.size + 1}`,
          projectId: spec.projectId ?? 'admin-project',
          userId: spec.projectId === 'demo-project' ? 'demo-user' : 'admin-user',
          host: spec.host,
          vmState: spec.vmState ?? 'active',
          taskState: spec.taskState ?? null,
          flavorId: spec.flavorId ?? '1',
          imageId: spec.imageId === undefined ? imageId : spec.imageId,
          tags: [...(spec.tags ?? [])],
          metadata: { ...spec.metadata },
          ...(spec.locked === undefined
            ? {}
            : { locked: true, lockedBy: spec.locked.by, lockedReason: spec.locked.reason ?? null }),
        },
        now(),
      );
    },
    addServers(count, spec) {
      return Array.from(
        { length: count },
        (_v, i) => double.addServer({ ...spec, name: `${spec.name ?? 'vm'}-${i + 1}` }).id,
      );
    },
    server: (id) => state.servers.get(id),
    serversOn: (host) =>
      [...(state.serversByHost.get(host) ?? [])]
        .map((id) => state.servers.get(id))
        .filter((s): s is ServerRecord => s !== undefined),
    service: (host, binary = 'nova-compute') => state.services.find((s) => s.host === host && s.binary === binary),
    migrations: (filter = {}) =>
      [...state.migrations.values()].filter(
        (m) =>
          (filter.instanceUuid === undefined || m.instanceUuid === filter.instanceUuid) &&
          (filter.sourceCompute === undefined || m.sourceCompute === filter.sourceCompute),
      ),
    addCompute: (host) => state.addService(host, 'nova-compute', 'nova', now()),
    killCompute(host, opts) {
      const svc = compute(host);
      svc.alive = false;
      svc.lastHeartbeat = opts?.now ? now() - ctx.serviceDownTimeMs - 1 : now();
    },
    startCompute(host) {
      const svc = compute(host);
      svc.alive = true;
      svc.updatedAt = now();
    },
    restartCompute(host) {
      const svc = compute(host);
      svc.alive = true;
      svc.updatedAt = now();
      // _destroy_evacuated_instances: evacuations from this host that are accepted/pre-migrating/done → completed
      for (const m of state.migrations.values()) {
        if (
          m.sourceCompute === host &&
          m.migrationType === 'evacuation' &&
          ['accepted', 'pre-migrating', 'done'].includes(m.status)
        ) {
          m.status = 'completed';
          m.updatedAt = now();
        }
      }
    },
    setForcedDown(host, forcedDown) {
      compute(host).forcedDown = forcedDown;
    },
    isUp: (host) => serviceIsUp(ctx, compute(host)),
    setLatency(value) {
      latency = typeof value === 'number' ? value : { min: value.min, max: value.max };
    },
    failNext(spec) {
      failures.push({
        status: spec.status,
        remaining: spec.times ?? 1,
        ...(spec.route === undefined ? {} : { route: spec.route }),
        ...(spec.afterProcessing ? { afterProcessing: true } : {}),
      });
    },
    beforeNext(route, action) {
      interludes.push({ route, action });
    },
    failEvacuations(spec) {
      ctx.evacuationFaults.push({
        kind: spec.kind,
        remaining: spec.times ?? 1,
        ...(spec.serverIds === undefined ? {} : { serverIds: new Set(spec.serverIds) }),
      });
    },
    setClaimConflictAbove(limit) {
      ctx.claimConflictAbove = limit;
    },
    clearFailures() {
      failures.length = 0;
      interludes.length = 0;
      ctx.evacuationFaults.length = 0;
    },
    configure(settings) {
      if (settings.serviceDownTimeMs !== undefined) ctx.serviceDownTimeMs = settings.serviceDownTimeMs;
      if (settings.rebuildDelayMs !== undefined) ctx.rebuildDelayMs = settings.rebuildDelayMs;
      if (settings.microversions !== undefined) {
        ctx.minVersion = settings.microversions.min;
        ctx.maxVersion = settings.microversions.max;
      }
    },
    issuedTokens: () => [...state.tokens.keys()],
    expireTokens() {
      const t = now() - 1;
      for (const record of state.tokens.values()) record.expiresAt = t;
    },
    addUser(spec) {
      const projectName = spec.projectName ?? spec.name;
      let project = [...state.projects.values()].find((p) => p.name === projectName);
      if (project === undefined) {
        project = { id: `${projectName}-project`, name: projectName, domainId: 'default' };
        state.projects.set(project.id, project);
      }
      const id = `${spec.name}-user`;
      state.users.set(id, {
        id,
        name: spec.name,
        password: spec.password,
        domainId: 'default',
        projectId: project.id,
        roles: [...spec.roles],
      });
      return { id, projectId: project.id };
    },
    addApplicationCredential(spec) {
      const user = [...state.users.values()].find((u) => u.name === spec.user);
      if (user === undefined) throw new Error(`double: no user ${spec.user}`);
      const credential: DoubleAppCredential = {
        id: randomUUID().replace(/-/g, ''),
        name: spec.name,
        secret: spec.secret,
        userId: user.id,
      };
      state.appCredentials.set(credential.id, credential);
      return credential;
    },
    addImage(spec) {
      const id = randomUUID();
      state.images.set(id, { id, name: spec.name, tags: [...(spec.tags ?? [])], properties: { ...spec.properties } });
      return id;
    },
    addFlavor(spec) {
      state.flavors.set(spec.id, {
        id: spec.id,
        name: spec.name,
        vcpus: 1,
        ram: 512,
        disk: 1,
        extraSpecs: { ...spec.extraSpecs },
      });
    },
    async close() {
      for (const timer of ctx.timers) clearTimeout(timer);
      ctx.timers.clear();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  return double;
}
