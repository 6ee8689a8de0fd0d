/**
 * The OpenStack double in its own process, so that a benchmark's process.cpuUsage() and RSS are
 * the measured code's alone (the double serializing 2000 services is Nova's cost, not ours).
 * Run as a child: `node --import tsx bench/lib/double-process.ts <options JSON>`; it prints one
 * JSON line (the OS_* environment of its admin) and serves until its stdin closes.
 */
import { startOpenStackDouble, type OpenStackDoubleOptions } from '../../test/support/openstack-double/index.js';
import { adminEnv } from '../../test/support/simulated-cloud.js';

export interface DoubleProcessOptions extends Omit<OpenStackDoubleOptions, 'computes'> {
  /** This many computes, named `compute0001`... (a count keeps the process arguments short). */
  readonly computes: number;
  /** The first this many computes are dead from the start (stale, then `down`). */
  readonly kill?: number;
}

/** The names of {@link DoubleProcessOptions.computes}. */
export function computeNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `compute${String(i + 1).padStart(4, '0')}`);
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as DoubleProcessOptions;
  const computes = computeNames(options.computes);
  const double = await startOpenStackDouble({ ...options, computes });
  for (const host of computes.slice(0, options.kill ?? 0)) double.killCompute(host, { now: true });
  process.stdout.write(`${JSON.stringify(adminEnv(double))}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    void double.close().then(() => process.exit(0));
  });
}

if (process.argv[1] === import.meta.filename) await main();
