/**
 * Nova's compute API as forcedown uses it (the {@link ComputeApi} contract): os-services by UUID
 * (2.53) or by host (2.11), servers on a host (all pages), evacuate (never retried), reset-state,
 * stop/start, lock/unlock, pause/suspend, os-migrations and flavors. Every answer's `Date` header
 * feeds {@link MeasuredNovaClock} (`clock`).
 */
import { authFailed, invalidInput, operationFailed } from '../../errors/index.js';
import { matchHostName } from '../../validation/host-names.js';
import { OpenStackConnectionError } from '../errors.js';
import { parseJson, type ApiResponse, type OpenStackHttp, type RequestSpec } from '../http/http-client.js';
import type {
  CallOptions,
  ComputeApi,
  ComputeService,
  FlavorInfo,
  Migration,
  MigrationFilter,
  Server,
} from '../openstack.interface.js';
import {
  compareMicroversions,
  evacuateBody,
  type MicroversionRange,
  type NegotiatedMicroversions,
} from './microversion.js';
import { MeasuredNovaClock } from './nova-clock.js';
import { toComputeService, toFlavor, toMigration, toServer } from './normalize.js';

type Json = Record<string, unknown>;

/**
 * The answer limit of os-services PUTs (90 s). Nova Zed's disable/enable calls
 * `_update_compute_provider_status`, a synchronous RPC to the compute, while it still thinks the
 * service is up; for a powered-off compute that waits `rpc_response_timeout` (60 s) and only then
 * answers (with an error, the status change made). The default 30 s answer limit would give up
 * first and leave the caller guessing; after a timed-out PUT the service is read back.
 */
export const SERVICE_UPDATE_ANSWER_MS = 90_000;

