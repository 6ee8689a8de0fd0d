/** Nova (compute API v2.1) and Glance image GET of the double, following api-transcript.md. */
import { randomBytes } from 'node:crypto';
import {
  additionalProperties,
  mvAtLeast,
  novaFault,
  novaTime,
  policyForbidden,
  type DoubleRequest,
  type DoubleResponse,
} from './http-kit.js';
import { lockServer, powerTransition, unlockServer } from './server-actions.js';
import type { CloudState, MigrationRecord, ServerRecord, ServiceRecord, TokenRecord } from './state.js';

/** A failure Nova's conductor or the destination compute meets while evacuating (see evacuate()). */
export interface EvacuationFault {
  /**
   * `placement-conflict`: the conductor's claim fails with a consumer generation conflict
   * (AllocationUpdateFailed); `no-valid-host`: the scheduler finds none (NoValidHost); both set
   * the migration to `error` and the server to ERROR on its old host. `rebuild-failed`: the
   * destination compute fails the rebuild: migration `failed`, server ERROR, still on its old host.
   */
  readonly kind: 'placement-conflict' | 'no-valid-host' | 'rebuild-failed';
  remaining: number;
  /** Only these servers; @defaultValue any */
  readonly serverIds?: ReadonlySet<string>;
}

/** Nova's tunables and the double's clock. */
export interface NovaContext {
  readonly state: CloudState;
  readonly now: () => number;
  readonly baseUrl: () => string;
  minVersion: string;
  maxVersion: string;
  readonly maxLimit: number;
  serviceDownTimeMs: number;
  /** `report_interval`: a live compute's `updated_at` advances in steps of this. */
  readonly reportIntervalMs: number;
  /** A fixed rebuild time, or a range each evacuation draws from. */
  rebuildDelayMs: number | { readonly min: number; readonly max: number };
  /** Counts evacuations accepted while one was in flight for the same server. */
  doubleEvacuations: number;
  readonly timers: Set<NodeJS.Timeout>;
  /** Failures injected into coming evacuations (the first matching one is used). */
  readonly evacuationFaults: EvacuationFault[];
  /**
   * Placement contention: an evacuation that reaches its claim while more than this many are in
   * flight fails with a consumer generation conflict, with probability (n - limit) / n.
   */
  claimConflictAbove: number | undefined;
  /** Evacuations accepted and not yet ended. */
  evacuationsInFlight: number;
  /** Time from pause/suspend/... to the compute carrying it out. */
  readonly castDelayMs: number;
}

type Json = Record<string, unknown>;
const obj = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
/** A request field as Nova echoes it: a string as it is, anything else as JSON. */
const shown = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
const isAdmin = (token: TokenRecord): boolean => token.roles.includes('admin');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** up = not forced down and (heartbeating, or last heartbeat within service_down_time). */
export function serviceIsUp(ctx: NovaContext, svc: ServiceRecord): boolean {
  if (svc.forcedDown) return false;
  if (svc.alive) return true;
  return ctx.now() - svc.lastHeartbeat <= ctx.serviceDownTimeMs;
}

function serviceUpdatedAt(ctx: NovaContext, svc: ServiceRecord): number {
  // a running service reports every report_interval (10 s)
  return svc.alive
    ? Math.max(svc.updatedAt, Math.floor(ctx.now() / ctx.reportIntervalMs) * ctx.reportIntervalMs)
    : Math.max(svc.updatedAt, svc.lastHeartbeat);
}

function serviceView(ctx: NovaContext, svc: ServiceRecord, version: string): Json {
  const view: Json = {
    binary: svc.binary,
    host: svc.host,
    id: mvAtLeast(version, '2.53') ? svc.uuid : svc.intId,
    zone: svc.zone,
    status: svc.disabled ? 'disabled' : 'enabled',
    state: serviceIsUp(ctx, svc) ? 'up' : 'down',
    updated_at: novaTime(serviceUpdatedAt(ctx, svc)),
    disabled_reason: svc.disabledReason,
  };
  if (mvAtLeast(version, '2.11')) view.forced_down = svc.forcedDown;
  return view;
}

const STATUS: Readonly<Record<string, string>> = {
  active: 'ACTIVE',
  stopped: 'SHUTOFF',
  error: 'ERROR',
  paused: 'PAUSED',
  suspended: 'SUSPENDED',
  building: 'BUILD',
  rescued: 'RESCUE',
  resized: 'VERIFY_RESIZE',
  shelved: 'SHELVED',
  shelved_offloaded: 'SHELVED_OFFLOADED',
};

