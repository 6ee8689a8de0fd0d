/** Nova JSON → the client's types, the same whatever the microversion. */
import type { ComputeService, FlavorInfo, Migration, Server } from '../openstack.interface.js';
import { toMigrationStatus } from './vocabulary.js';

type Json = Record<string, unknown>;

const s = (value: unknown): string | null =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value as Json)) {
      if (v !== null && v !== undefined) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  }
  return out;
}

/** A service record of GET /os-services (or the full record of a 2.53 PUT). */
export function toComputeService(raw: Json): ComputeService {
  return {
    id: s(raw.id) ?? '',
    host: s(raw.host) ?? '',
    binary: s(raw.binary) ?? '',
    zone: s(raw.zone) ?? '',
    status: raw.status === 'disabled' ? 'disabled' : 'enabled',
    state: raw.state === 'up' ? 'up' : 'down',
    forcedDown: raw.forced_down === true,
    disabledReason: s(raw.disabled_reason),
    updatedAt: s(raw.updated_at),
  };
}

/** A server of GET /servers/detail or /servers/{id}. */
export function toServer(raw: Json): Server {
  const flavor = (typeof raw.flavor === 'object' && raw.flavor !== null ? raw.flavor : {}) as Json;
  const image = raw.image;
  const imageId = typeof image === 'object' && image !== null ? s((image as Json).id) : null;
  const flavorId = s(flavor.id);
  const flavorName = s(flavor.original_name) ?? s(flavor.name);
  return {
    id: s(raw.id) ?? '',
    name: s(raw.name) ?? '',
    status: s(raw.status) ?? '',
    vmState: s(raw['OS-EXT-STS:vm_state']) ?? '',
    taskState: s(raw['OS-EXT-STS:task_state']),
    host: s(raw['OS-EXT-SRV-ATTR:host']),
    projectId: s(raw.tenant_id) ?? s(raw.project_id) ?? '',
    flavor: {
      ...(flavorId === null ? {} : { id: flavorId }),
      ...(flavorName === null ? {} : { name: flavorName }),
      extraSpecs: stringRecord(flavor.extra_specs),
    },
    imageId: imageId === '' ? null : imageId,
    tags: Array.isArray(raw.tags) ? raw.tags.filter((t): t is string => typeof t === 'string') : [],
    metadata: stringRecord(raw.metadata),
    updatedAt: s(raw.updated),
    ...faultOf(raw.fault),
    ...(typeof raw.locked === 'boolean' ? { locked: raw.locked } : {}),
    ...('locked_reason' in raw ? { lockedReason: s(raw.locked_reason) } : {}),
  };
}

function faultOf(fault: unknown): { fault?: string } {
  if (typeof fault !== 'object' || fault === null) return {};
  const message = s((fault as Json).message);
  return message === null || message === '' ? {} : { fault: message };
}

/** A record of GET /os-migrations. */
export function toMigration(raw: Json): Migration {
  const uuid = s(raw.uuid);
  return {
    id: typeof raw.id === 'number' ? raw.id : Number(raw.id),
    ...(uuid === null ? {} : { uuid }),
    instanceUuid: s(raw.instance_uuid) ?? '',
    migrationType: s(raw.migration_type) ?? '',
    status: toMigrationStatus(s(raw.status) ?? ''),
    sourceCompute: s(raw.source_compute),
    destCompute: s(raw.dest_compute),
    createdAt: s(raw.created_at) ?? '',
    updatedAt: s(raw.updated_at),
  };
}

/** A flavor of GET /flavors/{id} (extra specs embedded from 2.61, else passed separately). */
export function toFlavor(raw: Json, extraSpecs?: Record<string, string>): FlavorInfo {
  return { id: s(raw.id) ?? '', name: s(raw.name) ?? '', extraSpecs: extraSpecs ?? stringRecord(raw.extra_specs) };
}