/** Whether `service` shows every field an os-services PUT `body` sets. */
function showsUpdate(service: ComputeService, body: Json): boolean {
  if ('forced_down' in body && service.forcedDown !== body.forced_down) return false;
  if ('status' in body && service.status !== body.status) return false;
  if ('disabled_reason' in body && service.disabledReason !== body.disabled_reason) return false;
  return true;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Default page size of server listings. */
export const DEFAULT_SERVERS_PAGE_SIZE = 1000;

/** Options of {@link NovaComputeApi}. */
export interface NovaComputeApiOptions {
  readonly http: OpenStackHttp;
  /** The compute endpoint from the catalog (`…/v2.1`). */
  readonly endpoint: string;
  readonly range: MicroversionRange;
  readonly microversions: NegotiatedMicroversions;
  /** The os-services PUT answer limit (tests use a small one). @defaultValue {@link SERVICE_UPDATE_ANSWER_MS} */
  readonly serviceUpdateAnswerMs?: number;
}

function signalOf(options?: CallOptions): { signal?: AbortSignal } {
  return options?.signal === undefined ? {} : { signal: options.signal };
}

/** The marker of a `…_links` `next` href, if any. */
function nextMarker(links: unknown): string | undefined {
  if (!Array.isArray(links)) return undefined;
  for (const link of links as Json[]) {
    if (link.rel === 'next' && typeof link.href === 'string') {
      const marker = new URL(link.href, 'http://placeholder/').searchParams.get('marker');
      if (marker !== null && marker !== '') return marker;
    }
  }
  return undefined;
}

/** The compute API of one cloud. */
export class NovaComputeApi implements ComputeApi {
  readonly versions: { readonly min: string; readonly max: string };
  readonly servicesMicroversion: string;
  readonly evacuateMicroversion: string;
  readonly serversMicroversion: string;
  readonly migrationsMicroversion: string;
  readonly #flavorsMicroversion: string;
  readonly #http: OpenStackHttp;
  readonly #endpoint: string;
  readonly #serviceUpdateAnswerMs: number;
  readonly clock = new MeasuredNovaClock();

  constructor(options: NovaComputeApiOptions) {
    this.#http = options.http;
    this.#endpoint = options.endpoint.replace(/\/+$/, '');
    this.versions = { min: options.range.min, max: options.range.max };
    this.servicesMicroversion = options.microversions.services;
    this.evacuateMicroversion = options.microversions.evacuate;
    this.serversMicroversion = options.microversions.servers;
    this.migrationsMicroversion = options.microversions.migrations;
    this.#flavorsMicroversion = options.microversions.flavors;
    this.#serviceUpdateAnswerMs = options.serviceUpdateAnswerMs ?? SERVICE_UPDATE_ANSWER_MS;
  }

  get #byUuid(): boolean {
    return compareMicroversions(this.servicesMicroversion, '2.53') >= 0;
  }

  #url(path: string): string {
    return `${this.#endpoint}${path}`;
  }

  /** Every Nova request: measures Nova's clock on the way. */
  async #request(spec: RequestSpec): Promise<ApiResponse> {
    const sentAt = Date.now();
    const response = await this.#http.request(spec);
    this.clock.observe(response.headers.date, sentAt, Date.now());
    return response;
  }

  async listServices(
    filter: { readonly host?: string; readonly binary?: string } = {},
    options?: CallOptions,
  ): Promise<ComputeService[]> {
    const response = await this.#request({
      service: 'nova',
      method: 'GET',
      url: this.#url('/os-services'),
      query: { host: filter.host, binary: filter.binary },
      microversion: this.servicesMicroversion,
      ...signalOf(options),
    });
    const body = parseJson<{ services?: Json[] }>(response, 'os-services');
    // the query filters are exact matches in Nova; filter again in case a proxy or an old Nova ignored them
    return (body.services ?? [])
      .map(toComputeService)
      .filter(
        (svc) =>
          (filter.host === undefined || svc.host === filter.host) &&
          (filter.binary === undefined || svc.binary === filter.binary),
      );
  }

  async findComputeService(host: string, options?: CallOptions): Promise<ComputeService> {
    const found = await this.listServices({ host, binary: 'nova-compute' }, options);
    const first = found[0];
    if (first !== undefined) return first;
    // as operators type it: cmp-07 for cmp-07.example.net and back (src/validation/host-names.ts)
    const all = await this.listServices({ binary: 'nova-compute' }, options);
    const hosts = all.map((svc) => svc.host).sort();
    const match = matchHostName(host, hosts);
    if (match.kind === 'found') return all.find((svc) => svc.host === match.name)!;
    if (match.kind === 'ambiguous') {
      throw invalidInput(
        'NOVA_AMBIGUOUS_HOST',
        `"${host}" matches more than one nova-compute host in Nova: ${match.candidates.join(', ')}`,
        'give the service host name exactly as `forcedown services` lists it',
        { host, candidates: match.candidates },
      );
    }
    throw invalidInput(
      'NOVA_UNKNOWN_HOST',
      `Nova has no nova-compute service on host "${host}"; compute hosts: ${hosts.length ? hosts.join(', ') : 'none'}`,
      'use the service host name exactly as `forcedown services` lists it (not the hypervisor hostname or an IP)',
      { host, known: hosts },
    );
  }

  async #serviceId(service: ComputeService, options?: CallOptions): Promise<string> {
    if (UUID.test(service.id)) return service.id;
    // an integer id (listed below 2.53): look the UUID up by host and binary
    const found = (await this.listServices({ host: service.host, binary: service.binary }, options))[0];
    if (found === undefined || !UUID.test(found.id)) {
      throw invalidInput(
        'NOVA_UNKNOWN_SERVICE',
        `no ${service.binary} service on host ${service.host}`,
        'list the services again (`forcedown services`); the service may have been deleted',
        { host: service.host },
      );
    }
    return found.id;
  }

  async #update253(service: ComputeService, body: Json, options?: CallOptions): Promise<ComputeService> {
    const id = await this.#serviceId(service, options);
    const response = await this.#servicesPut(service, body, options, {
      service: 'nova',
      method: 'PUT',
      url: this.#url(`/os-services/${encodeURIComponent(id)}`),
      body,
      answerLimitMs: this.#serviceUpdateAnswerMs,
      microversion: this.servicesMicroversion,
      // setting the same fields twice has the same effect: safe to retry
      idempotent: true,
      ...signalOf(options),
    });
    const parsed = parseJson<{ service?: Json }>(response, 'os-services update');
    if (parsed.service === undefined || parsed.service.state === undefined) return this.#reread(service, options);
    return toComputeService(parsed.service);
  }

  async #updateLegacy(
    service: ComputeService,
    action: string,
    body: Json,
    options?: CallOptions,
  ): Promise<ComputeService> {
    const expected =
      action === 'enable' ? { status: 'enabled' } : action === 'force-down' ? body : { status: 'disabled', ...body };
    await this.#servicesPut(service, expected, options, {
      service: 'nova',
      method: 'PUT',
      url: this.#url(`/os-services/${action}`),
      body: { host: service.host, binary: service.binary, ...body },
      answerLimitMs: this.#serviceUpdateAnswerMs,
      microversion: this.servicesMicroversion,
      idempotent: true,
      ...signalOf(options),
    });
    // the 2.11 answer is partial ({host, binary, forced_down}): read the whole record back
    return this.#reread(service, options);
  }

  /**
   * An os-services PUT; when Nova's answer times out, the service is read back: the update may
   * have been made (Nova answers only after its RPC to the compute gives up), so it counts as
   * made when the record shows every field of `body`; otherwise the timeout stands.
   */
  async #servicesPut(
    service: ComputeService,
    body: Json,
    options: CallOptions | undefined,
    spec: RequestSpec,
  ): Promise<ApiResponse> {
    try {
      return await this.#request(spec);
    } catch (error) {
      if (!(error instanceof OpenStackConnectionError) || error.code !== 'OPENSTACK_TIMEOUT') throw error;
      if (!showsUpdate(await this.#reread(service, options), body)) throw error;
      // made after all: an answer without a service record makes the caller read it back
      return { status: 200, headers: {}, body: '{}', requestId: undefined };
    }
  }

  async #reread(service: ComputeService, options?: CallOptions): Promise<ComputeService> {
    const found = (await this.listServices({ host: service.host, binary: service.binary }, options))[0];
    if (found === undefined) {
      throw operationFailed(
        'NOVA_SERVICE_VANISHED',
        `the ${service.binary} service of ${service.host} is no longer listed after the update`,
        'list the services (`forcedown services`) and check whether someone deleted it',
        { host: service.host },
      );
    }
    return found;
  }

  setForcedDown(service: ComputeService, forcedDown: boolean, options?: CallOptions): Promise<ComputeService> {
    return this.#byUuid
      ? this.#update253(service, { forced_down: forcedDown }, options)
      : this.#updateLegacy(service, 'force-down', { forced_down: forcedDown }, options);
  }

  disableService(service: ComputeService, reason: string, options?: CallOptions): Promise<ComputeService> {
    return this.#byUuid
      ? this.#update253(service, { status: 'disabled', disabled_reason: reason }, options)
      : this.#updateLegacy(service, 'disable-log-reason', { disabled_reason: reason }, options);
  }

  enableService(service: ComputeService, options?: CallOptions): Promise<ComputeService> {
    return this.#byUuid
      ? this.#update253(service, { status: 'enabled' }, options)
      : this.#updateLegacy(service, 'enable', {}, options);
  }

  async listServersOnHost(host: string, options?: CallOptions & { readonly pageSize?: number }): Promise<Server[]> {
    const servers = await this.#listServers({ host }, `on ${host}`, options);
    return servers.filter((server) => server.host === host);
  }

  async listServersChangedSince(
    since: string,
    options?: CallOptions & { readonly host?: string; readonly pageSize?: number },
  ): Promise<Server[]> {
    const servers = await this.#listServers(
      { 'changes-since': since, host: options?.host },
      `changed since ${since}`,
      options,
    );
    return options?.host === undefined ? servers : servers.filter((server) => server.host === options.host);
  }

  /** GET /servers/detail?all_tenants=1 with filters, every page (servers_links next → marker). */
  async #listServers(
    filters: Readonly<Record<string, string | undefined>>,
    what: string,
    options?: CallOptions & { readonly pageSize?: number },
  ): Promise<Server[]> {
    const pageSize = options?.pageSize ?? DEFAULT_SERVERS_PAGE_SIZE;
    const servers = new Map<string, Server>();
    const seenMarkers = new Set<string>();
    let marker: string | undefined;
    for (;;) {
      const response = await this.#request({
        service: 'nova',
        method: 'GET',
        url: this.#url('/servers/detail'),
        query: { all_tenants: 1, ...filters, limit: pageSize, marker },
        microversion: this.serversMicroversion,
        ...signalOf(options),
      });
      const body = parseJson<{ servers?: Json[]; servers_links?: unknown }>(response, 'servers/detail');
      const page = body.servers ?? [];
      for (const raw of page) {
        if (!('OS-EXT-SRV-ATTR:host' in raw)) {
          // without the admin-only host field Nova also ignored the host filter: the list would be
          // this project's servers on every host
          throw authFailed(
            'NOVA_HOST_FILTER_IGNORED',
            `Nova did not return the host of the servers: this user may not list servers by host (listing servers ${what})`,
            'use a cloud entry with an admin user (os_compute_api:servers:detail:get_all_tenants and os-extended-server-attributes)',
            { filters },
          );
        }
        const server = toServer(raw);
        servers.set(server.id, server);
      }
      const next = nextMarker(body.servers_links);
      if (next === undefined || page.length === 0) break;
      if (seenMarkers.has(next)) {
        throw operationFailed(
          'NOVA_PAGINATION_LOOP',
          `Nova returned the same page marker ${next} twice while listing servers ${what}`,
          'retry; if it persists, report it with the request ids of the nova-api log',
          { marker: next },
        );
      }
      seenMarkers.add(next);
      marker = next;
    }
    return [...servers.values()];
  }

  async getServer(id: string, options?: CallOptions): Promise<Server> {
    const response = await this.#request({
      service: 'nova',
      method: 'GET',
      url: this.#url(`/servers/${encodeURIComponent(id)}`),
      microversion: this.serversMicroversion,
      ...signalOf(options),
    });
    const body = parseJson<{ server?: Json }>(response, 'server');
    return toServer(body.server ?? {});
  }

  async #action(serverId: string, body: Json, microversion: string, options?: CallOptions): Promise<ApiResponse> {
    return this.#request({
      service: 'nova',
      method: 'POST',
      url: this.#url(`/servers/${encodeURIComponent(serverId)}/action`),
      body,
      microversion,
      // server actions are never retried: a lost answer may hide an accepted action
      idempotent: false,
      ...signalOf(options),
    });
  }

  async evacuate(
    serverId: string,
    options?: CallOptions & { readonly targetHost?: string; readonly onSharedStorage?: boolean },
  ): Promise<void> {
    await this.#action(
      serverId,
      evacuateBody(this.evacuateMicroversion, options?.targetHost, options?.onSharedStorage ?? false),
      this.evacuateMicroversion,
      options,
    );
  }

  async resetState(serverId: string, state: 'active' | 'error', options?: CallOptions): Promise<void> {
    await this.#action(serverId, { 'os-resetState': { state } }, this.serversMicroversion, options);
  }

  async stopServer(serverId: string, options?: CallOptions): Promise<void> {
    await this.#action(serverId, { 'os-stop': null }, this.serversMicroversion, options);
  }

  async startServer(serverId: string, options?: CallOptions): Promise<void> {
    await this.#action(serverId, { 'os-start': null }, this.serversMicroversion, options);
  }

  async lockServer(serverId: string, options?: CallOptions & { readonly reason?: string }): Promise<void> {
    const reason = options?.reason;
    // from 2.73; Nova's schema: locked_reason of 1 to 255 characters
    const withReason =
      reason !== undefined && reason !== '' && compareMicroversions(this.serversMicroversion, '2.73') >= 0;
    const body = withReason ? { lock: { locked_reason: reason.slice(0, 255) } } : { lock: null };
    await this.#action(serverId, body, this.serversMicroversion, options);
  }

  async unlockServer(serverId: string, options?: CallOptions): Promise<void> {
    await this.#action(serverId, { unlock: null }, this.serversMicroversion, options);
  }

  async pauseServer(serverId: string, options?: CallOptions): Promise<void> {
    await this.#action(serverId, { pause: null }, this.serversMicroversion, options);
  }

  async suspendServer(serverId: string, options?: CallOptions): Promise<void> {
    await this.#action(serverId, { suspend: null }, this.serversMicroversion, options);
  }

  async listMigrations(filter: MigrationFilter, options?: CallOptions): Promise<Migration[]> {
    const paged = compareMicroversions(this.migrationsMicroversion, '2.59') >= 0;
    const out: Migration[] = [];
    const seenMarkers = new Set<string>();
    let marker: string | undefined;
    for (;;) {
      const response = await this.#request({
        service: 'nova',
        method: 'GET',
        url: this.#url('/os-migrations'),
        query: {
          instance_uuid: filter.instanceUuid,
          source_compute: filter.sourceCompute,
          migration_type: filter.migrationType,
          status: filter.status,
          'changes-since': filter.changesSince,
          marker,
        },
        microversion: this.migrationsMicroversion,
        ...signalOf(options),
      });
      const body = parseJson<{ migrations?: Json[]; migrations_links?: unknown }>(response, 'os-migrations');
      const page = (body.migrations ?? []).map(toMigration);
      out.push(...page);
      const next = paged ? nextMarker(body.migrations_links) : undefined;
      if (next === undefined || page.length === 0 || seenMarkers.has(next)) break;
      seenMarkers.add(next);
      marker = next;
    }
    // re-apply the filters (older microversions ignore some of them)
    return out.filter(
      (m) =>
        (filter.instanceUuid === undefined || m.instanceUuid === filter.instanceUuid) &&
        (filter.sourceCompute === undefined || m.sourceCompute === filter.sourceCompute) &&
        (filter.migrationType === undefined || m.migrationType === '' || m.migrationType === filter.migrationType) &&
        (filter.status === undefined || m.status === filter.status),
    );
  }

  async getFlavor(id: string, options?: CallOptions): Promise<FlavorInfo> {
    const url = this.#url(`/flavors/${encodeURIComponent(id)}`);
    const response = await this.#request({
      service: 'nova',
      method: 'GET',
      url,
      microversion: this.#flavorsMicroversion,
      ...signalOf(options),
    });
    const flavor = parseJson<{ flavor?: Json }>(response, 'flavor').flavor ?? {};
    if (
      compareMicroversions(this.#flavorsMicroversion, '2.61') >= 0 &&
      typeof flavor.extra_specs === 'object' &&
      flavor.extra_specs !== null
    )
      return toFlavor(flavor);
    const specs = await this.#request({
      service: 'nova',
      method: 'GET',
      url: `${url}/os-extra_specs`,
      microversion: this.#flavorsMicroversion,
      ...signalOf(options),
    });
    const extra = parseJson<{ extra_specs?: Record<string, string> }>(specs, 'flavor extra specs').extra_specs ?? {};
    return toFlavor(flavor, extra);
  }
}
