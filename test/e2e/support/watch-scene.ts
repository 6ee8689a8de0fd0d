/**
 * The scene the watch e2e suites set up around their tests (one copy): an admin client of the
 * testbed and a temp dir of the suite's own; every compute made healthy first; optionally N
 * servers booted onto one host (earlier leftovers of the same name prefix deleted first).
 * Afterwards the host (or, with no servers, every compute) is put back to healthy (powered on,
 * force-down cleared, enabled, up), the servers are deleted, the client closed and the dir removed.
 * A frozen nova-compute is thawed by the test itself (in its own `finally`, after the watcher stops).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'uvu';
import type { OpenStackClient, Server } from '../../../src/openstack/index.js';
import { adminClient, bootServers, deleteServers, ensureHealthy, testbed } from './testbed.js';

/** What {@link watchScene} sets up. */
export interface WatchSceneOptions {
  /** Prefix of the suite's temp dir (under the OS temp dir), e.g. `fd-e2e-watch-crash-`. */
  readonly tmpPrefix: string;
  /** Servers booted onto `host` before the suite, named `prefix-…`; without it, no servers. */
  readonly boot?: { readonly host: string; readonly count: number; readonly prefix: string };
  /** Runs first after the suite, before any host is put back (e.g. the soak's keystone.conf). */
  readonly restoreFirst?: () => Promise<void>;
}

/** The scene, filled in by the suite's `before` hook. */
export interface WatchScene {
  client: OpenStackClient;
  dir: string;
  servers: Server[];
}

/**
 * Registers the scene's `before` and `after` hooks on `test`. Before: admin client, temp dir,
 * the boot prefix's leftovers deleted, every compute healthy, the servers booted. After:
 * `restoreFirst`, the boot host (or every compute) healthy, the servers deleted; then, whatever
 * failed, the client closed and the dir removed.
 */
export function watchScene(test: Test, options: WatchSceneOptions): WatchScene {
  const scene = { dir: '', servers: [] } as unknown as WatchScene;
  const { boot } = options;
  test.before(async () => {
    scene.client = await adminClient();
    scene.dir = await mkdtemp(join(tmpdir(), options.tmpPrefix));
    if (boot) await deleteServers(scene.client, boot.prefix);
    for (const compute of testbed().computes) await ensureHealthy(scene.client, compute.host);
    if (boot) scene.servers = await bootServers(scene.client, boot.host, boot.count, { prefix: boot.prefix });
  });
  test.after(async () => {
    try {
      await options.restoreFirst?.();
      if (boot) {
        await ensureHealthy(scene.client, boot.host);
        await deleteServers(scene.client, boot.prefix);
      } else for (const compute of testbed().computes) await ensureHealthy(scene.client, compute.host);
    } finally {
      await scene.client.close();
      await rm(scene.dir, { recursive: true, force: true });
    }
  });
  return scene;
}