function serverStatus(server: ServerRecord): string {
  if (server.taskState !== null && server.taskState.startsWith('rebuild') && server.vmState !== 'error')
    return 'REBUILD';
  return STATUS[server.vmState] ?? server.vmState.toUpperCase();
}

function serverView(ctx: NovaContext, server: ServerRecord, version: string, admin: boolean): Json {
  const flavor = ctx.state.flavors.get(server.flavorId);
  const base = ctx.baseUrl();
  const view: Json = {
    id: server.id,
    name: server.name,
    status: serverStatus(server),
    tenant_id: server.projectId,
    user_id: server.userId,
    metadata: server.metadata,
    hostId: server.host === null ? '' : Buffer.from(`${server.host}:${server.projectId}`).toString('hex').slice(0, 56),
    image:
      server.imageId === null
        ? ''
        : { id: server.imageId, links: [{ rel: 'bookmark', href: `${base}/images/${server.imageId}` }] },
    flavor: mvAtLeast(version, '2.47')
      ? {
          vcpus: flavor?.vcpus ?? 1,
          ram: flavor?.ram ?? 512,
          disk: flavor?.disk ?? 1,
          ephemeral: 0,
          swap: 0,
          original_name: flavor?.name ?? server.flavorId,
          extra_specs: flavor?.extraSpecs ?? {},
        }
      : { id: server.flavorId, links: [{ rel: 'bookmark', href: `${base}/flavors/${server.flavorId}` }] },
    created: novaTime(server.createdAt).slice(0, 19) + 'Z',
    updated: novaTime(server.updatedAt).slice(0, 19) + 'Z',
    addresses: {},
    links: [{ rel: 'self', href: `${base}/v2.1/servers/${server.id}` }],
    'OS-EXT-STS:vm_state': server.vmState,
    'OS-EXT-STS:task_state': server.taskState,
    'OS-EXT-STS:power_state': server.vmState === 'active' ? 1 : 4,
    'OS-EXT-AZ:availability_zone': 'nova',
  };
  if (admin) {
    view['OS-EXT-SRV-ATTR:host'] = server.host;
    view['OS-EXT-SRV-ATTR:hypervisor_hostname'] = server.host;
    view['OS-EXT-SRV-ATTR:instance_name'] = `instance-${server.seq.toString(16).padStart(8, '0')}`;
    if (mvAtLeast(version, '2.16')) {
      const svc = server.host === null ? undefined : ctx.state.computeService(server.host);
      view.host_status =
        svc === undefined
          ? ''
          : svc.forcedDown
            ? 'DOWN'
            : svc.disabled
              ? 'MAINTENANCE'
              : serviceIsUp(ctx, svc)
                ? 'UP'
                : 'UNKNOWN';
    }
  }
  if (server.vmState === 'error' && server.fault !== undefined) {
    view.fault = {
      code: server.fault.code,
      created: novaTime(server.fault.created).slice(0, 19) + 'Z',
      message: server.fault.message,
      ...(admin ? { details: '' } : {}),
    };
  }
  if (mvAtLeast(version, '2.9')) view.locked = server.locked;
  if (mvAtLeast(version, '2.26')) view.tags = server.tags;
  if (mvAtLeast(version, '2.73')) view.locked_reason = server.lockedReason;
  return view;
}

const wholeSeconds = (ms: number): number => Math.floor(ms / 1000) * 1000;

function migrationView(m: MigrationRecord, version: string): Json {
  const view: Json = {
    id: m.id,
    instance_uuid: m.instanceUuid,
    status: m.status,
    source_compute: m.sourceCompute,
    source_node: m.sourceCompute,
    dest_compute: m.destCompute,
    dest_node: m.destCompute,
    dest_host: m.destCompute === null ? null : '192.168.0.1',
    old_instance_type_id: 1,
    new_instance_type_id: 1,
    // MySQL DATETIME columns: whole seconds (created_at "2026-11-25T11:03:17.000000")
    created_at: novaTime(wholeSeconds(m.createdAt)),
    updated_at: m.updatedAt === null ? null : novaTime(wholeSeconds(m.updatedAt)),
  };
  if (mvAtLeast(version, '2.23')) view.migration_type = m.migrationType;
  if (mvAtLeast(version, '2.59')) view.uuid = m.uuid;
  if (mvAtLeast(version, '2.80')) {
    view.project_id = m.projectId;
    view.user_id = m.userId;
  }
  return view;
}

