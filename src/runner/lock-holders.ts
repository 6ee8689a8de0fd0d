import type { HostLockProvider, LockHolder } from '../coordination/index.js';
import { toForcedownError } from '../errors/index.js';
import type { LoadedRunbook } from '../runbook/index.js';
import type { StepCatalog } from './catalog.interface.js';
import { knownHosts, runScope } from './step-pipeline.js';

/** Who holds a host's etcd lock, as a plan or a dry run shows it (read only: nothing is taken). */
export interface HostLockState {
  readonly host: string;
  /** null: nobody holds it. */
  readonly holder: LockHolder | null;
  /** Why it could not be read (etcd did not answer, or refused the read). */
  readonly error?: { readonly code: string; readonly message: string };
}

/** The hosts a runbook's steps name before it runs (those a run would lock). */
export async function runbookHosts(request: {
  readonly loaded: LoadedRunbook;
  readonly params: Readonly<Record<string, unknown>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly catalog: StepCatalog;
}): Promise<string[]> {
  const { loaded, params, env, catalog } = request;
  const scope = runScope(loaded, params, env, { id: '(plan)', startedAt: new Date().toISOString(), dryRun: true }, {});
  const hosts = new Set<string>();
  for (const step of loaded.runbook.steps) {
    const module = await catalog.load(step.type).catch(() => undefined);
    if (module) for (const host of knownHosts(module, step, scope)) hosts.add(host);
  }
  return [...hosts];
}

/** Reads who holds each host's lock; a failed read is reported for that host, never thrown. */
export async function lockHolders(
  hosts: readonly string[],
  locks: Pick<HostLockProvider, 'holder'>,
): Promise<HostLockState[]> {
  return Promise.all(
    hosts.map(async (host): Promise<HostLockState> => {
      try {
        return { host, holder: (await locks.holder(host)) ?? null };
      } catch (error) {
        const problem = toForcedownError(error);
        return { host, holder: null, error: { code: problem.code, message: problem.message } };
      }
    }),
  );
}

/** One line about a host's etcd lock: free, held by (run, machine, pid, since), or unknown. */
export function describeLockState(state: HostLockState): string {
  if (state.error) return `host ${state.host}: etcd lock unknown (${state.error.message})`;
  const holder = state.holder;
  if (!holder) return `host ${state.host}: etcd lock free`;
  return `host ${state.host}: etcd lock held by run ${holder.runId} (pid ${holder.pid} on ${holder.machine}, since ${holder.since})`;
}
