/**
 * A fake Nova os-services API implementing the client's ComputeApi, with Nova's rules that matter
 * to the provider: only nova-compute may be updated, forced_down makes `state` down, enabling
 * clears the disabled reason, clearing forced_down fails while `done` evacuation records remain.
 *
 * State is kept in memory, or in a JSON file (`FakeCompute.file(path)`) so that a test can change
 * "Nova" behind a provider process it spawned, and read the calls that process made.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ForcedownError, invalidInput } from '../../../../src/errors/index.js';
import type { CallOptions, ComputeApi, ComputeService } from '../../../../src/openstack/openstack.interface.js';

export interface FakeService {
  id: string;
  host: string;
  binary: string;
  zone: string;
  disabled: boolean;
  disabledReason: string | null;
  forcedDown: boolean;
  /** The compute heartbeats (it is up unless forced down). */
  alive: boolean;
  /** `done` evacuation records remain (Nova refuses to clear forced_down). */
  doneEvacuations: boolean;
}

export interface FakeState {
  services: FakeService[];
  /** Mutating calls, in order: `setForcedDown fake2 true`, `disable fake2 <reason>`, `enable fake2`. */
  calls: string[];
  /** Make the next call of this name fail with a 503-like error. */
  failNext?: string | null;
}

export function initialState(): FakeState {
  const compute = (n: number, id: string): FakeService => ({
    id,
    host: `fake${n}`,
    binary: 'nova-compute',
    zone: 'nova',
    disabled: false,
    disabledReason: null,
    forcedDown: false,
    alive: true,
    doneEvacuations: false,
  });
  return {
    services: [
      { ...compute(0, '4f4d0e99-a426-4965-906b-5347bd77b1af'), host: 'vm', binary: 'nova-conductor', zone: 'internal' },
      compute(1, '698f4cad-f085-4b97-bfdf-6cfe06f62943'),
      compute(2, 'ea3b7bb2-e162-4b5d-93cd-cf74da73fe7b'),
      compute(3, '35421f7c-ed5f-47e8-8be9-08bf7507c145'),
    ],
    calls: [],
    failNext: null,
  };
}

function view(s: FakeService): ComputeService {
  return {
    id: s.id,
    host: s.host,
    binary: s.binary,
    zone: s.zone,
    status: s.disabled ? 'disabled' : 'enabled',
    state: s.forcedDown || !s.alive ? 'down' : 'up',
    forcedDown: s.forcedDown,
    disabledReason: s.disabledReason,
    updatedAt: '2026-11-25T11:03:10.000000',
  };
}

export class FakeCompute implements ComputeApi {
  readonly versions = { min: '2.1', max: '2.93' };
  readonly servicesMicroversion = '2.53';
  readonly evacuateMicroversion = '2.93';
  readonly serversMicroversion = '2.93';
  readonly migrationsMicroversion = '2.80';
  #memory: FakeState;
  readonly #path: string | undefined;

  constructor(state: FakeState = initialState(), path?: string) {
    this.#memory = state;
    this.#path = path;
  }

  /** A fake persisted in `path` (created with the initial state when `init` is given). */
  static file(path: string, init?: FakeState): FakeCompute {
    if (init !== undefined) writeFileSync(path, JSON.stringify(init, null, 2));
    return new FakeCompute(initialState(), path);
  }