/** Routes a compute request (path relative to /v2.1). */
export function handleNova(
  ctx: NovaContext,
  req: DoubleRequest,
  rel: string,
  version: string,
  token: TokenRecord,
): DoubleResponse {
  const parts = rel.split('/').filter((p) => p !== '');
  const [first, second, third] = parts;
  if (first === 'os-services') {
    if (req.method === 'GET' && parts.length === 1) return listServices(ctx, req, version, token);
    if (req.method === 'PUT' && parts.length === 2 && second !== undefined)
      return updateService(ctx, req, version, token, decodeURIComponent(second));
  }
  if (first === 'servers') {
    if (req.method === 'GET' && second === 'detail' && parts.length === 2) return listServers(ctx, req, version, token);
    if (req.method === 'GET' && second !== undefined && parts.length === 2)
      return showServer(ctx, version, token, second);
    if (req.method === 'POST' && second !== undefined && third === 'action' && parts.length === 3)
      return serverAction(ctx, req, version, token, second);
  }
  if (first === 'os-migrations' && req.method === 'GET' && parts.length === 1)
    return listMigrations(ctx, req, version, token);
  if (first === 'flavors' && req.method === 'GET' && second !== undefined) {
    const flavor = ctx.state.flavors.get(second);
    if (flavor === undefined) return novaFault(404, `Flavor ${second} could not be found.`);
    if (parts.length === 3 && third === 'os-extra_specs')
      return { status: 200, body: { extra_specs: flavor.extraSpecs } };
    if (parts.length === 2) {
      return {
        status: 200,
        body: {
          flavor: {
            id: flavor.id,
            name: flavor.name,
            vcpus: flavor.vcpus,
            ram: flavor.ram,
            disk: flavor.disk,
            'OS-FLV-EXT-DATA:ephemeral': 0,
            swap: 0,
            'os-flavor-access:is_public': true,
            ...(mvAtLeast(version, '2.55') ? { description: null } : {}),
            ...(mvAtLeast(version, '2.61') ? { extra_specs: flavor.extraSpecs } : {}),
          },
        },
      };
    }
  }
  return novaFault(404, 'The resource could not be found.');
}

function listServices(ctx: NovaContext, req: DoubleRequest, version: string, token: TokenRecord): DoubleResponse {
  if (!isAdmin(token)) return policyForbidden('os_compute_api:os-services:list');
  const host = req.url.searchParams.get('host');
  const binary = req.url.searchParams.get('binary');
  const services = ctx.state.services.filter(
    (s) => (host === null || s.host === host) && (binary === null || s.binary === binary),
  );
  return { status: 200, body: { services: services.map((s) => serviceView(ctx, s, version)) } };
}

const DONE_RECORDS = (host: string): string =>
  `Unable to force up host ${host} as \`done\` evacuation migration records remain associated with the host. Ensure the compute service has been restarted, allowing these records to move to \`completed\` before retrying this request.`;

function doneEvacuationsRemain(ctx: NovaContext, host: string): boolean {
  for (const m of ctx.state.migrations.values()) {
    if (m.sourceCompute === host && m.migrationType === 'evacuation' && m.status === 'done') return true;
  }
  return false;
}

