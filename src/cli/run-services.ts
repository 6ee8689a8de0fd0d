import { dirname } from 'node:path';
import { invalidInput } from '../errors/index.js';
import type { PowerController, PowerState } from '../fencing/power.interface.js';
import type { LoadedInventory } from '../inventory/index.js';
import type { CloudConfig, LoadCloudConfigOptions, OpenStackClient } from '../openstack/openstack.interface.js';
import type { Confirm, RunServices } from '../runner/index.js';

/** Retries of idempotent OpenStack calls during a run: 10 retries, 0.5 s doubling to 8 s, jittered (28–55 s in all). */
export const RUN_RETRY_POLICY = { retries: 10, baseDelayMs: 500, maxDelayMs: 8000 } as const;

/** How long a primed power read stays usable: a step that starts later reads the BMC itself. */
export const PRIMED_READ_MAX_AGE_MS = 3000;

/** Options of {@link createRunServices}. */
export interface RunServicesOptions {
  /** `--os-cloud` (else OS_CLOUD / OS_* as openstacksdk reads them). */
  readonly cloud?: string;
  /** Extra settings (`--insecure`...). */
  readonly cloudOverrides?: LoadCloudConfigOptions['overrides'];
  /** Absolute path of the inventory, if one was given or found. */
  readonly inventoryPath?: string;
  /** The inventory, when the caller has already loaded (and so validated) it. */
  readonly inventory?: LoadedInventory;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly warn: (message: string) => void;
  readonly confirm?: Confirm;
  readonly fetch?: typeof fetch;
  /** Cancels connecting to the cloud. */
  readonly signal?: AbortSignal;
  /**
   * How long a primed power read stays usable.
   * @defaultValue {@link PRIMED_READ_MAX_AGE_MS}
   */
  readonly primedReadMaxAgeMs?: number;
}

/**
 * The real services of a run (the composition root of plan, run and resume), each created on
 * first use: the cloud configuration, the OpenStack client (one Keystone session for the whole
 * run), the inventory and one power controller per host.
 */
export function createRunServices(options: RunServicesOptions): RunServices {
  let config: Promise<CloudConfig> | undefined;
  let client: Promise<OpenStackClient> | undefined;
  let inventory: Promise<LoadedInventory> | undefined = options.inventory
    ? Promise.resolve(options.inventory)
    : undefined;
  const controllers = new Map<string, Promise<PowerController>>();
  const primed = new Map<string, { readonly startedAt: number; readonly read: Promise<PowerState> }>();

  const loadInventoryOnce = (): Promise<LoadedInventory> => {
    if (!options.inventoryPath && !inventory) {
      return Promise.reject(
        invalidInput(
          'NO_INVENTORY',
          "this runbook needs an inventory (how to reach each host's BMC) and none was given",
          'pass --inventory FILE or set FORCEDOWN_INVENTORY (format: runbooks/README.md, example: runbooks/inventory.example.json)',
        ),
      );
    }
    inventory ??= import('../inventory/index.js').then(({ loadInventory }) =>
      loadInventory(options.inventoryPath!, options.env),
    );
    return inventory;
  };

  const loadConfigOnce = (): Promise<CloudConfig> => {
    config ??= import('../openstack/index.js').then(({ loadCloudConfig }) =>
      loadCloudConfig({
        cloud: options.cloud,
        env: options.env,
        cwd: options.cwd,
        ...(options.env.HOME ? { home: options.env.HOME } : {}),
        warn: options.warn,
        ...(options.cloudOverrides ? { overrides: options.cloudOverrides } : {}),
      }),
    );
    return config;
  };

  const services: RunServices = {
    async checkOpenStackConfig() {
      await loadConfigOnce();
    },
    openstack() {
      client ??= (async () => {
        const loaded = await loadConfigOnce();
        const { connect } = await import('../openstack/index.js');
        // a run rides out short API outages (a restarting nova-api, a failing-over load balancer):
        // idempotent calls are retried for about half a minute (evacuate POSTs never are)
        return connect(loaded, {
          warn: options.warn,
          retry: RUN_RETRY_POLICY,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      })();
      return client;
    },
    power(host) {
      let controller = controllers.get(host);
      if (!controller) {
        controller = (async () => {
          const loaded = await loadInventoryOnce();
          const entry = loaded.host(host);
          const password = await loaded.password(entry.bmc.password, host);
          const { createPowerController } = await import('../fencing/index.js');
          return createPowerController(host, entry.bmc, password, {
            warn: options.warn,
            baseDir: dirname(loaded.absolutePath),
          });
        })();
        controllers.set(host, controller);
      }
      return controller;
    },
    primePowerStatus(host) {
      if (primed.has(host)) return;
      const read = services
        .power(host)
        .then((controller) => controller.status(options.signal ? { signal: options.signal } : {}));
      read.catch(() => undefined); // not unhandled: a failure reaches the step that takes this read
      primed.set(host, { startedAt: performance.now(), read });
    },
    takePrimedPowerStatus(host) {
      const entry = primed.get(host);
      primed.delete(host);
      if (!entry || performance.now() - entry.startedAt > (options.primedReadMaxAgeMs ?? PRIMED_READ_MAX_AGE_MS))
        return undefined;
      return entry.read;
    },
    fetch: options.fetch ?? fetch,
    confirm: options.confirm,
    warn: options.warn,
    async close() {
      if (client) await (await client.catch(() => undefined))?.close();
    },
  };
  return services;
}
