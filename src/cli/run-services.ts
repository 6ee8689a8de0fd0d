import { dirname } from 'node:path';
import { invalidInput } from '../errors/index.js';
import type { PowerController, PowerState } from '../fencing/power.interface.js';
import type { LoadedInventory } from '../inventory/index.js';
import type { RetryPolicy } from '../openstack/http/retry.js';
import type {
  CloudConfig,
  LoadCloudConfigOptions,
  OpenStackClient,
  RequestDeadlines,
} from '../openstack/openstack.interface.js';
import type { AnyWaitNotice, Confirm, RunServices } from '../runner/index.js';

/** Retries of idempotent OpenStack calls during a run: 10 retries, 0.5 s doubling to 8 s, jittered (28–55 s in all). */
export const RUN_RETRY_POLICY = { retries: 10, baseDelayMs: 500, maxDelayMs: 8000 } as const;

/**
 * Time limits of each OpenStack call during a run: a call with its retries gives up after 50 s
 * (long enough to ride out a restarting nova-api, shorter than the default 60 s step timeout,
 * so a cloud that does not answer fails the step with its own message). The user's settings win.
 */
export const RUN_DEADLINES = { budgetMs: 50_000 } as const;

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
  /** Retries of idempotent OpenStack calls. @defaultValue {@link RUN_RETRY_POLICY} */
  readonly retry?: Partial<RetryPolicy>;
  /** Time limits of each OpenStack call. @defaultValue {@link RUN_DEADLINES} */
  readonly deadlines?: Partial<RequestDeadlines>;
  /**
   * Where notices of OpenStack and BMC calls that keep waiting go while no step routes them
   * ({@link RunServices.routeWaits}): plan, the sign-in before the first step, the first
   * fence's power read started while the run sets up.
   */
  readonly onWait?: (notice: AnyWaitNotice) => void;
  /**
   * How long a primed power read stays usable.
   * @defaultValue {@link PRIMED_READ_MAX_AGE_MS}
   */
  readonly primedReadMaxAgeMs?: number;
  /**
   * How long a BMC call waits before it says so, and how often after that (tests shorten it).
   * @defaultValue `NOTICE_EVERY_MS` (4 s, as OpenStack calls)
   */
  readonly powerNoticeEveryMs?: number;
}

/** Loads the run's inventory once, on first use (a clear input error when none was given). */
function inventoryLoader(options: RunServicesOptions): () => Promise<LoadedInventory> {
  let inventory: Promise<LoadedInventory> | undefined = options.inventory
    ? Promise.resolve(options.inventory)
    : undefined;
  return () => {
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
}

/** Loads the cloud configuration once, on first use. */
function configLoader(options: RunServicesOptions): () => Promise<CloudConfig> {
  let config: Promise<CloudConfig> | undefined;
  return () => {
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
}

/**
 * The real services of a run (the composition root of plan, run and resume), each created on
 * first use: the cloud configuration, the OpenStack client (one Keystone session for the whole
 * run), the inventory and one power controller per host.
 */
export function createRunServices(options: RunServicesOptions): RunServices {
  let client: Promise<OpenStackClient> | undefined;
  const controllers = new Map<string, Promise<PowerController>>();
  // close() aborts a sign-in still under way: nothing may keep the process alive after the run
  const closing = new AbortController();
  const connectSignal = options.signal ? AbortSignal.any([options.signal, closing.signal]) : closing.signal;
  let waitRoute: ((notice: AnyWaitNotice) => void) | undefined;
  const onWait = (notice: AnyWaitNotice): void => (waitRoute ?? options.onWait)?.(notice);
  const primed = new Map<string, { readonly startedAt: number; readonly read: Promise<PowerState> }>();

  const loadInventoryOnce = inventoryLoader(options);
  const loadConfigOnce = configLoader(options);

  const services: RunServices = {
    async checkOpenStackConfig() {
      await loadConfigOnce();
    },
    openstack() {
      if (client) return client;
      const connecting = (async () => {
        const loaded = await loadConfigOnce();
        const { connect } = await import('../openstack/index.js');
        // a run rides out short API outages (a restarting nova-api, a failing-over load balancer):
        // idempotent calls are retried for about half a minute (evacuate POSTs never are)
        return connect(loaded, {
          warn: options.warn,
          retry: options.retry ?? RUN_RETRY_POLICY,
          deadlines: options.deadlines ?? RUN_DEADLINES,
          onWait,
          signal: connectSignal,
        });
      })();
      // a failed sign-in is not kept: the next step (or retry) connects again, once Keystone is back
      connecting.catch(() => {
        if (client === connecting) client = undefined;
      });
      client = connecting;
      return connecting;
    },
    power(host) {
      let controller = controllers.get(host);
      if (!controller) {
        controller = (async () => {
          const loaded = await loadInventoryOnce();
          const entry = loaded.host(host);
          const password = await loaded.password(entry.bmc.password, host);
          const { createPowerController } = await import('../fencing/index.js');
          // a BMC call that keeps waiting says so as the running step's output, like OpenStack's
          return createPowerController(host, entry.bmc, password, {
            warn: options.warn,
            baseDir: dirname(loaded.absolutePath),
            onWait,
            ...(options.powerNoticeEveryMs !== undefined ? { noticeEveryMs: options.powerNoticeEveryMs } : {}),
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
    routeWaits(listener) {
      waitRoute = listener;
    },
    fetch: options.fetch ?? fetch,
    confirm: options.confirm,
    warn: options.warn,
    async close() {
      closing.abort();
      if (client) await (await client.catch(() => undefined))?.close();
    },
  };
  return services;
}