function updateService(
  ctx: NovaContext,
  req: DoubleRequest,
  version: string,
  token: TokenRecord,
  idOrAction: string,
): DoubleResponse {
  if (!isAdmin(token)) return policyForbidden('os_compute_api:os-services:update');
  const body = obj(req.body);
  const now = ctx.now();
  if (mvAtLeast(version, '2.53')) {
    const extra = Object.keys(body).filter((k) => !['status', 'disabled_reason', 'forced_down'].includes(k));
    if (extra.length > 0) return novaFault(400, additionalProperties(extra));
    if (body.status !== undefined && body.status !== 'enabled' && body.status !== 'disabled') {
      return novaFault(
        400,
        `Invalid input for field/attribute status. Value: ${shown(body.status)}. '${shown(body.status)}' is not one of ['enabled', 'disabled']`,
      );
    }
    if (body.forced_down !== undefined && typeof body.forced_down !== 'boolean')
      return novaFault(
        400,
        `Invalid input for field/attribute forced_down. Value: ${shown(body.forced_down)}. ${JSON.stringify(body.forced_down)} is not of type 'boolean'`,
      );
    if (!UUID.test(idOrAction)) return novaFault(400, `Invalid uuid ${idOrAction}`);
    const svc = ctx.state.services.find((s) => s.uuid === idOrAction);
    if (svc === undefined) return novaFault(404, `Service ${idOrAction} could not be found.`);
    if (svc.binary !== 'nova-compute')
      return novaFault(
        400,
        `Updating a ${svc.binary} service is not supported. Only nova-compute services can be updated.`,
      );
    if (body.status === 'enabled' && body.disabled_reason !== undefined)
      return novaFault(400, "Specifying 'disabled_reason' with status 'enabled' is invalid.");
    if (body.status === undefined && body.forced_down === undefined)
      return novaFault(400, "No updates were requested. Fields 'status' or 'forced_down' should be specified.");
    if (body.forced_down === false && doneEvacuationsRemain(ctx, svc.host))
      return novaFault(400, DONE_RECORDS(svc.host));
    if (body.status === 'disabled') {
      svc.disabled = true;
      svc.disabledReason = typeof body.disabled_reason === 'string' ? body.disabled_reason : null;
    } else if (body.status === 'enabled') {
      svc.disabled = false;
      svc.disabledReason = null;
    }
    if (typeof body.forced_down === 'boolean') svc.forcedDown = body.forced_down;
    svc.updatedAt = now;
    return { status: 200, body: { service: serviceView(ctx, svc, version) } };
  }
  // 2.1-2.52: PUT /os-services/{action} with host + binary
  const allowed = mvAtLeast(version, '2.11')
    ? ['host', 'binary', 'disabled_reason', 'forced_down']
    : ['host', 'binary', 'disabled_reason'];
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length > 0) return novaFault(400, additionalProperties(extra));
  if (body.host === undefined) return novaFault(400, "'host' is a required property");
  if (body.binary === undefined) return novaFault(400, "'binary' is a required property");
  const actions = mvAtLeast(version, '2.11')
    ? ['enable', 'disable', 'disable-log-reason', 'force-down']
    : ['enable', 'disable', 'disable-log-reason'];
  if (!actions.includes(idOrAction)) return novaFault(404, 'Unknown action');
  const host = shown(body.host);
  const binary = shown(body.binary);
  if (!ctx.state.services.some((s) => s.host === host))
    return novaFault(404, `Host '${host}' is not mapped to any cell`);
  const svc = ctx.state.services.find((s) => s.host === host && s.binary === binary);
  if (svc === undefined) return novaFault(404, `Could not find binary ${binary} on host ${host}.`);
  if (svc.binary !== 'nova-compute')
    return novaFault(
      400,
      `Updating a ${svc.binary} service is not supported. Only nova-compute services can be updated.`,
    );
  svc.updatedAt = now;
  switch (idOrAction) {
    case 'enable':
      svc.disabled = false;
      svc.disabledReason = null;
      return { status: 200, body: { service: { host, binary, status: 'enabled' } } };
    case 'disable':
      svc.disabled = true;
      return { status: 200, body: { service: { host, binary, status: 'disabled' } } };
    case 'disable-log-reason':
      if (typeof body.disabled_reason !== 'string') return novaFault(400, 'Missing disabled reason field');
      svc.disabled = true;
      svc.disabledReason = body.disabled_reason;
      return {
        status: 200,
        body: { service: { host, binary, status: 'disabled', disabled_reason: body.disabled_reason } },
      };
    default:
      if (typeof body.forced_down !== 'boolean') return novaFault(400, 'Missing forced_down field');
      if (!body.forced_down && doneEvacuationsRemain(ctx, host)) return novaFault(400, DONE_RECORDS(host));
      svc.forcedDown = body.forced_down;
      return { status: 200, body: { service: { host, binary, forced_down: body.forced_down } } };
  }
}