  get state(): FakeState {
    if (this.#path !== undefined) this.#memory = JSON.parse(readFileSync(this.#path, 'utf8')) as FakeState;
    return this.#memory;
  }

  update(change: (state: FakeState) => void): void {
    const state = this.state;
    change(state);
    this.#memory = state;
    if (this.#path !== undefined) writeFileSync(this.#path, JSON.stringify(state, null, 2));
  }

  #mutate(id: string, call: string, change: (s: FakeService) => void): ComputeService {
    let result: ComputeService | undefined;
    this.update((state) => {
      if (state.failNext === call.split(' ')[0]) {
        state.failNext = null;
        throw new ForcedownError('Nova answered 503 to PUT /v2.1/os-services', {
          code: 'NOVA_UNAVAILABLE',
          hint: 'retry later',
        });
      }
      const service = state.services.find((s) => s.id === id);
      if (service === undefined)
        throw new ForcedownError(`Nova answered 404: Service ${id} could not be found.`, {
          code: 'NOVA_NOT_FOUND',
          hint: 're-plan',
        });
      if (service.binary !== 'nova-compute')
        throw invalidInput(
          'NOVA_BAD_REQUEST',
          `Updating a ${service.binary} service is not supported.`,
          'only nova-compute',
        );
      change(service);
      state.calls.push(call);
      result = view(service);
    });
    if (result === undefined) throw new Error('unreachable');
    return result;
  }

  async listServices(
    filter?: { readonly host?: string; readonly binary?: string },
    _options?: CallOptions,
  ): Promise<ComputeService[]> {
    return this.state.services
      .filter(
        (s) =>
          (filter?.host === undefined || s.host === filter.host) &&
          (filter?.binary === undefined || s.binary === filter.binary),
      )
      .map(view);
  }

  async findComputeService(host: string, _options?: CallOptions): Promise<ComputeService> {
    const found = (await this.listServices({ host, binary: 'nova-compute' }))[0];
    if (found === undefined) {
      const known = this.state.services.filter((s) => s.binary === 'nova-compute').map((s) => s.host);
      throw invalidInput(
        'NOVA_UNKNOWN_HOST',
        `no nova-compute service on host '${host}'`,
        `known compute hosts: ${known.join(', ')}`,
      );
    }
    return found;
  }

  async setForcedDown(service: ComputeService, forcedDown: boolean, _options?: CallOptions): Promise<ComputeService> {
    const current = this.state.services.find((s) => s.id === service.id);
    if (!forcedDown && current?.doneEvacuations === true) {
      throw new ForcedownError(
        `Nova answered 400 to PUT /v2.1/os-services/${service.id}: Unable to force up host ${service.host} as \`done\` evacuation migration records remain associated with the host. Ensure the compute service has been restarted, allowing these records to move to \`completed\` before retrying this request.`,
        { code: 'NOVA_DONE_EVACUATIONS_REMAIN', kind: 'refused', hint: `restart nova-compute on ${service.host}` },
      );
    }
    return this.#mutate(service.id, `setForcedDown ${service.host} ${String(forcedDown)}`, (s) => {
      s.forcedDown = forcedDown;
    });
  }

  async disableService(service: ComputeService, reason: string, _options?: CallOptions): Promise<ComputeService> {
    return this.#mutate(service.id, `disable ${service.host} ${reason}`, (s) => {
      s.disabled = true;
      s.disabledReason = reason;
    });
  }

  async enableService(service: ComputeService, _options?: CallOptions): Promise<ComputeService> {
    return this.#mutate(service.id, `enable ${service.host}`, (s) => {
      s.disabled = false;
      s.disabledReason = null;
    });
  }

  // ---- not used by the provider -------------------------------------------------------------
  listServersOnHost(): never {
    throw new Error('not in the fake');
  }
  getServer(): never {
    throw new Error('not in the fake');
  }
  evacuate(): never {
    throw new Error('not in the fake');
  }
  resetState(): never {
    throw new Error('not in the fake');
  }
  stopServer(): never {
    throw new Error('not in the fake');
  }
  startServer(): never {
    throw new Error('not in the fake');
  }
  lockServer(): never {
    throw new Error('not in the fake');
  }
  unlockServer(): never {
    throw new Error('not in the fake');
  }
  pauseServer(): never {
    throw new Error('not in the fake');
  }
  suspendServer(): never {
    throw new Error('not in the fake');
  }
  listMigrations(): never {
    throw new Error('not in the fake');
  }
  getFlavor(): never {
    throw new Error('not in the fake');
  }
}
