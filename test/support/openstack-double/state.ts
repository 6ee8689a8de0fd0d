/** The in-memory cloud of the OpenStack double: users, tokens, services, servers, migrations. */
import { randomBytes, randomUUID } from 'node:crypto';

export interface DoubleUser {
  readonly id: string;
  readonly name: string;
  readonly password: string;
  readonly domainId: string;
  readonly projectId: string;
  readonly roles: readonly string[];
}

export interface DoubleProject {
  readonly id: string;
  readonly name: string;
  readonly domainId: string;
}

export interface DoubleAppCredential {
  readonly id: string;
  readonly name: string;
  readonly secret: string;
  readonly userId: string;
}

export interface TokenRecord {
  readonly userId: string;
  readonly projectId: string | undefined;
  readonly domainId: string | undefined;
  readonly roles: readonly string[];
  readonly methods: readonly string[];
  expiresAt: number;
  readonly issuedAt: number;
}

export interface ServiceRecord {
  readonly intId: number;
  readonly uuid: string;
  readonly host: string;
  readonly binary: string;
  readonly zone: string;
  disabled: boolean;
  disabledReason: string | null;
  forcedDown: boolean;
  /** The process is running and heartbeating. */
  alive: boolean;
  /** Last heartbeat when not alive. */
  lastHeartbeat: number;
  updatedAt: number;
}

export interface ServerRecord {
  readonly id: string;
  readonly seq: number;
  name: string;
  readonly projectId: string;
  readonly userId: string;
  host: string | null;
  vmState: string;
  taskState: string | null;
  flavorId: string;
  imageId: string | null;
  tags: string[];
  metadata: Record<string, string>;
  readonly createdAt: number;
  updatedAt: number;
  /** `locked` (2.9+); who locked it decides who may unlock it, as in Nova's `locked_by`. */
  locked: boolean;
  lockedBy: 'owner' | 'admin' | null;
  /** `locked_reason` (2.73+; kept in system metadata by Nova). */
  lockedReason: string | null;
  /** The last fault (shown while vm_state is error, as Nova does). */
  fault?: { readonly code: number; readonly message: string; readonly created: number };
  /** The in-flight evacuation, if any. */
  evacuation?: {
    readonly migrationId: number;
    readonly timers: NodeJS.Timeout[];
    readonly originalVmState: string;
    readonly microversion: string;
  };
}

export interface MigrationRecord {
  readonly id: number;
  readonly uuid: string;
  readonly instanceUuid: string;
  readonly migrationType: string;
  status: string;
  readonly sourceCompute: string;
  destCompute: string | null;
  readonly createdAt: number;
  updatedAt: number | null;
  readonly projectId: string;
  readonly userId: string;
}

export interface FlavorRecord {
  readonly id: string;
  readonly name: string;
  readonly vcpus: number;
  readonly ram: number;
  readonly disk: number;
  extraSpecs: Record<string, string>;
}

export interface ImageRecord {
  readonly id: string;
  readonly name: string;
  tags: string[];
  properties: Record<string, unknown>;
}

/** A Keystone-fernet-looking token (so the secret patterns recognise it too). */
export function newToken(): string {
  return `gAAAAA${randomBytes(132).toString('base64url')}`;
}

/** Everything the double knows. */
export class CloudState {
  readonly users = new Map<string, DoubleUser>();
  readonly projects = new Map<string, DoubleProject>();
  readonly appCredentials = new Map<string, DoubleAppCredential>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly services: ServiceRecord[] = [];
  readonly servers = new Map<string, ServerRecord>();
  /** host → server ids (no scan of every server to list one host). */
  readonly serversByHost = new Map<string, Set<string>>();
  readonly migrations = new Map<number, MigrationRecord>();
  readonly migrationsByInstance = new Map<string, MigrationRecord[]>();
  readonly flavors = new Map<string, FlavorRecord>();
  readonly images = new Map<string, ImageRecord>();
  #serverSeq = 0;
  #migrationSeq = 0;
  #serviceSeq = 0;

  addService(host: string, binary: string, zone: string, now: number): ServiceRecord {
    this.#serviceSeq += 1;
    const record: ServiceRecord = {
      intId: this.#serviceSeq,
      uuid: randomUUID(),
      host,
      binary,
      zone,
      disabled: false,
      disabledReason: null,
      forcedDown: false,
      alive: true,
      lastHeartbeat: now,
      updatedAt: now,
    };
    this.services.push(record);
    return record;
  }

  computeService(host: string): ServiceRecord | undefined {
    return this.services.find((s) => s.host === host && s.binary === 'nova-compute');
  }

  addServer(
    spec: Omit<
      ServerRecord,
      'seq' | 'createdAt' | 'updatedAt' | 'evacuation' | 'locked' | 'lockedBy' | 'lockedReason'
    > &
      Partial<Pick<ServerRecord, 'locked' | 'lockedBy' | 'lockedReason'>>,
    now: number,
  ): ServerRecord {
    this.#serverSeq += 1;
    const record: ServerRecord = {
      locked: false,
      lockedBy: null,
      lockedReason: null,
      ...spec,
      seq: this.#serverSeq,
      createdAt: now,
      updatedAt: now,
    };
    this.servers.set(record.id, record);
    this.#index(record.id, record.host);
    return record;
  }

  moveServer(server: ServerRecord, host: string | null): void {
    if (server.host !== null) this.serversByHost.get(server.host)?.delete(server.id);
    server.host = host;
    this.#index(server.id, host);
  }

  #index(id: string, host: string | null): void {
    if (host === null) return;
    let set = this.serversByHost.get(host);
    if (set === undefined) {
      set = new Set();
      this.serversByHost.set(host, set);
    }
    set.add(id);
  }

  addMigration(spec: Omit<MigrationRecord, 'id' | 'uuid' | 'createdAt' | 'updatedAt'>, now: number): MigrationRecord {
    this.#migrationSeq += 1;
    const record: MigrationRecord = {
      ...spec,
      id: this.#migrationSeq,
      uuid: randomUUID(),
      createdAt: now,
      updatedAt: null,
    };
    this.migrations.set(record.id, record);
    const list = this.migrationsByInstance.get(record.instanceUuid) ?? [];
    list.push(record);
    this.migrationsByInstance.set(record.instanceUuid, list);
    return record;
  }
}
