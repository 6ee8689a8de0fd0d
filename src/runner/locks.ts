import { constants } from 'node:fs';
import { open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from '../coordination/process-alive.js';
import { refused } from '../errors/index.js';
import { ensurePrivateDir, stateLayout } from './state-dir.js';

/** What a lock file holds. */
export interface LockHolder {
  readonly runId: string;
  readonly pid: number;
  readonly machine: string;
  readonly since: string;
}

/** Locks held by a run. */
export interface HeldLocks {
  readonly hosts: readonly string[];
  /** Locks taken over with --break-lock (to be recorded in the journal). */
  readonly broken: readonly { readonly host: string; readonly previousHolder: LockHolder }[];
  release(why: 'finished' | 'stopped'): Promise<void>;
}

function lockFile(stateDir: string, host: string): string {
  return join(stateLayout(stateDir).locks, `${encodeURIComponent(host)}.lock`);
}

/** Reads the holder of a host's lock, if any. */
export async function readLock(stateDir: string, host: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(lockFile(stateDir, host), 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/**
 * Takes the local lock of every host a run acts on: one run per host at a time on this machine
 * (the Nova-side marker in the service's disabled reason covers other machines, see the
 * force-down step). A held lock refuses with exit 3 naming the holder; a stale one (holder
 * process gone) still needs `--break-lock REASON`, which is recorded. A resumed run takes over
 * its own lock.
 */
export async function acquireRunLocks(options: {
  readonly stateDir: string;
  readonly runId: string;
  readonly hosts: readonly string[];
  readonly breakLock?: string;
  readonly resume?: boolean;
}): Promise<HeldLocks> {
  const { stateDir, runId } = options;
  if (options.hosts.length === 0) return { hosts: [], broken: [], release: async () => undefined };
  await ensurePrivateDir(stateLayout(stateDir).locks);
  const me: LockHolder = { runId, pid: process.pid, machine: hostname(), since: new Date().toISOString() };
  const taken: string[] = [];
  const broken: { host: string; previousHolder: LockHolder }[] = [];
  const releaseTaken = async (): Promise<void> => {
    for (const host of taken) await unlink(lockFile(stateDir, host)).catch(() => undefined);
  };
  for (const host of [...options.hosts].sort()) {
    const file = lockFile(stateDir, host);
    for (;;) {
      try {
        const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
        await handle.writeFile(JSON.stringify(me));
        await handle.close();
        taken.push(host);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          await releaseTaken();
          throw error;
        }
      }
      const holder = await readLock(stateDir, host);
      if (!holder) continue; // released meanwhile
      const ours = holder.runId === runId && (options.resume || holder.pid === process.pid);
      if (ours || options.breakLock !== undefined) {
        if (!ours) broken.push({ host, previousHolder: holder });
        const temp = `${file}.${process.pid}.tmp`;
        await writeFile(temp, JSON.stringify(me), { mode: 0o600 });
        await rename(temp, file);
        taken.push(host);
        break;
      }
      await releaseTaken();
      const stale = holder.machine === hostname() && !isProcessAlive(holder.pid);
      throw refused(
        'HOST_LOCKED',
        `host ${host} is locked by run ${holder.runId} (pid ${holder.pid} on ${holder.machine}, since ${holder.since})${stale ? '; that process is gone, so the lock looks stale' : ''}`,
        stale
          ? `resume that run with \`forcedown resume ${holder.runId}\`, or take the lock over with --break-lock "<why it is safe>" (recorded in the journal)`
          : `wait for run ${holder.runId} to finish (see \`forcedown runs\`); only one run may act on a host at a time`,
        { host, holder },
      );
    }
  }
  return {
    hosts: taken,
    broken,
    release: async () => {
      for (const host of taken) {
        const holder = await readLock(stateDir, host);
        if (holder?.runId === runId) await unlink(lockFile(stateDir, host)).catch(() => undefined);
      }
    },
  };
}