function listServers(ctx: NovaContext, req: DoubleRequest, version: string, token: TokenRecord): DoubleResponse {
  const q = req.url.searchParams;
  const admin = isAdmin(token);
  const allTenants = q.has('all_tenants') && !['0', 'false', 'False'].includes(q.get('all_tenants') ?? '');
  if (allTenants && !admin) return policyForbidden('os_compute_api:servers:detail:get_all_tenants');
  // host is an admin-only filter: Nova silently drops it for everyone else
  const host = admin ? q.get('host') : null;
  const limitParam = q.get('limit');
  let limit = ctx.maxLimit;
  if (limitParam !== null) {
    const n = Number(limitParam);
    if (!Number.isInteger(n) || n < 0)
      return novaFault(400, `Invalid input for field/attribute limit. Value: ${limitParam}.`);
    limit = Math.min(n, ctx.maxLimit);
  }
  let candidates: ServerRecord[];
  if (host !== null) {
    candidates = [...(ctx.state.serversByHost.get(host) ?? [])]
      .map((id) => ctx.state.servers.get(id))
      .filter((s): s is ServerRecord => s !== undefined);
  } else {
    candidates = [...ctx.state.servers.values()];
  }
  if (!allTenants) candidates = candidates.filter((s) => s.projectId === token.projectId);
  const since = q.get('changes-since');
  if (since !== null) {
    const sinceMs = Date.parse(/[zZ]$|[+-]\d\d:?\d\d$/.test(since) ? since : `${since}Z`);
    if (Number.isNaN(sinceMs))
      return novaFault(
        400,
        `Invalid input for query parameters changes-since. Value: ${since}. '${since}' is not a 'date-time'`,
      );
    candidates = candidates.filter((s) => s.updatedAt >= sinceMs);
  }
  candidates.sort((a, b) => b.seq - a.seq);
  const marker = q.get('marker');
  let start = 0;
  if (marker !== null) {
    const markerServer = ctx.state.servers.get(marker);
    if (markerServer === undefined) return novaFault(400, `marker [${marker}] not found`);
    start = candidates.findIndex((s) => s.seq < markerServer.seq);
    if (start < 0) start = candidates.length;
  }
  const page = candidates.slice(start, start + limit);
  const body: Json = { servers: page.map((s) => serverView(ctx, s, version, admin)) };
  const last = page[page.length - 1];
  if (last !== undefined && page.length === limit) {
    const next = new URL(`${ctx.baseUrl()}/v2.1/servers/detail`);
    for (const [k, v] of q) if (k !== 'marker') next.searchParams.set(k, v);
    next.searchParams.set('limit', String(limit));
    next.searchParams.set('marker', last.id);
    body.servers_links = [{ rel: 'next', href: next.toString() }];
  }
  return { status: 200, body };
}

function visibleServer(ctx: NovaContext, token: TokenRecord, id: string): ServerRecord | undefined {
  const server = ctx.state.servers.get(id);
  if (server === undefined) return undefined;
  if (!isAdmin(token) && server.projectId !== token.projectId) return undefined;
  return server;
}

function showServer(ctx: NovaContext, version: string, token: TokenRecord, id: string): DoubleResponse {
  const server = visibleServer(ctx, token, id);
  if (server === undefined) return novaFault(404, `Instance ${id} could not be found.`);
  return { status: 200, body: { server: serverView(ctx, server, version, isAdmin(token)) } };
}

function serverAction(
  ctx: NovaContext,
  req: DoubleRequest,
  version: string,
  token: TokenRecord,
  id: string,
): DoubleResponse {
  const body = obj(req.body);
  const [action] = Object.keys(body);
  const server = visibleServer(ctx, token, id);
  if (server === undefined) return novaFault(404, `Instance ${id} could not be found.`);
  const now = ctx.now();
  switch (action) {
    case 'evacuate':
      return evacuate(ctx, server, obj(body.evacuate), version, token);
    case 'os-resetState': {
      if (!isAdmin(token)) return policyForbidden('os_compute_api:os-admin-actions:reset_state');
      const state = obj(body['os-resetState']).state;
      if (state !== 'active' && state !== 'error')
        return novaFault(
          400,
          `Invalid input for field/attribute state. Value: ${String(state)}. '${String(state)}' is not one of ['active', 'error']`,
        );
      server.vmState = state;
      server.taskState = null;
      server.updatedAt = now;
      return { status: 202 };
    }
    case 'os-stop':
      if (server.vmState !== 'active' && server.vmState !== 'error')
        return novaFault(409, `Cannot 'stop' instance ${server.id} while it is in vm_state ${server.vmState}`);
      if (server.taskState !== null)
        return novaFault(409, `Cannot 'stop' instance ${server.id} while it is in task_state ${server.taskState}`);
      server.vmState = 'stopped';
      server.updatedAt = now;
      return { status: 202 };
    case 'lock':
      return lockServer(server, body.lock, version, token, now);
    case 'unlock':
      return unlockServer(server, token, now);
    case 'pause':
    case 'unpause':
    case 'suspend':
    case 'resume':
      return (
        powerTransition(
          {
            state: ctx.state,
            now: ctx.now,
            timers: ctx.timers,
            isUp: (host) => {
              const svc = ctx.state.computeService(host);
              return svc !== undefined && serviceIsUp(ctx, svc);
            },
          },
          server,
          action,
          ctx.castDelayMs,
        ) ?? novaFault(400, `There is no such action: ${action}`)
      );
    case 'os-start':
      if (server.vmState !== 'stopped')
        return novaFault(409, `Cannot 'start' instance ${server.id} while it is in vm_state ${server.vmState}`);
      if (server.taskState !== null)
        return novaFault(409, `Cannot 'start' instance ${server.id} while it is in task_state ${server.taskState}`);
      server.vmState = 'active';
      server.updatedAt = now;
      return { status: 202 };
    default:
      return novaFault(400, `There is no such action: ${String(action)}`);
  }
}

