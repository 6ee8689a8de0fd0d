/**
 * A second (third...) forcedown process for the coordination suites, configured only through
 * FORCEDOWN_ETCD_* like a real run. It prints one JSON line per fact and lives until its stdin
 * closes (then releases what it holds and exits) or it is killed.
 *
 *   child.ts lock RUN-ID HOST...   take the host locks; prints locked | refused, later lost
 *   child.ts campaign ID           campaign for the region's leadership; prints campaigning, elected, later lost
 */
import {
  RegionElection,
  coordinationSettings,
  openCoordination,
  type Coordinator,
} from '../../../src/coordination/index.js';
import { isForcedownError } from '../../../src/errors/index.js';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';

const print = (fact: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ ...fact, at: Date.now(), pid: process.pid })}\n`);
};

function errorFact(error: unknown): Record<string, unknown> {
  return isForcedownError(error)
    ? { code: error.code, exitCode: exitCodeOf(error), message: error.message, details: error.data }
    : { code: 'UNEXPECTED', message: String(error) };
}

function whenLost(signal: AbortSignal | undefined): void {
  signal?.addEventListener('abort', () => print({ event: 'lost', ...errorFact(signal.reason) }), { once: true });
}

async function lock(coordinator: Coordinator, runId: string, hosts: string[]): Promise<() => Promise<void>> {
  try {
    const held = await coordinator.locks.acquire({ runId, hosts });
    print({ event: 'locked', hosts: held.hosts });
    whenLost(held.lost);
    return () => held.release('finished');
  } catch (error) {
    print({ event: 'refused', ...errorFact(error) });
    return async () => undefined;
  }
}

async function campaign(coordinator: Coordinator, id: string): Promise<() => Promise<void>> {
  print({ event: 'campaigning', id });
  const leadership = await coordinator.election.campaign(RegionElection.self(id));
  print({ event: 'elected', id, waitedMs: leadership.waitedMs, previous: leadership.previous?.id ?? null });
  whenLost(leadership.lost);
  return () => leadership.resign();
}

async function main(): Promise<void> {
  const [mode, first = '', ...rest] = process.argv.slice(2);
  const settings = coordinationSettings({ env: process.env, cwd: process.cwd() });
  if (!settings) throw new Error('FORCEDOWN_ETCD_ENDPOINTS is not set');
  const coordinator = await openCoordination(settings, process.env);
  const release = mode === 'lock' ? await lock(coordinator, first, rest) : await campaign(coordinator, first);
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once('end', resolve));
  await release();
  coordinator.close();
  print({ event: 'exited' });
}

main().catch((error: unknown) => {
  print({ event: 'crashed', ...errorFact(error) });
  process.exit(1);
});
