/** Shared helpers of the OpenStack client tests. */
import {
  loadCloudConfig,
  connect,
  type ConnectOptions,
  type OpenStackClient,
  type CloudConfig,
} from '../../../src/openstack/index.js';
import { doubleEnv, type OpenStackDouble } from '../../support/openstack-double/index.js';

/** Env of the double's admin (or demo) user. */
export const envFor = doubleEnv;

/** A config for the double, from OS_* variables only (no files: cwd/home/etc point nowhere). */
export function configFor(
  double: OpenStackDouble,
  user: 'admin' | 'demo' = 'admin',
  extra: Record<string, string> = {},
): CloudConfig {
  return loadCloudConfig({
    env: envFor(double, user, extra),
    cwd: '/nonexistent',
    home: '/nonexistent',
    etcDir: '/nonexistent',
    warn: () => undefined,
  });
}

/** Fast retries, no warnings. */
export const FAST: ConnectOptions = { retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 4 }, warn: () => undefined };

/** Connects to the double as admin (or demo). */
export function connectTo(
  double: OpenStackDouble,
  user: 'admin' | 'demo' = 'admin',
  extra: Record<string, string> = {},
  options: ConnectOptions = {},
): Promise<OpenStackClient> {
  return connect(configFor(double, user, extra), { ...FAST, ...options });
}

/** The rejection of a promise (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Polls `check` until it returns true (bounded). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