function evacuateKeys(version: string): string[] {
  if (!mvAtLeast(version, '2.14')) return ['host', 'adminPass', 'onSharedStorage'];
  if (mvAtLeast(version, '2.29') && !mvAtLeast(version, '2.68')) return ['host', 'adminPass', 'force'];
  return ['host', 'adminPass'];
}

function evacuate(
  ctx: NovaContext,
  server: ServerRecord,
  body: Json,
  version: string,
  token: TokenRecord,
): DoubleResponse {
  if (!isAdmin(token)) return policyForbidden('os_compute_api:os-evacuate');
  const extra = Object.keys(body).filter((k) => !evacuateKeys(version).includes(k));
  if (extra.length > 0)
    return novaFault(
      400,
      `Invalid input for field/attribute evacuate. Value: ${JSON.stringify(body)}. ${additionalProperties(extra)}`,
    );
  if (!mvAtLeast(version, '2.14') && body.onSharedStorage === undefined) {
    return novaFault(
      400,
      `Invalid input for field/attribute evacuate. Value: ${JSON.stringify(body)}. 'onSharedStorage' is a required property`,
    );
  }
  const target = typeof body.host === 'string' ? body.host : undefined;
  if (body.force === true && target === undefined) return novaFault(400, "Can't force to a non-provided destination");
  if (target !== undefined) {
    if (ctx.state.computeService(target) === undefined) return novaFault(404, `Compute host ${target} not found.`);
    if (target === server.host) return novaFault(400, "The target host can't be the same one.");
  }
  if (!['active', 'stopped', 'error'].includes(server.vmState))
    return novaFault(409, `Cannot 'evacuate' instance ${server.id} while it is in vm_state ${server.vmState}`);
  // check_instance_state(task_state=None); a rebuild's own task_state slips through (the REPORT's race)
  if (server.taskState !== null && !server.taskState.startsWith('rebuild'))
    return novaFault(409, `Cannot 'evacuate' instance ${server.id} while it is in task_state ${server.taskState}`);
  const source = server.host === null ? undefined : ctx.state.computeService(server.host);
  if (source !== undefined && serviceIsUp(ctx, source))
    return novaFault(400, `Compute service of ${source.host} is still in use.`);
  const now = ctx.now();
  const migration = ctx.state.addMigration(
    {
      instanceUuid: server.id,
      migrationType: 'evacuation',
      status: 'accepted',
      sourceCompute: server.host ?? '',
      destCompute: target ?? null,
      projectId: server.projectId,
      userId: server.userId,
    },
    now,
  );
  const inFlight = server.evacuation;
  if (inFlight !== undefined) {
    // Zed accepts a second evacuate of a server being rebuilt; the two rebuilds race and the
    // instance ends in ERROR with the first migration failed and the second stuck accepted
    ctx.doubleEvacuations += 1;
    ctx.evacuationsInFlight -= 1;
    for (const timer of inFlight.timers) {
      clearTimeout(timer);
      ctx.timers.delete(timer);
    }
    const first = ctx.state.migrations.get(inFlight.migrationId);
    if (first !== undefined) {
      first.status = 'failed';
      first.updatedAt = now;
    }
    delete server.evacuation;
    server.vmState = 'error';
    server.taskState = null;
    server.updatedAt = now;
    server.fault = {
      code: 500,
      message:
        'Conflict updating instance ' +
        server.id +
        ". Expected: {'task_state': ['rebuilding']}. Actual: {'task_state': None}",
      created: now,
    };
    return evacuateAccepted(version);
  }
  server.taskState = 'rebuilding';
  server.updatedAt = now;
  const timers: NodeJS.Timeout[] = [];
  const schedule = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      ctx.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    ctx.timers.add(timer);
    timers.push(timer);
  };
  server.evacuation = { migrationId: migration.id, timers, originalVmState: server.vmState, microversion: version };
  const sourceHost = server.host;
  const delay =
    typeof ctx.rebuildDelayMs === 'number'
      ? ctx.rebuildDelayMs
      : Math.round(ctx.rebuildDelayMs.min + Math.random() * (ctx.rebuildDelayMs.max - ctx.rebuildDelayMs.min));
  const half = Math.floor(delay / 2);
  const rest = delay - half;
  // the second phase is scheduled from the first, so the two can never run out of order
  ctx.evacuationsInFlight += 1;
  schedule(half, () => {
    const dest = target ?? pickDestination(ctx, sourceHost);
    const fault = injectedFault(ctx, server.id, 'conductor');
    if (dest === undefined || fault !== undefined) {
      // the conductor sets the migration to error and the instance to ERROR on its old host
      endEvacuation(ctx, server, migration, 'error', FAULT_MESSAGES[fault ?? 'no-valid-host'](server.id));
      return;
    }
    migration.status = 'pre-migrating';
    migration.destCompute = dest;
    migration.updatedAt = ctx.now();
    server.taskState = 'rebuild_spawning';
    server.updatedAt = ctx.now();
    schedule(rest, () => {
      if (injectedFault(ctx, server.id, 'compute') !== undefined) {
        endEvacuation(ctx, server, migration, 'failed', FAULT_MESSAGES['rebuild-failed'](server.id));
        return;
      }
      const original = server.evacuation?.originalVmState ?? server.vmState;
      ctx.evacuationsInFlight -= 1;
      ctx.state.moveServer(server, dest);
      migration.status = 'done';
      migration.updatedAt = ctx.now();
      server.taskState = null;
      server.vmState =
        original === 'error' ? 'active' : original === 'stopped' || mvAtLeast(version, '2.95') ? 'stopped' : 'active';
      server.updatedAt = ctx.now();
      delete server.evacuation;
    });
  });
  return evacuateAccepted(version);
}

