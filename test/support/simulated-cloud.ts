import { connect, loadCloudConfig, type OpenStackClient } from '../../src/openstack/index.js';
import type { RunServices } from '../../src/runner/index.js';
import { invalidInput } from '../../src/errors/index.js';
import { FakePowerController } from './fake-power.js';
import {
  doubleEnv,
  startOpenStackDouble,
  type OpenStackDouble,
  type OpenStackDoubleOptions,
} from './openstack-double/index.js';

/** The OpenStack double plus one fake BMC per compute, wired together like the real testbed. */
export interface SimulatedCloud {
  readonly double: OpenStackDouble;
  readonly bmcs: ReadonlyMap<string, FakePowerController>;
  /** Run services talking to the double and the fake BMCs. */
  services(overrides?: Partial<RunServices>): RunServices;
  close(): Promise<void>;
}

/** OS_* variables for the double's admin. */
export function adminEnv(double: OpenStackDouble): Record<string, string> {
  return doubleEnv(double);
}

/** Starts a simulated cloud with fast timings (heartbeat 100 ms, service_down_time 400 ms, rebuild 40 ms). */
export async function startSimulatedCloud(options: OpenStackDoubleOptions = {}): Promise<SimulatedCloud> {
  const double = await startOpenStackDouble({
    reportIntervalMs: 100,
    serviceDownTimeMs: 400,
    rebuildDelayMs: 40,
    ...options,
  });
  const bmcs = new Map<string, FakePowerController>();
  for (const host of options.computes ?? ['fake1', 'fake2', 'fake3'])
    bmcs.set(host, new FakePowerController(host, double));
  const clients: OpenStackClient[] = [];
  return {
    double,
    bmcs,
    services(overrides = {}) {
      let client: Promise<OpenStackClient> | undefined;
      return {
        openstack: () => {
          client ??= connect(
            loadCloudConfig({
              env: adminEnv(double),
              cwd: '/nonexistent',
              home: '/nonexistent',
              etcDir: '/nonexistent',
              warn: () => undefined,
            }),
            {
              retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 4 },
              warn: () => undefined,
            },
          ).then((c) => {
            clients.push(c);
            return c;
          });
          return client;
        },
        power: async (host) => {
          const bmc = bmcs.get(host);
          if (!bmc) throw invalidInput('HOST_NOT_IN_INVENTORY', `host ${host} is not in inventory (test)`, 'add it');
          return bmc;
        },
        fetch,
        confirm: undefined,
        warn: () => undefined,
        close: async () => undefined,
        ...overrides,
      };
    },
    async close() {
      for (const c of clients) await c.close();
      await double.close();
    },
  };
}
