import { writeFile } from 'node:fs/promises';
import type { Coordinator } from '../coordination/index.js';
import { invalidInput, refused } from '../errors/index.js';
import { ensurePrivateDir, journalPath, stateLayout, type RunEvent } from '../runner/index.js';

/**
 * Reads run `runId`'s journal from its etcd mirror and writes it to this state dir (a resume
 * from another machine continues it here). `notLocal` is the error of the missing local journal,
 * rethrown when etcd has no such run either. A mirror that hit a cap is refused.
 */
export async function importMirroredJournal(
  coordinator: Coordinator,
  stateDir: string,
  runId: string,
  notLocal: unknown,
): Promise<readonly RunEvent[]> {
  const mirrored = await coordinator.readRun(runId);
  if (mirrored.meta === undefined || mirrored.events.length === 0) {
    const { prefix, region } = coordinator.settings;
    throw invalidInput(
      'UNKNOWN_RUN',
      `no run ${runId} in ${stateLayout(stateDir).runs}, nor in etcd (${prefix}/${region}/runs/)`,
      'list runs with `forcedown runs --all-machines` (same --etcd, FORCEDOWN_ETCD_PREFIX and FORCEDOWN_ETCD_REGION as the run had)',
      {},
      notLocal,
    );
  }
  if (!mirrored.complete)
    throw refused(
      'MIRROR_INCOMPLETE',
      `the etcd mirror of run ${runId} is incomplete (it hit a cap at event ${mirrored.meta.truncatedAt ?? '?'})`,
      `resume it on the machine that ran it (${mirrored.meta.machine}), whose local journal has every event`,
      { runId },
    );
  await ensurePrivateDir(stateLayout(stateDir).runs);
  const text = mirrored.events.map((event) => `${JSON.stringify(event)}\n`).join('');
  await writeFile(journalPath(stateDir, runId), text, { mode: 0o600, flag: 'wx' });
  return mirrored.events as unknown as readonly RunEvent[];
}