const FAULT_MESSAGES: Readonly<Record<EvacuationFault['kind'], (id: string) => string>> = {
  // nova/scheduler/client/report.py and nova/exception.py (AllocationUpdateFailed), Zed
  'placement-conflict': (id) =>
    `Failed to update allocations for consumer ${id}. Error: another process changed the consumer ${id} after the report client read the consumer state during the claim `,
  'no-valid-host': () => 'No valid host was found. There are not enough hosts available.',
  'rebuild-failed': (id) => `Build of instance ${id} aborted: fake rebuild failure`,
};

/** The injected (or contention) fault an evacuation meets at this stage, if any (consumed). */
function injectedFault(
  ctx: NovaContext,
  serverId: string,
  stage: 'conductor' | 'compute',
): EvacuationFault['kind'] | undefined {
  const fault = ctx.evacuationFaults.find(
    (f) =>
      f.remaining > 0 &&
      (f.kind === 'rebuild-failed') === (stage === 'compute') &&
      (f.serverIds === undefined || f.serverIds.has(serverId)),
  );
  if (fault !== undefined) {
    fault.remaining -= 1;
    return fault.kind;
  }
  const limit = ctx.claimConflictAbove;
  const n = ctx.evacuationsInFlight;
  if (stage === 'conductor' && limit !== undefined && n > limit && Math.random() < (n - limit) / n)
    return 'placement-conflict';
  return undefined;
}

/** A failed evacuation: migration `error` (conductor) or `failed` (compute), server ERROR on its old host. */
function endEvacuation(
  ctx: NovaContext,
  server: ServerRecord,
  migration: MigrationRecord,
  status: 'error' | 'failed',
  message: string,
): void {
  ctx.evacuationsInFlight -= 1;
  migration.status = status;
  migration.updatedAt = ctx.now();
  server.vmState = 'error';
  server.taskState = null;
  server.updatedAt = ctx.now();
  server.fault = { code: 500, message, created: ctx.now() };
  delete server.evacuation;
}

function evacuateAccepted(version: string): DoubleResponse {
  return mvAtLeast(version, '2.14')
    ? { status: 200 }
    : { status: 200, body: { adminPass: randomBytes(9).toString('base64url') } };
}

/** The up, enabled compute with the fewest servers, other than `source`. */
function pickDestination(ctx: NovaContext, source: string | null): string | undefined {
  let best: ServiceRecord | undefined;
  let bestCount = Infinity;
  for (const svc of ctx.state.services) {
    if (svc.binary !== 'nova-compute' || svc.host === source || svc.disabled || !serviceIsUp(ctx, svc)) continue;
    const count = ctx.state.serversByHost.get(svc.host)?.size ?? 0;
    if (count < bestCount) {
      best = svc;
      bestCount = count;
    }
  }
  return best?.host;
}

function listMigrations(ctx: NovaContext, req: DoubleRequest, version: string, token: TokenRecord): DoubleResponse {
  if (!isAdmin(token)) return policyForbidden('os_compute_api:os-migrations:index');
  const q = req.url.searchParams;
  const instance = q.get('instance_uuid');
  let list: MigrationRecord[] =
    instance !== null ? [...(ctx.state.migrationsByInstance.get(instance) ?? [])] : [...ctx.state.migrations.values()];
  const source = q.get('source_compute');
  const type = q.get('migration_type');
  const status = q.get('status');
  const since = q.get('changes-since');
  const sinceMs =
    since === null ? undefined : Date.parse(since.endsWith('Z') || /[+-]\d\d:?\d\d$/.test(since) ? since : `${since}Z`);
  list = list.filter(
    (m) =>
      (source === null || m.sourceCompute === source) &&
      (type === null || m.migrationType === type) &&
      (status === null || m.status === status) &&
      // `updated_at >= changes-since` in SQL: a record never updated (a fresh `accepted`) is not listed
      (sinceMs === undefined || (m.updatedAt !== null && wholeSeconds(m.updatedAt) >= sinceMs)),
  );
  list.sort((a, b) => b.id - a.id);
  const body: Json = {};
  if (mvAtLeast(version, '2.59')) {
    const limitParam = q.get('limit');
    const limit = Math.min(limitParam === null ? ctx.maxLimit : Number(limitParam), ctx.maxLimit);
    const marker = q.get('marker');
    let start = 0;
    if (marker !== null) {
      const found = [...ctx.state.migrations.values()].find((m) => m.uuid === marker);
      if (found === undefined) return novaFault(400, `Marker ${marker} could not be found.`);
      start = list.findIndex((m) => m.id < found.id);
      if (start < 0) start = list.length;
    }
    const page = list.slice(start, start + limit);
    body.migrations = page.map((m) => migrationView(m, version));
    const last = page[page.length - 1];
    if (last !== undefined && page.length === limit) {
      const next = new URL(`${ctx.baseUrl()}/v2.1/os-migrations`);
      for (const [k, v] of q) if (k !== 'marker') next.searchParams.set(k, v);
      next.searchParams.set('limit', String(limit));
      next.searchParams.set('marker', last.uuid);
      body.migrations_links = [{ rel: 'next', href: next.toString() }];
    }
  } else {
    body.migrations = list.map((m) => migrationView(m, version));
  }
  return { status: 200, body };
}

/** Glance `GET /v2/images/{id}`. */
export function handleGlance(ctx: NovaContext, req: DoubleRequest, parts: readonly string[]): DoubleResponse {
  const [, kind, id] = parts;
  if (req.method !== 'GET' || kind !== 'images' || id === undefined || parts.length !== 3)
    return { status: 404, text: '404 Not Found\n\nThe resource could not be found.\n\n   ' };
  const image = ctx.state.images.get(id);
  if (image === undefined) return { status: 404, text: `404 Not Found\n\nNo image found with ID ${id}\n\n   ` };
  return {
    status: 200,
    body: {
      id: image.id,
      name: image.name,
      status: 'active',
      visibility: 'public',
      protected: false,
      tags: image.tags,
      disk_format: 'qcow2',
      container_format: 'bare',
      min_ram: 0,
      min_disk: 0,
      size: 1024,
      owner: 'admin-project',
      created_at: '2026-11-25T10:00:00Z',
      updated_at: '2026-11-25T10:00:00Z',
      self: `/v2/images/${image.id}`,
      file: `/v2/images/${image.id}/file`,
      schema: '/v2/schemas/image',
      ...image.properties,
    },
  };
}
